"""PORTAL_PROXY_HOPS: the visitor's address and scheme come from the trusted proxies' headers only.

No source report speaks to this: it is the portal's configurable default (0, no proxy trusted).
Finding 4 of issue 14: behind a reverse proxy every visitor shared the proxy's address, so one
person's wrong guesses used up everyone's allowance, and TLS ended at the proxy went unseen.
"""
from __future__ import annotations

import pytest
from flask import request

from portal import create_app
from portal.proxy import ProxySettingError

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # the reverse proxy's own address, as the portal sees it


def _with_probe(app):
    app.add_url_rule("/_probe", "probe", lambda: {"addr": request.remote_addr, "secure": request.is_secure,
                                                  "host": request.host})
    return app


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app):
    c = _with_probe(make_app()).test_client()
    r = c.get("/_probe", environ_base=PROXY, headers={"X-Forwarded-For": "198.51.100.7",
                                                     "X-Forwarded-Proto": "https",
                                                     "X-Forwarded-Host": "evil.example"})
    assert r.json == {"addr": "10.0.0.2", "secure": False, "host": "localhost"}
    assert "Strict-Transport-Security" not in r.headers


def test_one_trusted_proxy_gives_the_visitors_address_and_scheme(make_app):
    c = _with_probe(make_app(PORTAL_PROXY_HOPS=1)).test_client()
    r = c.get("/_probe", environ_base=PROXY, headers={"X-Forwarded-For": "198.51.100.7",
                                                     "X-Forwarded-Proto": "https",
                                                     "X-Forwarded-Host": "banshi.example.cn"})
    assert r.json == {"addr": "198.51.100.7", "secure": True, "host": "banshi.example.cn"}
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    # a visitor who writes the header himself only adds to its left: the proxy appends the real address
    r = c.get("/_probe", environ_base=PROXY, headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"})
    assert r.json["addr"] == "198.51.100.7"


def test_two_trusted_proxies_read_two_hops(make_app):
    c = _with_probe(make_app(PORTAL_PROXY_HOPS="2")).test_client()
    r = c.get("/_probe", environ_base=PROXY,
              headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.0.0.1", "X-Forwarded-Proto": "https,http"})
    assert r.json["addr"] == "198.51.100.7" and r.json["secure"] is True


def _wrong_codes(c, forwarded_for: str, n: int) -> list[int]:
    return [c.post("/track", data={"number": f"KM-2026-{900000 + i:06d}", "code": "WRONG00000"},
                   environ_base=PROXY, headers={"X-Forwarded-For": forwarded_for}).status_code
            for i in range(n)]


def test_limits_count_per_visitor_behind_the_proxy(make_app):
    c = make_app(RATELIMIT_ENABLED=True, PORTAL_PROXY_HOPS=1).test_client()
    assert _wrong_codes(c, "198.51.100.7", 11) == [404] * 10 + [429]
    # another visitor behind the same proxy keeps their own allowance
    assert _wrong_codes(c, "198.51.100.8", 1) == [404]


def test_spoofed_forwarded_for_does_not_escape_the_limit_without_trusted_proxies(make_app):
    c = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [c.post("/track", data={"number": f"KM-2026-{900000 + i:06d}", "code": "WRONG00000"},
                       environ_base=PROXY, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}).status_code
                for i in range(11)]
    assert statuses == [404] * 10 + [429]


@pytest.mark.parametrize("hops", ["-1", "two", True, 1.5])
def test_a_bad_hop_count_refuses_to_start(hops, tmp_path):
    with pytest.raises(ProxySettingError, match="PORTAL_PROXY_HOPS"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "PORTAL_PROXY_HOPS": hops})
