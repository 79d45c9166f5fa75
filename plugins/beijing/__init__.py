"""Beijing (北京市): jurisdiction plugin after seed 003."""
from portal.toolkit import CentreSpec, JurisdictionPlugin, JurisdictionSpec, WindowSpec, hookimpl


class Beijing(JurisdictionPlugin):
    code = "beijing"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="beijing", name_zh="北京市", name_en="Beijing", level="city",
                                 case_prefix="BJ",
                                 centres=(CentreSpec("beijing-centre", "北京市政务服务中心", "Beijing service centre",
                                                     windows=(WindowSpec("beijing-w1", "反映“办不成事”窗口", "Reflection window"),)),))]


plugin = Beijing()
