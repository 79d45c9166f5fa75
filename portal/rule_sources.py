"""Where a deadline's rule comes from, for display: internal references never reach a page.

Rules once carried their source as a tag in their text ("(seed 001)", "(core default)",
"(DOMAIN national rules)"), and the core's defaults named sources they do not have
("Jiangsu window rules", "one city's limit"). Rules now carry a structured ``RuleSource``
(see ``TimeLimit``); this module strips the old tags from stored texts, so that rows written
before can be matched with today's limits and shown without them.
"""
from __future__ import annotations

import re

#: A trailing internal reference or a misattribution the core's old default texts carried.
_INTERNAL_TAG = re.compile(
    r"\s*[(（](?:seed \d+|DOMAIN[^)）]*|core default|Jiangsu window rules|江苏省窗口工作规则|"
    r"national 好差评 rules, one city's limit|政务服务“好差评”制度，一地的整改时限)[)）]\s*$",
    re.IGNORECASE)

#: Words that must never reach a page, in any language: internal tags and misattributions.
INTERNAL_MARKERS = ("seed 0", "core default", "DOMAIN", "Jiangsu window rules", "江苏省窗口工作规则",
                    "江蘇省窗口工作規則", "one city's limit", "一地的整改时限", "一地的整改時限")


def strip_internal_tag(text: str) -> str:
    """The stored rule text without its trailing internal reference."""
    return _INTERNAL_TAG.sub("", text or "").strip()
