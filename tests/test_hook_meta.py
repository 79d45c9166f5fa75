"""Meta-test (Datasette's idea): every hook has a test named after it."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

from portal import hookspecs

HOOKS = sorted(n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("portal_"))


def test_every_hook_has_a_one_line_docstring():
    for name in HOOKS:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), name


def test_every_hook_has_a_test_of_its_own():
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        names |= set(re.findall(r"def (test_hook_\w+)", path.read_text(encoding="utf-8")))
    missing = [h for h in HOOKS if not any(n == f"test_hook_{h}" or n.startswith(f"test_hook_{h}_") for n in names)]
    assert not missing, f"hooks without a test_hook_<name> test: {missing}"
