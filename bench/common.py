"""Helpers shared by the search and filing benchmarks: percentiles, the machine,
gunicorn on loopback, and the README sections they keep."""
from __future__ import annotations

import json
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
VENV_BIN = Path(sys.executable).parent


def log(tag: str, msg: str) -> None:
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def machine() -> str:
    """`nproc`, RAM, Python and the load when the run ended (the machine is shared)."""
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:  # pragma: no cover
        ram = "RAM unknown"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores (nproc), {ram}, Python {platform.python_version()}, "
            f"SQLite {__import__('sqlite3').sqlite_version}; load average at the end {load}")


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", "-m", _module()] + sys.argv[1:])


def _module() -> str:
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    return spec.name if spec else Path(sys.argv[0]).stem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving ``app`` on a free loopback port, stopped on exit."""

    def __init__(self, app: str, env: dict, workers: int = 1, tag: str = "bench", timeout: float = 120,
                 log_path: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app, self.workers, self.tag = app, workers, tag
        self.env = {**os.environ, **env}
        self.timeout = timeout
        self.log_path = log_path
        self.proc = None

    def __enter__(self):
        cmd = [str(VENV_BIN / "gunicorn"), self.app, "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers),
               "--timeout", "300", "--graceful-timeout", "5", "--log-level", "warning"]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in time")

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.proc.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the session gunicorn leads: master and workers
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- {name}:start -->`` and
    ``<!-- {name}:end -->`` of bench/README.md; every other section is kept."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _old, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def publish(section: str, text: str, results: dict, args) -> None:
    """Print a benchmark's report, and write its figures to --json and its README section
    when asked: the ending every benchmark shares."""
    print(text)
    if getattr(args, "json", None):
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    if getattr(args, "write_readme", False):
        write_section(section, text)


def stamp() -> str:
    return datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
