"""Trust a configured number of reverse proxies, and no more.

Behind a proxy every request comes from the proxy's address, so the per-address rate limits
lumped all visitors together and ``request.is_secure`` never saw TLS. Werkzeug's ProxyFix takes
the visitor's address, scheme and host from the X-Forwarded-* headers, but only as many hops
as PORTAL_PROXY_HOPS says: a header a visitor writes himself is ignored (0, the default: no
proxy trusted) or sits to the left of what the trusted proxies appended, where it is not read.
"""
from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


class ProxySettingError(ValueError):
    """PORTAL_PROXY_HOPS is not a whole number of proxies."""


def proxy_hops(app) -> int:
    raw = app.config.get("PORTAL_PROXY_HOPS", 0)
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    if type(raw) is not int or raw < 0:
        raise ProxySettingError(
            f"Refusing to start: PORTAL_PROXY_HOPS must be the number of reverse proxies in front of "
            f"the portal (0 when none), not {raw!r}.")
    return raw


def install(app) -> None:
    """Wrap the WSGI app in ProxyFix when proxies are trusted (outermost, so every layer sees it)."""
    hops = proxy_hops(app)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
