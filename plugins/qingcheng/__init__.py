"""Qingcheng District, Qingyuan (清远市清城区): jurisdiction plugin after seed 004."""
from portal.toolkit import CentreSpec, JurisdictionPlugin, JurisdictionSpec, WindowSpec, hookimpl


class Qingcheng(JurisdictionPlugin):
    code = "qingcheng"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="qingcheng", name_zh="清远市清城区", name_en="Qingcheng District, Qingyuan", level="district",
                                 case_prefix="QC",
                                 centres=(CentreSpec("qingcheng-centre", "清远市清城区政务服务中心", "Qingcheng District, Qingyuan service centre",
                                                     windows=(WindowSpec("qingcheng-w1", "反映“办不成事”窗口", "Reflection window"),)),))]


plugin = Qingcheng()
