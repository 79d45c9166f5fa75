"""An installed (non-editable) portal finds its catalogues: the core's .po files (the top-level
translations/ folder of the checkout) ship inside the package as portal/translations/, each
built-in plugin's inside its own package, and they are compiled at start into the instance folder
when no .mo is present.

The wheel test builds a real wheel from a copy of the sources (no .mo files in it), installs it
into a fresh virtual environment whose dependencies come from the project's environment (a .pth
naming its site-packages; no network), and renders a zh_Hans page with the installed package.
It is skipped only when a wheel cannot be built here (setuptools or wheel missing from the
running environment, which `--no-build-isolation` needs); any other failure fails the test."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from portal import i18n_tools as t

ROOT = Path(__file__).resolve().parent.parent


# -- prepare_catalogues, in this process ---------------------------------------------------------------
class _App:
    def __init__(self, instance, directory):
        self.instance_path = str(instance)
        self.config = {"BABEL_TRANSLATION_DIRECTORIES": str(directory)}


def _packaged_copy(tmp_path) -> Path:
    """The catalogues as a wheel ships them: .po files only."""
    src = tmp_path / "pkg" / "translations"
    shutil.copytree(t.TRANSLATIONS, src, ignore=shutil.ignore_patterns("*.mo", "*.tmp", "*.sha1"))
    return src


def test_without_compiled_catalogues_they_are_compiled_into_the_instance_folder(tmp_path, monkeypatch):
    src = _packaged_copy(tmp_path)
    monkeypatch.setattr(t, "TRANSLATIONS", src)
    app = _App(tmp_path / "instance", src)
    t.prepare_catalogues(app)
    target = tmp_path / "instance" / "translations"
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(target)
    for locale in t.LOCALES:
        assert (target / locale / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
    assert not list(src.glob("*/LC_MESSAGES/*.mo"))  # the package folder is never written
    # A second start with the same .po files compiles nothing; a changed .po is recompiled,
    # even when its timestamp is older than the .mo (an upgraded wheel keeps build-time stamps).
    assert t.compile_into(target, src) == []
    po = src / "en" / "LC_MESSAGES" / "messages.po"
    po.write_bytes(po.read_bytes() + b"\n")
    os.utime(po, (0, 0))
    assert t.compile_into(target, src) == [target / "en" / "LC_MESSAGES" / "messages.mo"]


def test_fresh_compiled_catalogues_beside_the_po_files_are_used_where_they_are(tmp_path, monkeypatch):
    src = _packaged_copy(tmp_path)
    t.compile_catalogues(src)
    monkeypatch.setattr(t, "TRANSLATIONS", src)
    app = _App(tmp_path / "instance", src)
    t.prepare_catalogues(app)
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(src)
    assert not (tmp_path / "instance" / "translations").exists()


def test_compiling_a_current_catalogue_again_marks_it_fresh(tmp_path):
    src = _packaged_copy(tmp_path)
    t.compile_catalogues(src)
    po = src / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    earlier = po.stat().st_mtime - 60
    os.utime(po.with_suffix(".mo"), (earlier, earlier))  # e.g. a checkout touched the .po, not changing it
    assert not t._fresh_next_to_po(src)
    assert t.compile_catalogues(src) == []  # nothing to rewrite ...
    assert t._fresh_next_to_po(src)  # ... but the app start will not recompile it every time


def test_a_directory_set_by_the_operator_is_left_alone(tmp_path):
    app = _App(tmp_path / "instance", tmp_path / "mine")
    t.prepare_catalogues(app)
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(tmp_path / "mine")


# -- a real wheel in a fresh environment -----------------------------------------------------------------
def _run(*cmd, cwd, timeout=240):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


CHECK = textwrap.dedent("""
    import sys
    from pathlib import Path
    import portal
    here = Path(portal.__file__).resolve()
    assert str(here).startswith(sys.argv[1]), here          # the installed copy, not the checkout
    packaged = here.parent / "translations"
    assert sorted(p.parent.parent.name for p in packaged.glob("*/LC_MESSAGES/messages.po")) == ["en", "zh_Hans", "zh_Hant"]
    assert not list(packaged.glob("*/LC_MESSAGES/*.mo")), "the wheel ships no compiled catalogues"
    from portal import create_app
    from portal.extensions import db
    inst = Path(sys.argv[2])
    import bancheng_plugins.beijing as beijing
    shipped = Path(beijing.__file__).resolve().parent / "translations"
    assert sorted(p.parent.parent.name for p in shipped.glob("*/LC_MESSAGES/messages.po")) == ["en", "zh_Hans", "zh_Hant"]
    app = create_app({"TESTING": True, "SECRET_KEY": "wheel-test", "INSTANCE_PATH": str(inst),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(inst / "wheel.sqlite3"),
                      "PORTAL_INDEX_DIR": str(inst / "index"), "PORTAL_JURISDICTIONS": []})
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(inst / "translations")
    assert (inst / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.mo").exists()
    # an enabled plugin's own catalogues, compiled from the wheel at start and merged
    with_beijing = create_app({"TESTING": True, "SECRET_KEY": "wheel-test", "INSTANCE_PATH": str(inst),
                               "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(inst / "wheel.sqlite3"),
                               "PORTAL_INDEX_DIR": str(inst / "index"), "PORTAL_JURISDICTIONS": ["beijing"]})
    assert with_beijing.config["BABEL_TRANSLATION_DIRECTORIES"].split(";") == [
        str(inst / "plugin-translations" / "beijing"), str(inst / "translations")]
    from flask_babel import gettext
    with with_beijing.test_request_context("/?lang=zh_Hans"):
        assert gettext("A petition (xinfang)") == "信访事项", gettext("A petition (xinfang)")
    with app.app_context():
        db.create_all()
        c = app.test_client()
        zh = c.get("/?lang=zh_Hans").get_data(as_text=True)
        hant = c.get("/?lang=zh_Hant").get_data(as_text=True)
        en = c.get("/?lang=en").get_data(as_text=True)
    assert "办不成事？请向我们反映。" in zh and "Could not get it done? Tell us." not in zh, zh[:2000]
    assert "辦不成事？請向我們反映。" in hant
    assert "Could not get it done? Tell us." in en
    print("WHEEL-OK")
""")


CHECK_EXAMPLE = textwrap.dedent("""
    import sys
    from pathlib import Path
    import bancheng_example
    assert str(Path(bancheng_example.__file__).resolve()).startswith(sys.argv[1])  # the wheel's copy
    from portal import create_app
    from portal.extensions import db
    from sqlalchemy import inspect
    inst = Path(sys.argv[2])
    app = create_app({"TESTING": True, "SECRET_KEY": "wheel-test", "INSTANCE_PATH": str(inst),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(inst / "example.sqlite3"),
                      "PORTAL_INDEX_DIR": str(inst / "index"), "PORTAL_JURISDICTIONS": ["example"]})
    with app.app_context():
        from portal.registry import sync_jurisdictions
        from portal.schema import upgrade_all
        assert upgrade_all() == ["example"]
        assert "example_site_visit" in inspect(db.engine).get_table_names()
        sync_jurisdictions()
        c = app.test_client()
        zh = c.get("/file/example?lang=zh_Hans").get_data(as_text=True)
        en = c.get("/file/example?lang=en").get_data(as_text=True)
    assert "When can the coordination officer best reach you?" in en, en[-3000:]
    assert "When can the coordination officer best reach you?" not in zh and "示例县" in zh, zh[-3000:]
    print("EXAMPLE-OK")
""")


def test_an_installed_wheel_serves_chinese_pages(tmp_path):
    try:
        import setuptools  # noqa: F401
        import wheel  # noqa: F401
    except ImportError as exc:  # --no-build-isolation builds with this environment's backend
        pytest.skip(f"cannot build a wheel here: {exc}")
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.sha1", "*.tmp")
    for name in ("portal", "plugins", "translations"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)

    dist = tmp_path / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "-q", "-w", dist, src, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    (whl,) = dist.glob("bancheng_portal-*.whl")

    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=tmp_path).stdout.strip())
    # The dependencies come from the project's environment, as a plain path: its .pth files (the
    # editable install of the checkout) are not processed, so `portal` can only be the wheel's.
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                     "-q", whl, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]

    inst = tmp_path / "instance"
    checked = _run(python, "-c", CHECK, venv.resolve(), inst, cwd=tmp_path)
    assert checked.returncode == 0 and "WHEEL-OK" in checked.stdout, (checked.stdout[-2000:], checked.stderr[-4000:])

    # Issue 11: the sixth jurisdiction installs with pip from its own wheel next to the installed
    # portal, is enabled by configuration, migrates its own table and speaks its own words.
    example_src = tmp_path / "example-src"
    shutil.copytree(ROOT / "tests" / "plugin_example", example_src, ignore=ignore)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "-q", "-w", dist, example_src, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    (example_whl,) = dist.glob("bancheng_plugin_example-*.whl")
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                     "-q", example_whl, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]
    checked = _run(python, "-c", CHECK_EXAMPLE, venv.resolve(), tmp_path / "example-instance", cwd=tmp_path)
    assert checked.returncode == 0 and "EXAMPLE-OK" in checked.stdout, (checked.stdout[-2000:], checked.stderr[-4000:])
