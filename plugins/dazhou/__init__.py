"""Dazhou (达州市): jurisdiction plugin after seed 002."""
from portal.toolkit import CentreSpec, JurisdictionPlugin, JurisdictionSpec, WindowSpec, hookimpl


class Dazhou(JurisdictionPlugin):
    code = "dazhou"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="dazhou", name_zh="达州市", name_en="Dazhou", level="city",
                                 case_prefix="DZ",
                                 centres=(CentreSpec("dazhou-centre", "达州市政务服务中心", "Dazhou service centre",
                                                     windows=(WindowSpec("dazhou-w1", "反映“办不成事”窗口", "Reflection window"),)),))]


plugin = Dazhou()
