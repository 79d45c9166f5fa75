"""Packaging: every package folder is listed in pyproject, plugins import under a safe name."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = set()
    for top, name in (("portal", "portal"), ("plugins", "bancheng_plugins")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            if "templates" in rel.parts or "__pycache__" in rel.parts:
                continue
            found.add(".".join((name, *rel.parts)))
    assert found <= listed, sorted(found - listed)


def test_no_generic_top_level_plugins_package_is_importable():
    import importlib.util

    assert importlib.util.find_spec("bancheng_plugins") is not None
    spec = importlib.util.find_spec("plugins")
    assert spec is None or "bancheng" not in (spec.origin or "")


def test_entry_points_point_at_the_built_in_plugins():
    import importlib.metadata as md

    eps = {ep.name: ep.value for ep in md.entry_points(group="portal")}
    for code in ("kunming", "xuanwu", "beijing", "dazhou", "qingcheng"):
        assert eps[code] == f"bancheng_plugins.{code}:plugin"
