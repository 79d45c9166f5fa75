"""Several processes with an in-memory rate-limit store are refused; a shared store holds the limits.

No source report speaks to this: a security setting, the portal's configurable default. Finding 4
of issue 14: with memory:// every gunicorn worker kept its own counts, so a limit of 10 let
10 x workers guesses through. The gunicorn tests start a real server on a loopback port (its own
process group, stopped at the end) and, for Redis, use keys under a prefix of their own, deleted
afterwards; they skip cleanly when no Redis answers.
"""
from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal import create_app
from portal.ratelimit_store import LimitSettingError, SharedStoreRequired
from .conftest import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parents[1]
REDIS = ("127.0.0.1", 6379)


def _config(tmp_path, **extra) -> dict:
    return {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_ENABLED": True, **extra}


# -- the check, in process ----------------------------------------------------------------------
def test_several_declared_workers_with_memory_store_refuse_to_start(tmp_path):
    with pytest.raises(SharedStoreRequired, match="PORTAL_RATELIMIT_STORAGE_URI") as e:
        create_app(_config(tmp_path, PORTAL_WORKERS=3))
    assert "3 processes" in str(e.value) and "PORTAL_ALLOW_PER_WORKER_LIMITS" in str(e.value)


def test_per_worker_limits_when_allowed_start_with_a_loud_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(_config(tmp_path, PORTAL_WORKERS="2", PORTAL_ALLOW_PER_WORKER_LIMITS=True))
    assert any("SECURITY WARNING" in r.getMessage() and "multiplied by 2" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("extra", [{"PORTAL_WORKERS": 1}, {"PORTAL_WORKERS": 4, "RATELIMIT_ENABLED": False},
                                   {"PORTAL_WORKERS": 4, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}])
def test_one_process_no_limits_or_a_shared_store_start(tmp_path, extra):
    create_app(_config(tmp_path, **extra))


def test_unreadable_limit_settings_refuse_to_start(tmp_path):
    with pytest.raises(LimitSettingError, match="PORTAL_TRACK_CASE_LIMIT"):
        create_app(_config(tmp_path, PORTAL_TRACK_CASE_LIMIT="ten an hour"))
    with pytest.raises(LimitSettingError, match="PORTAL_WORKERS"):
        create_app(_config(tmp_path, PORTAL_WORKERS="many"))


def test_gunicorns_own_worker_count_is_read_whatever_sets_it(tmp_path, monkeypatch):
    """GUNICORN_CMD_ARGS (no -w on the command line), as gunicorn itself reads it."""
    from gunicorn.app.wsgiapp import WSGIApplication

    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 3")
    for k in [k for k in os.environ if k.startswith("PORTAL_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_SECRET_KEY", secrets.token_hex(16))
    monkeypatch.setattr(sys, "argv", ["gunicorn", "portal:create_app()"])
    monkeypatch.chdir(ROOT)
    server_app = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
    assert server_app.cfg.workers == 3
    with pytest.raises(SharedStoreRequired, match="3 processes"):
        server_app.wsgi()


# -- real gunicorn ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Gunicorn:
    def __init__(self, tmp_path: Path, database_url: str, **env):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / "access.log"
        self.error_log = tmp_path / "error.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "GUNICORN_", "WEB_CONCURRENCY"))}
        base.update({"PORTAL_DATABASE_URL": database_url, "PORTAL_SECRET_KEY": secrets.token_hex(32),
                     "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_INDEX_DIR": str(tmp_path / "index"),
                     "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"), "PORTAL_MAIL_FILE": str(tmp_path / "outbox.log"),
                     "PORTAL_DATA_KEY": TEST_DATA_KEY, "PYTHONWARNINGS": "ignore"})
        base.update(env)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = ([str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]) + [
            "portal:create_app()", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "60",
            "--access-logfile", str(self.access_log), "--access-logformat", '%(p)s "%(r)s" %(s)s',
            "--error-logfile", str(self.error_log)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def log(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
            try:
                with urllib.request.urlopen(self.url + "/track", timeout=10) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        pytest.fail(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def served_by(self, path: str) -> list[str]:
        """Worker pids of the answers to POST ``path`` so far, in order."""
        return re.findall(rf'^<(\d+)> "POST {re.escape(path)} ', self.access_log.read_text(), re.M)


def test_two_workers_with_memory_store_refuse_to_start(migrated, tmp_path):
    server = _Gunicorn(tmp_path, migrated, PORTAL_RATELIMIT_STORAGE_URI="memory://")
    try:
        server.proc.wait(120)
    except subprocess.TimeoutExpired:
        pytest.fail("gunicorn with 2 workers and memory:// kept running")
    finally:
        server.stop()
    assert server.proc.returncode != 0
    log = server.log()
    assert "Refusing to start: 2 processes serve the portal" in log and "PORTAL_RATELIMIT_STORAGE_URI" in log


def _wrong_code(url: str, number: str, visitor: str) -> int:
    """One person's try: open the form (session and CSRF token), send a wrong code."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url + "/track", timeout=30) as r:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "number": number, "code": "WRONG00000"}).encode()
    req = urllib.request.Request(url + "/track", data=data, headers={"X-Forwarded-For": visitor})
    try:
        with opener.open(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_limit_holds_across_two_workers_with_redis(migrated, tmp_path):
    redis = pytest.importorskip("redis")
    try:
        store = redis.Redis(*REDIS, db=0, socket_timeout=2)
        store.ping()
    except Exception as e:  # noqa: BLE001 - any failure: no Redis to prove it with
        pytest.skip(f"no Redis answers on {REDIS[0]}:{REDIS[1]}: {e}")
    prefix = f"bancheng-test-{secrets.token_hex(6)}"
    limit = 6
    server = _Gunicorn(tmp_path, migrated, PORTAL_RATELIMIT_STORAGE_URI=f"redis://{REDIS[0]}:{REDIS[1]}/0",
                       PORTAL_RATELIMIT_KEY_PREFIX=prefix, PORTAL_PROXY_HOPS="1",
                       PORTAL_TRACK_CASE_LIMIT=f"{limit} per hour")
    try:
        server.wait_ready()
        for round_ in range(4):
            # a fresh unknown case number per round, each try from another visitor behind the "proxy"
            number = f"KM-2026-{secrets.randbelow(900000) + 100000:06d}"
            path_count = len(server.served_by("/track"))
            statuses: list[int] = []
            threads = [threading.Thread(target=lambda i=i: statuses.append(
                _wrong_code(server.url, number, f"198.51.{round_}.{i + 1}"))) for i in range(limit)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            first = server.served_by("/track")[path_count:]
            if len(set(first)) >= 2:
                break
        assert statuses == [404] * limit
        assert len(set(first)) == 2, f"the {limit} tries were all answered by one worker in 4 rounds: {first}"
        # each worker has counted fewer than `limit` itself: a 429 now is the shared count
        after = [_wrong_code(server.url, number, f"203.0.113.{i + 1}") for i in range(4)]
        assert after == [429] * 4, (after, server.log()[-2000:])
        assert any(store.scan_iter(f"*{prefix}*")), "the counts live in Redis, under the test's own prefix"
    finally:
        server.stop()
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()
