"""The complexity levels a case of a jurisdiction can be classified with, named in the reader's
language: the core's four, then the levels the jurisdiction's plugin adds (portal_vocabulary)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .i18n import choose
from .vocabulary import current as current_vocabulary

COMPLEXITY_LABELS = {"simple": _l("Simple"), "general": _l("General"), "complex": _l("Complex"),
                     "especially_complex": _l("Especially complex")}


def complexity_label(code: str) -> str:
    if code in COMPLEXITY_LABELS:
        return str(COMPLEXITY_LABELS[code])
    spec = current_vocabulary().complexity_spec(code)
    return choose(spec.label_zh, spec.label_en) if spec else code


def complexity_labels(jurisdiction_code: str) -> dict[str, str]:
    """``{code: label}`` of the jurisdiction's levels, in the order the classify step offers them."""
    return {code: complexity_label(code) for code in current_vocabulary().complexities_for(jurisdiction_code)}


def complexity_choices(jurisdiction_code: str) -> list[tuple[str, str]]:
    """``(code, label)`` for a select of the jurisdiction's levels."""
    return list(complexity_labels(jurisdiction_code).items())
