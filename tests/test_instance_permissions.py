"""What the portal keeps on disk is its owner's only (issue 14, finding 7): the instance folder,
the SQLite database, the search index, the uploads folder and the key files `make run` writes are
created without group or other permission bits, whatever the umask. No source report speaks of
this: it is the portal's default."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from portal import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def open_umask():
    """The common default umask (0022), under which files come out readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _loose(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


def test_init_db_and_reindex_create_the_instance_database_index_and_uploads_owner_only(tmp_path, open_umask):
    inst = tmp_path / "instance"
    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(inst),
                      "PORTAL_JURISDICTIONS": ["kunming"]})
    runner = app.test_cli_runner()
    for command in (["portal", "init-db"], ["portal", "reindex"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with app.app_context():
        from portal.public.attachments import upload_dir

        upload_dir()
        ix = app.extensions.get("portal_search")
        if ix is not None:
            ix.close()
        from portal.extensions import db

        db.engine.dispose()
    paths = [inst, inst / "portal.sqlite3", inst / "index", inst / "uploads"]
    paths += [p for p in inst.glob("portal.sqlite3-*")]  # WAL and shared-memory files
    assert all(path.exists() for path in paths)
    loose = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in paths if _loose(path)}
    assert loose == {}


def test_make_writes_the_secret_key_and_the_data_key_owner_only(tmp_path, open_umask):
    inst = tmp_path / "inst"
    subprocess.run(["make", "-s", f"INSTANCE={inst}", f"{inst}/secret_key", f"{inst}/data_key"],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    paths = (inst, inst / "secret_key", inst / "data_key")
    loose = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in paths if _loose(path)}
    assert loose == {}
    assert (inst / "data_key").read_text().startswith("k1:")
