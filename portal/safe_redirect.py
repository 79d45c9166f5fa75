"""Where a ``next=`` argument may send the browser: a path on this site, nothing else.

Checking the raw text is not enough: browsers (WHATWG URL) drop tabs and newlines anywhere,
strip leading controls and spaces and read a backslash as a slash, so ``/\\t/evil.example``
and ``/\\\\evil.example`` both lead to ``//evil.example``, another host; and CR/LF cannot be put
into a header at all (it was a 500). So any control, format or space character (Unicode's
too) or backslash refuses the target outright instead of being cleaned away.

The path is checked once more percent-decoded: ``/%2F%2Fevil.example`` is a local path to a
browser, but some servers and proxies decode it before routing and answer with a redirect
to ``//evil.example``; the portal never makes such a link itself, so refusing it costs
nothing. Dot segments are refused too, so a prefix (``/staff/``) really holds. The query and
the fragment are the page's data and are left as they are.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

#: Longer targets are refused: no page of the portal has an address this long.
MAX_LENGTH = 2048


def _clean(text: str) -> bool:
    """No character a browser would drop or reinterpret, and none a header cannot carry."""
    for ch in text:
        if ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in ("C", "Z"):
            return False
    return True


def _local(path: str, prefix: str) -> bool:
    if not path.startswith(prefix) or path.startswith("//"):
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def local_path(target: str | None, prefix: str = "/") -> str | None:
    """``target`` when it is a path on this site under ``prefix`` (which starts and ends with
    "/"), else None; the caller then sends the browser to its own default page."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH or not _clean(target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    # "///host" has no netloc to urlsplit but is another host to a browser: the raw text counts
    if parts.scheme or parts.netloc or target.startswith("//") or not _local(parts.path, prefix):
        return None
    decoded = unquote(parts.path)
    if not _clean(decoded) or not _local(decoded, prefix):
        return None
    return target
