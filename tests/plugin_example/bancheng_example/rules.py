"""Example County's rules (示例县). FICTIONAL: the county, its document and every article below are
invented to show how a jurisdiction states its rules; none is the rule of a real place."""
from __future__ import annotations

from portal.toolkit import WORKING_HOURS, RuleSource, TimeLimit, WorkingHours

#: The invented document every rule of the county cites.
DOCUMENT_ZH = "《示例县“办不成事”反映窗口工作规则（虚构示例）》"
DOCUMENT_EN = "Example County reflection window rules (a fictional example)"


def article(zh: str, en: str) -> RuleSource:
    return RuleSource(DOCUMENT_ZH, DOCUMENT_EN, zh, en)


#: Fictional, article 3: the coordination officer responds within 2 working hours of registration.
FIRST_RESPONSE = TimeLimit(
    2, "Example County (fictional): a first response within 2 working hours of registration",
    "示例县（虚构）：登记后2个工作小时内首次响应", unit=WORKING_HOURS,
    source=article("第三条", "Article 3"))

#: Fictional, article 5: general matters are answered within 2 working days.
REPLY_GENERAL = TimeLimit(
    2, "Example County (fictional): general matters answered within 2 working days",
    "示例县（虚构）：一般事项2个工作日内答复", source=article("第五条", "Article 5"))

#: Fictional, article 2: the window's hours, in which working-hour limits count.
WINDOW_HOURS = WorkingHours.parse(
    "08:30-12:00,14:00-17:30",
    f"Example County (fictional): the window is open 08:30-12:00 and 14:00-17:30 on working days "
    f"({DOCUMENT_EN}, Article 2)",
    f"示例县（虚构）：窗口工作日8:30—12:00、14:00—17:30对外服务（{DOCUMENT_ZH}第二条）")
