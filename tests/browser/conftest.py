"""Fixtures for the real-browser journeys.

* The portal runs under gunicorn (2 workers), started once for the package (stopped as
  soon as the last journey has run, not at the end of a whole `make test`), on a database of its
  own: an SQLite file in a temporary folder, or a PostgreSQL database created (and
  dropped afterwards) on the server named by PORTAL_TEST_DATABASE_URL. It is prepared the
  way an operator does it: ``flask --app portal portal init-db``, ``load-demo``, ``reindex``.
* Debian's Chromium (/usr/bin/chromium) is driven by Playwright's sync API; a downloaded
  browser is never used. Without /usr/bin/chromium every journey is SKIPPED with the
  reason below, which pytest's ``-ra`` summary prints.
* Each journey gets its own folder test-artifacts/browser/<journey>/ with numbered
  screenshots of its key pages; every page it visits is checked for console errors,
  uncaught script errors and Content-Security-Policy violations.

Rate limits: filing is limited to 20 POSTs an hour per client address. Two workers need a
shared rate-limit store (the portal refuses to start with memory:// under several workers), so
the server uses the Redis on 127.0.0.1:6379 when one answers (keys under a prefix of this run,
deleted afterwards), and runs one worker otherwise. The Chinese public journey talks to the server on
127.0.0.1 and the English one on [::1], so each language has its own budget (17
jurisdictions with the example county, one filing each; the example's own journey files one more
in each language).
"""
from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SKIP_REASON = "Chromium not installed: run `make test-browser` or apt-get install chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PG_ENV = "PORTAL_TEST_DATABASE_URL"
HERE = Path(__file__).resolve().parent
#: Each browser page's default timeout (ms): generous, the machine may be busy.
TIMEOUT_MS = 20_000


def why_not_runnable() -> str | None:
    if not os.path.exists(CHROMIUM):
        return SKIP_REASON
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed: run `make test-browser` (pip install playwright)"
    return None


def pytest_collection_modifyitems(config, items):
    """Skip (not fail) the journeys when the browser is missing, before any server starts."""
    reason = why_not_runnable()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


# --------------------------------------------------------------------------- server


def _free_port(with_ipv6: bool) -> int:
    """A port free on 127.0.0.1 (and on ::1 when asked)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not with_ipv6:
            return port
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port on loopback")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def compile_catalogs() -> None:
    """Compile the core's and every plugin package's catalogues when missing or stale (what `make
    translations` does), so the Chinese and English journeys see their language even when pytest
    is run alone. The writes are atomic: a running server never reads half a file."""
    from portal import i18n_tools

    i18n_tools.compile_catalogues()
    for folder in sorted(ROOT.glob("plugins/*/translations")) + sorted(ROOT.glob("tests/plugin_example/*/translations")):
        i18n_tools.compile_catalogues(folder)


@pytest.fixture(scope="package")
def browser_database_url(tmp_path_factory):
    """The journeys' own database (never the one the unit tests wipe between tests)."""
    server = os.environ.get(PG_ENV)
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'portal.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from portal.config import normalise_db_url

    server = normalise_db_url(server)
    name = f"bancheng_browser_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@dataclass
class PortalServer:
    """The running portal: ``base`` on 127.0.0.1, ``alt_base`` on [::1] (another client address)."""

    base: str
    alt_base: str
    root: Path
    access_log: Path
    error_log: Path
    mail_file: Path

    def access_lines(self) -> list[str]:
        try:
            return self.access_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def server_errors(self, since_line: int = 0) -> list[str]:
        """Requests answered with a 5xx since line ``since_line`` of the access log."""
        out = []
        for line in self.access_lines()[since_line:]:
            m = re.search(r'"\s(\d{3})\s', line)
            if m and m.group(1).startswith("5"):
                out.append(line)
        return out

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.error_log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return "(no error log)"


#: The built-in plugins, the portal's default.
BUILT_IN = ["kunming", "xuanwu", "beijing", "dazhou", "qingcheng"]


def example_installed() -> bool:
    """The out-of-tree example plugin (tests/plugin_example, `make install`) is an entry point."""
    import importlib.metadata as md

    return any(ep.name == "example" for ep in md.entry_points(group="portal"))


#: The sixth, out-of-tree jurisdiction is enabled by configuration when installed (its journey is
#: test_journeys_example.py); its coordination officer is a user of its own role.
JURISDICTIONS = BUILT_IN + (["example"] if example_installed() else [])
EXAMPLE_COORDINATOR = "example-coordinator"


def _server_env(db_url: str, root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_JURISDICTIONS": ",".join(JURISDICTIONS),
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_INDEX_DIR": str(root / "index"),
        "PORTAL_UPLOAD_DIR": str(root / "uploads"),
        "PORTAL_INSTANCE_PATH": str(root / "instance"),
        "PORTAL_SECRET_KEY": secrets.token_hex(32),
        "PORTAL_DATA_KEY": "browser:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "PORTAL_MAIL_FILE": str(root / "outbox.log"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _flask(env: dict, *args: str, timeout: int = 600) -> str:
    cmd = [sys.executable, "-m", "flask", "--app", "portal", "portal", *args]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        pytest.fail(f"`flask --app portal portal {' '.join(args)}` failed with {r.returncode}:\n"
                    f"{r.stdout[-2000:]}\n{r.stderr[-4000:]}", pytrace=False)
    return r.stdout


def _wait_ready(proc: subprocess.Popen, urls: list[str], server: PortalServer, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {proc.returncode} before serving:\n{server.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(pending[0] + "/", timeout=5) as r:
                if r.status == 200:
                    pending.pop(0)
                    continue
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not answer on {pending[0]} within {timeout:.0f} s:\n{server.log_tail()}",
                        pytrace=False)
        time.sleep(0.25)


def _shared_limit_store() -> str | None:
    """Redis on loopback for the two workers' shared rate limits, or None when none answers."""
    try:
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379, db=0, socket_timeout=2)
        r.ping()
        r.close()
    except Exception:  # noqa: BLE001 - any failure: no shared store, one worker
        return None
    return "redis://127.0.0.1:6379/0"


def _forget_limits(prefix: str) -> None:
    import redis

    r = redis.Redis(host="127.0.0.1", port=6379, db=0, socket_timeout=2)
    try:
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
    finally:
        r.close()


@pytest.fixture(scope="package")
def portal_server(browser_database_url, tmp_path_factory):
    """gunicorn 'portal:create_app()' with 2 workers (1 without Redis) on loopback, over the demo data."""
    compile_catalogs()
    root = tmp_path_factory.mktemp("browser-portal")
    env = _server_env(browser_database_url, root)
    _flask(env, "init-db")
    _flask(env, "load-demo")
    if "example" in JURISDICTIONS:
        from .support import DEMO_PASSWORD

        _flask(env, "create-user", EXAMPLE_COORDINATOR, "--role", "coordinator", "--jurisdiction", "example",
               "--name", "示例县协调专员", "--password", DEMO_PASSWORD, "--no-must-change")  # a demo account
    _flask(env, "reindex")

    store = _shared_limit_store()
    prefix = f"bancheng-browser-{secrets.token_hex(6)}"
    if store:
        env.update({"PORTAL_RATELIMIT_STORAGE_URI": store, "PORTAL_RATELIMIT_KEY_PREFIX": prefix})
    workers = "2" if store else "1"
    v6 = _ipv6_loopback()
    port = _free_port(v6)
    binds = ["-b", f"127.0.0.1:{port}"] + (["-b", f"[::1]:{port}"] if v6 else [])
    gunicorn = Path(sys.executable).with_name("gunicorn")
    launcher = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    server = PortalServer(base=f"http://127.0.0.1:{port}", alt_base=f"http://[::1]:{port}" if v6 else f"http://127.0.0.1:{port}",
                          root=root, access_log=root / "access.log", error_log=root / "gunicorn.log",
                          mail_file=root / "outbox.log")
    cmd = launcher + ["portal:create_app()", *binds, "-w", workers, "--timeout", "120",
                      "--access-logfile", str(server.access_log), "--error-logfile", str(server.error_log)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_ready(proc, [server.base] + ([server.alt_base] if v6 else []), server)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop: the master stops its workers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
                proc.wait(timeout=10)
        if store:
            _forget_limits(prefix)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def chromium():
    """Debian's Chromium, headless, through Playwright's sync API (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


#: Records Content-Security-Policy violations the page itself sees (besides the console).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


def _ignorable(url: str) -> bool:
    # Chromium asks every site for /favicon.ico on its own; the portal serves none (yet).
    return url.endswith("/favicon.ico")


@dataclass
class Actor:
    """One person in a journey: a browser context of their own (cookies, language) and a page."""

    journey: "Journey"
    role: str
    context: object
    page: object

    def url(self, path: str) -> str:
        return self.journey.base + path

    def goto(self, path: str):
        resp = self.page.goto(self.url(path))
        return resp

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """Screenshot NN-name.png, after checking the page is clean (console, CSP, script errors)."""
        self.check_clean()
        return self.journey.screenshot(self.page, name, full_page=full_page)

    def check_clean(self) -> None:
        try:
            seen = self.page.evaluate("window.__cspViolations || []")
        except Exception:  # navigation in progress: the console listener still has them
            seen = []
        for v in seen:
            self.journey.extra_problems.append(f"{self.page.url}: CSP violation: {v}")
        if seen:
            self.page.evaluate("window.__cspViolations = []")
        self.journey.assert_clean()


@dataclass
class Journey:
    name: str
    base: str
    server: PortalServer
    browser: object
    folder: Path
    console: list[tuple] = field(default_factory=list)
    extra_problems: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)
    actors: list[Actor] = field(default_factory=list)
    shots: int = 0
    access_start: int = 0

    def actor(self, role: str, locale: str = "zh-CN", width: int = 1280, height: int = 900) -> Actor:
        context = self.browser.new_context(locale=locale, viewport={"width": width, "height": height},
                                           timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_PROBE)
        page = context.new_page()
        page.on("console", lambda msg, page=page: self._console(page, msg))
        page.on("response", lambda resp: self._navigation(resp))
        page.on("pageerror", lambda exc, page=page: self.extra_problems.append(f"{page.url}: uncaught script error: {exc}"))
        a = Actor(self, role, context, page)
        self.actors.append(a)
        return a

    def _navigation(self, resp) -> None:
        try:
            if resp.request.is_navigation_request() and resp.status >= 400:
                self.error_documents.add(resp.url)
        except Exception:  # the page went away meanwhile
            pass

    def _console(self, page, msg) -> None:
        text = msg.text
        csp = "Content Security Policy" in text or "Content-Security-Policy" in text
        if msg.type != "error" and not csp:
            return
        where = (msg.location or {}).get("url", "") or ""
        if _ignorable(where):
            return
        self.console.append((page.url, msg.type, text, where, csp))

    @property
    def problems(self) -> list[str]:
        """Console errors and CSP violations, except the status line Chromium logs for a document the
        server answered with 4xx on purpose (a form sent back with its errors, a refused look-up):
        the journeys check those pages' status and content themselves."""
        out = list(self.extra_problems)
        for url, kind, text, where, csp in self.console:
            if not csp and text.startswith("Failed to load resource") and where in self.error_documents:
                continue
            out.append(f"{url}: console {kind}{' (CSP)' if csp else ''}: {text} [{where}]")
        return out

    def screenshot(self, page, name: str, *, full_page: bool = True) -> Path:
        self.shots += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        path = self.folder / f"{self.shots:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def assert_clean(self) -> None:
        assert not self.problems, "pages with console errors or CSP violations:\n" + "\n".join(self.problems)
        errors = self.server.server_errors(self.access_start)
        assert not errors, "the server answered with 5xx:\n" + "\n".join(errors) + "\n" + self.server.log_tail(40)

    def close(self) -> None:
        for a in self.actors:
            try:
                a.context.close()
            except Exception:
                pass


@pytest.fixture
def journey_factory(portal_server, chromium):
    """journey_factory(name, alt_host=False) -> Journey; screenshots under test-artifacts/browser/<name>/."""
    made: list[Journey] = []

    def make(name: str, *, alt_host: bool = False) -> Journey:
        folder = ARTIFACTS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        for old in folder.glob("*.pdf"):
            old.unlink()
        j = Journey(name=name, base=portal_server.alt_base if alt_host else portal_server.base,
                    server=portal_server, browser=chromium, folder=folder,
                    access_start=len(portal_server.access_lines()))
        made.append(j)
        return j

    yield make
    for j in made:
        j.close()
