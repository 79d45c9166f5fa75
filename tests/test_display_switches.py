"""Issue 14 (low): the language and large-text switches stay GET links, harmless by design
(see public.pages.toggle_large): fixed values only, a display preference in the visitor's own
browser, nothing on the server, a safe redirect; and a repeated or prefetched GET changes
nothing more than the first (the link names the size it switches to).

Security setting, no source report: the portal's own rule.
"""
from __future__ import annotations

import re


def _large_cookie(r) -> str | None:
    for raw in r.headers.getlist("Set-Cookie"):
        if raw.startswith("large="):
            return raw.split(";", 1)[0].split("=", 1)[1]
    return None


def test_the_large_text_switch_is_idempotent(client):
    assert _large_cookie(client.get("/large-text?size=large&next=/")) == "1"
    assert _large_cookie(client.get("/large-text?size=large&next=/")) == "1"  # a replay or a prefetch
    assert _large_cookie(client.get("/large-text?size=standard&next=/")) == "0"
    assert _large_cookie(client.get("/large-text?size=standard&next=/")) == "0"


def test_the_page_links_to_the_size_it_switches_to(client):
    html = client.get("/guides").get_data(as_text=True)
    link = re.search(r'class="large-toggle" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "size=large" in link
    client.get(link)
    html = client.get("/guides").get_data(as_text=True)
    link = re.search(r'class="large-toggle" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "size=standard" in link and "large.css" in html


def test_only_fixed_values_are_stored(client):
    r = client.get("/large-text?size=<script>&next=/")
    assert r.status_code == 303 and _large_cookie(r) in ("0", "1")
    r = client.get("/?lang=<script>")
    assert r.status_code == 200 and not any(c.startswith("lang=") for c in r.headers.getlist("Set-Cookie"))
    r = client.get("/?lang=zh-TW")
    assert any(c.startswith("lang=zh_Hant;") for c in r.headers.getlist("Set-Cookie"))
