"""Real servers for the proofs: a database of our own, a site folder, gunicorn, a TCP proxy.

Everything listens on 127.0.0.1 on ports chosen free, and every process started
here is stopped by its own id (its process group, which only it and its workers are in).
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "demo-pass-2026"
ALL_JURISDICTIONS = ("kunming", "xuanwu", "beijing", "dazhou", "qingcheng")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# -- databases ------------------------------------------------------------------------
class Database:
    """A database the proofs own: a SQLite file, or a PostgreSQL database created here."""

    def __init__(self, url: str, *, server: str | None = None, name: str | None = None, path: Path | None = None):
        self.url = url
        self.server = server  # PostgreSQL: the maintenance URL the database was created from
        self.name = name
        self.path = path
        self._engine = None

    @property
    def kind(self) -> str:
        return "postgresql" if self.server else "sqlite"

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}", path=path)

    @classmethod
    def postgres(cls, server: str, prefix: str = "bancheng_proof") -> Database:
        """Create a fresh database on ``server`` (e.g. postgresql://postgres@127.0.0.1:5432/test)."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        _pg_admin(server, f'CREATE DATABASE "{name}"')
        return cls(_pg_url(server, name), server=server, name=name)

    def clone(self, target: Path | None = None) -> Database:
        """A copy of this database (PostgreSQL: CREATE DATABASE ... TEMPLATE; SQLite: a file copy)."""
        self.dispose()
        if self.server:
            name = f"bancheng_proof_{secrets.token_hex(4)}"
            _pg_admin(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
            return Database(_pg_url(self.server, name), server=self.server, name=name)
        assert target is not None, "a SQLite clone needs a target path"
        target = Path(target).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.path, target)
        for suffix in ("-wal", "-shm"):
            extra = Path(str(self.path) + suffix)
            if extra.exists():
                shutil.copy2(extra, Path(str(target) + suffix))
        return Database.sqlite(target)

    def engine(self):
        """A SQLAlchemy engine for the checks (not the app's)."""
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            from portal.config import normalise_db_url

            self._engine = create_engine(normalise_db_url(self.url), poolclass=NullPool)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def drop(self) -> None:
        self.dispose()
        if self.server:
            _pg_admin(self.server,
                      f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
                      f'DROP DATABASE IF EXISTS "{self.name}"')
        elif self.path:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)

    def with_port(self, port: int) -> str:
        """This database's URL through another port on loopback (for the TCP proxy)."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)

    def address(self) -> tuple[str, int]:
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        return u.host or "127.0.0.1", u.port or 5432


def _pg_url(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _pg_admin(server: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from portal.config import normalise_db_url

    engine = create_engine(normalise_db_url(server), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as c:
            for s in statements:
                c.execute(text(s))
    finally:
        engine.dispose()


def postgres_server(url: str | None = None) -> str | None:
    """The PostgreSQL maintenance URL to use, or None when none answers."""
    url = url or os.environ.get("PORTAL_TEST_DATABASE_URL") or os.environ.get("PROOF_DATABASE_URL")
    if not url:
        return None
    try:
        _pg_admin(url, "SELECT 1")
    except Exception:
        return None
    return url


# -- Redis ----------------------------------------------------------------------------
def redis_storage(host: str = "127.0.0.1", port: int = 6379) -> tuple[str | None, str]:
    """A Redis URI on an empty logical database for shared rate limits, or (None, why not)."""
    if not port_open(host, port):
        return None, f"no Redis answers on {host}:{port}"
    try:
        import redis  # the client the `limits` package needs for redis:// storage
    except ImportError:
        return None, "the `redis` Python client is not installed (limits needs it for redis:// storage)"
    for dbn in range(15, 0, -1):
        try:
            r = redis.Redis(host=host, port=port, db=dbn, socket_timeout=2)
            if r.dbsize() == 0:
                r.close()
                return f"redis://{host}:{port}/{dbn}", ""
            r.close()
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
            return None, f"Redis on {host}:{port} did not answer: {exc}"
    return None, "no empty Redis logical database (1-15) to use"


def redis_flush(uri: str) -> None:
    """Empty the logical database we picked (it was empty when we chose it)."""
    import redis

    m = re.match(r"redis://([^:/]+):(\d+)/(\d+)", uri)
    if m:
        r = redis.Redis(host=m.group(1), port=int(m.group(2)), db=int(m.group(3)), socket_timeout=2)
        r.flushdb()
        r.close()


# -- a site: database + instance folder -----------------------------------------------
@dataclass
class Site:
    """One portal installation: its database, instance folder, index and uploads."""

    root: Path
    database: Database
    ratelimit_uri: str = "memory://"
    jurisdictions: tuple[str, ...] = ALL_JURISDICTIONS
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))

    @property
    def data_key(self) -> str:
        """The data key of personal data, derived from the secret key so a clone reads the rows."""
        return "proof:" + base64.b64encode(hashlib.sha256(self.secret_key.encode()).digest()).decode()

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        for d in (self.instance, self.index_dir, self.upload_dir, self.logs):
            d.mkdir(parents=True, exist_ok=True)

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def upload_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def env(self, database_url: str | None = None, **extra) -> dict:
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("PORTAL_") and k != "PORTAL_TEST_DATABASE_URL":
                del env[k]
        env.update({
            "PORTAL_DATABASE_URL": database_url or self.database.url,
            "PORTAL_SECRET_KEY": self.secret_key,
            "PORTAL_DATA_KEY": self.data_key,
            "PORTAL_INSTANCE_PATH": str(self.instance),
            "PORTAL_INDEX_DIR": str(self.index_dir),
            "PORTAL_UPLOAD_DIR": str(self.upload_dir),
            "PORTAL_MAIL_FILE": str(self.root / "outbox.log"),
            "PORTAL_RATELIMIT_STORAGE_URI": self.ratelimit_uri,
            "PORTAL_JURISDICTIONS": ",".join(self.jurisdictions),
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def flask(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        """Run `flask --app portal <args>` against this site."""
        proc = subprocess.run([str(BIN / "flask"), "--app", "portal", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def setup(self, demo: bool = True) -> None:
        """What an operator runs: init-db, load-demo, reindex."""
        self.flask("portal", "init-db")
        if demo:
            self.flask("portal", "load-demo", "--password", DEMO_PASSWORD)
        self.flask("portal", "reindex")

    def clone(self, root: Path) -> Site:
        """A copy of this site (database, index, uploads) under ``root``."""
        root = Path(root).resolve()
        db = self.database.clone(root / "db" / "portal.sqlite3")
        site = Site(root, db, ratelimit_uri=self.ratelimit_uri, jurisdictions=self.jurisdictions,
                    secret_key=self.secret_key)
        for d in ("index_dir", "upload_dir"):
            shutil.rmtree(getattr(site, d), ignore_errors=True)
            shutil.copytree(getattr(self, d), getattr(site, d))
        return site

    def app_config(self, **extra) -> dict:
        config = {
            "PORTAL_DATABASE_URL": self.database.url,
            "SECRET_KEY": self.secret_key,
            "PORTAL_DATA_KEY": self.data_key,
            "INSTANCE_PATH": str(self.instance),
            "PORTAL_INDEX_DIR": str(self.index_dir),
            "PORTAL_UPLOAD_DIR": str(self.upload_dir),
            "PORTAL_MAIL_FILE": str(self.root / "outbox.log"),
            "PORTAL_JURISDICTIONS": list(self.jurisdictions),
            "RATELIMIT_STORAGE_URI": self.ratelimit_uri,
        }
        config.update(extra)
        return config

    def app(self, **extra):
        """The portal in this process, on this site (for checks and in-process faults)."""
        from portal import create_app

        return create_app(self.app_config(**extra))

    def destroy(self) -> None:
        self.database.drop()


# -- gunicorn -------------------------------------------------------------------------
ACCESS_FORMAT = '%(p)s %(h)s "%(r)s" %(s)s %(b)s %(M)s'


class Server:
    """gunicorn serving ``portal:create_app()`` for a site on a free loopback port."""

    def __init__(self, site: Site, workers: int = 2, port: int | None = None, database_url: str | None = None,
                 timeout: int = 60, name: str = "server", extra_env: dict | None = None):
        self.site = site
        self.workers = workers
        self.port = port or free_port()
        self.database_url = database_url
        self.timeout = timeout
        self.name = name
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.access_log = site.logs / f"{name}-access.log"
        self.error_log = site.logs / f"{name}-error.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 90) -> Server:
        self.access_log.write_text("")
        self.error_log.write_text("")
        cmd = [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
               "--timeout", str(self.timeout), "--graceful-timeout", "5",
               "--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT,
               "--error-logfile", str(self.error_log), "--capture-output", "--log-level", "info",
               "portal:create_app()"]
        self._out = open(self.site.logs / f"{self.name}-stdout.log", "ab")
        extra = dict(self.extra_env)
        if self.workers > 1 and self.site.ratelimit_uri.startswith("memory://"):
            # without Redis the portal refuses several workers with per-process limits; the proofs
            # then run (and report) them per process, as the operator's explicit choice would
            extra.setdefault("PORTAL_ALLOW_PER_WORKER_LIMITS", "1")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.site.env(self.database_url, **extra),
                                     stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every worker has booted and a page that needs the database answers 200."""
        from .client import Browser

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            if len(self.worker_pids()) >= self.workers:
                r = Browser(self.url, timeout=10).get("/")
                if r.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become ready in {timeout:.0f}s:\n{self.log_text()[-3000:]}")

    def warm_up(self, rounds: int = 4) -> None:
        """Load the analyzer in each worker (the first search in a worker loads jieba)."""
        from .client import Browser

        for i in range(rounds * self.workers):
            Browser(self.url, timeout=60).get(f"/search?q=身份证&warm={i}")

    @property
    def master_pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def worker_pids(self) -> list[int]:
        return children_of(self.master_pid) if self.proc and self.proc.poll() is None else []

    def kill_worker(self, pid: int | None = None) -> int | None:
        """SIGKILL one worker (gunicorn's master starts a new one)."""
        pids = self.worker_pids()
        if not pids:
            return None
        pid = pid if pid in pids else pids[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(10)
        self._out.close()
        self.proc = None

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()

    def log_text(self) -> str:
        parts = []
        for p in (self.error_log, self.site.logs / f"{self.name}-stdout.log"):
            if p.exists():
                parts.append(p.read_text(errors="replace"))
        return "\n".join(parts)

    def access_lines(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, client address, request line, status) for each logged request."""
        out = []
        if not self.access_log.exists():
            return out
        for line in self.access_log.read_text(errors="replace").splitlines():
            m = re.match(r'<?(\d+)>? (\S+) "([^"]*)" (\d{3}) ', line)
            if m:
                out.append((int(m.group(1)), m.group(2), m.group(3), int(m.group(4))))
        return out


def children_of(pid: int | None) -> list[int]:
    """Direct child processes of ``pid`` (from /proc)."""
    if not pid:
        return []
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        # the command may contain spaces and parentheses: the fields follow the last ')'
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) > 1 and rest[0] != "Z" and int(rest[1]) == pid:
            out.append(int(entry))
    return sorted(out)


# -- a TCP proxy we can cut ---------------------------------------------------------------
class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.down = False
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = False
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(128)
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if self.down:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()  # idempotent; the other direction's pump then ends with OSError
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)

    def cut(self) -> None:
        """The database becomes unreachable: open connections reset, new ones refused."""
        self.down = True
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for s in conns:
            _reset(s)

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self._stop = True
        self.cut()
        self._listener.close()
        self._thread.join(2)


def _reset(s: socket.socket) -> None:
    """Abort a connection (RST where possible) and wake any thread blocked on it."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    for step in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
        try:
            step()
        except OSError:
            pass
