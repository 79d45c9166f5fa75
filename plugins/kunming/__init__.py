"""Kunming (昆明市): jurisdiction plugin after seed 000."""
from portal.toolkit import CentreSpec, JurisdictionPlugin, JurisdictionSpec, WindowSpec, hookimpl


class Kunming(JurisdictionPlugin):
    code = "kunming"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="kunming", name_zh="昆明市", name_en="Kunming", level="city",
                                 case_prefix="KM",
                                 centres=(CentreSpec("kunming-centre", "昆明市政务服务中心", "Kunming service centre",
                                                     windows=(WindowSpec("kunming-w1", "反映“办不成事”窗口", "Reflection window"),)),))]


plugin = Kunming()
