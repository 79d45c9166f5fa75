"""Xuanwu District, Nanjing (南京市玄武区): jurisdiction plugin after seed 001."""
from portal.toolkit import CentreSpec, JurisdictionPlugin, JurisdictionSpec, WindowSpec, hookimpl


class Xuanwu(JurisdictionPlugin):
    code = "xuanwu"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="xuanwu", name_zh="南京市玄武区", name_en="Xuanwu District, Nanjing", level="district",
                                 case_prefix="XW",
                                 centres=(CentreSpec("xuanwu-centre", "南京市玄武区政务服务中心", "Xuanwu District, Nanjing service centre",
                                                     windows=(WindowSpec("xuanwu-w1", "反映“办不成事”窗口", "Reflection window"),)),))]


plugin = Xuanwu()
