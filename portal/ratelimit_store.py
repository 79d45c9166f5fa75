"""Refuse per-process rate limits when more than one process serves the portal.

With the in-memory store every gunicorn worker (and every node) keeps its own counts, so each
limit is multiplied by the number of processes and a guesser just spreads his attempts. When
more than one process serves (PORTAL_WORKERS, else gunicorn's own worker count) the store
must be shared (Redis): the portal refuses to start, unless PORTAL_ALLOW_PER_WORKER_LIMITS
says the operator accepts per-process limits, which is then logged loudly at every start.
"""
from __future__ import annotations

import sys


class SharedStoreRequired(RuntimeError):
    """Several processes serve the portal and the rate-limit store is per process."""


class LimitSettingError(ValueError):
    """A rate-limit setting that cannot be read."""


def gunicorn_workers() -> int | None:
    """The worker count of the gunicorn that is loading this app, or None when none is.

    gunicorn loads the app (in each worker, or in the master with --preload) from its
    application object's ``wsgi()``; that object holds gunicorn's own parsed configuration:
    command line, config file, GUNICORN_CMD_ARGS and WEB_CONCURRENCY alike. It is found on the
    call stack rather than parsed again here."""
    base = sys.modules.get("gunicorn.app.base")
    if base is None:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, base.BaseApplication) and getattr(owner, "cfg", None) is not None:
            return int(owner.cfg.workers)
        frame = frame.f_back
    return None


def serving_processes(app) -> int:
    """PORTAL_WORKERS when set (all nodes together), else gunicorn's worker count, else 1."""
    declared = app.config.get("PORTAL_WORKERS")
    if declared not in (None, "", 0, "0"):
        try:
            return int(declared)
        except (TypeError, ValueError):
            raise LimitSettingError(f"Refusing to start: PORTAL_WORKERS must be a whole number, not {declared!r}.")
    return gunicorn_workers() or 1


def check(app) -> None:
    """Refuse (or, when allowed, warn about) limits kept per process under several processes."""
    _check_case_limit(app)
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not uri.startswith("memory://"):
        return
    processes = serving_processes(app)
    if processes <= 1:
        return
    message = (f"{processes} processes serve the portal but rate limits are kept in each process's memory "
               f"(RATELIMIT_STORAGE_URI={uri}), so every limit is multiplied by {processes}. Set "
               "PORTAL_RATELIMIT_STORAGE_URI to a shared store, e.g. redis://127.0.0.1:6379")
    if _truthy(app.config.get("PORTAL_ALLOW_PER_WORKER_LIMITS")):
        app.logger.warning("SECURITY WARNING: %s. Starting anyway because PORTAL_ALLOW_PER_WORKER_LIMITS is set.",
                           message)
        return
    raise SharedStoreRequired(f"Refusing to start: {message} (or, to accept per-process limits, set "
                              "PORTAL_ALLOW_PER_WORKER_LIMITS=1).")


def _check_case_limit(app) -> None:
    """A limit string Flask-Limiter cannot read would be skipped at every request: refuse it now."""
    from limits import parse_many

    value = app.config.get("PORTAL_TRACK_CASE_LIMIT")
    try:
        if not parse_many(str(value)):
            raise ValueError(value)
    except ValueError:
        raise LimitSettingError(f"Refusing to start: PORTAL_TRACK_CASE_LIMIT must read like '10 per hour', "
                                f"not {value!r}.") from None


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
