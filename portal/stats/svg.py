"""Trend charts drawn on the server as inline SVG: no script, no style attribute or element
(the Content-Security-Policy forbids both), presentation attributes only. Each chart is an
``img`` with a <title> and <desc>; the page puts the same numbers in a table beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

# A narrow drawing scaled up on wide screens, so its text stays legible on a 360 px phone.
WIDTH, HEIGHT = 420, 220
LEFT, RIGHT, TOP, BOTTOM = 54, 14, 12, 34
FONT = 'font-family="sans-serif" font-size="14"'
AXIS = "#555555"
GRID = "#dddddd"
BAR = "#0b4f9c"
MAX_LABELS = 4


@dataclass(frozen=True)
class Series:
    """One line of a rate chart: values in percent, None where there are too few cases."""

    name: str
    colour: str
    dash: str  # stroke-dasharray ("" = solid), so lines differ without colour too
    values: list[float | None]


#: Colours and dashes of the four rate lines (contrast >= 4.5:1 on white).
RATE_STYLES = {
    "response": ("#0b4f9c", ""),
    "on_time": ("#00703c", "8 4"),
    "completion": ("#8a1c00", "2 4"),
    "satisfaction": ("#5a2d82", "10 4 2 4"),
}


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _x_positions(n: int) -> tuple[list[float], float]:
    inner = WIDTH - LEFT - RIGHT
    slot = inner / max(n, 1)
    return [LEFT + slot * (i + 0.5) for i in range(n)], slot


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _axis_labels(labels: list[str], xs: list[float]) -> list[str]:
    n = len(labels)
    step = max(1, math.ceil(n / MAX_LABELS))
    out = []
    for i in range(0, n, step):
        out.append(f'<text x="{_fmt(xs[i])}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                   f'fill="{AXIS}" {FONT}>{escape(labels[i])}</text>')
    return out


def _frame(uid: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH * 3 // 2}" '
            f'height="{HEIGHT * 3 // 2}" role="img" aria-labelledby="{uid}-t {uid}-d" focusable="false">'
            f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _y_grid(ymax: float, suffix: str = "") -> list[str]:
    out = []
    inner = HEIGHT - TOP - BOTTOM
    for i in range(5):
        v = ymax * i / 4
        y = TOP + inner - inner * i / 4
        out.append(f'<line x1="{LEFT}" y1="{_fmt(y)}" x2="{WIDTH - RIGHT}" y2="{_fmt(y)}" '
                   f'stroke="{GRID if i else AXIS}" stroke-width="1"/>')
        label = _fmt(v) if v != int(v) else str(int(v))
        out.append(f'<text x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end" fill="{AXIS}" {FONT}>'
                   f'{escape(label)}{escape(suffix)}</text>')
    return out


def bar_chart(uid: str, title: str, desc: str, labels: list[str], values: list[int]) -> Markup:
    """Counts per month as bars, each with its own <title> ("2026-03: 12")."""
    ymax = nice_max(max(values, default=0))
    if ymax < 4:
        ymax = 4
    inner = HEIGHT - TOP - BOTTOM
    xs, slot = _x_positions(len(values))
    width = min(40.0, max(1.0, slot * 0.7))
    body = _y_grid(ymax)
    for x, label, v in zip(xs, labels, values):
        h = inner * v / ymax
        body.append(f'<rect x="{_fmt(x - width / 2)}" y="{_fmt(TOP + inner - h)}" width="{_fmt(width)}" '
                    f'height="{_fmt(h)}" fill="{BAR}"><title>{escape(label)}: {v}</title></rect>')
    body += _axis_labels(labels, xs)
    return _frame(uid, title, desc, body)


def rate_chart(uid: str, title: str, desc: str, labels: list[str], series: list[Series]) -> Markup:
    """Rates in percent per month as lines; months with too few cases are left as gaps."""
    inner = HEIGHT - TOP - BOTTOM
    xs, _slot = _x_positions(len(labels))
    body = _y_grid(100, "%")
    for s in series:
        segment: list[str] = []
        segments: list[list[str]] = []
        for x, v in zip(xs, s.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{_fmt(x)},{_fmt(TOP + inner - inner * v / 100)}")
        if segment:
            segments.append(segment)
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        for seg in segments:
            if len(seg) > 1:
                body.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{s.colour}" '
                            f'stroke-width="2.5"{dash}/>')
        for x, label, v in zip(xs, labels, s.values):
            if v is not None:
                y = TOP + inner - inner * v / 100
                body.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{s.colour}">'
                            f'<title>{escape(s.name)}, {escape(label)}: {_fmt(v)}%</title></circle>')
    body += _axis_labels(labels, xs)
    return _frame(uid, title, desc, body)


def swatch(colour: str, dash: str = "") -> Markup:
    """A small line sample for an HTML legend (decorative: the legend text says it all)."""
    dash_attr = f' stroke-dasharray="{escape(dash)}"' if dash else ""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 10" width="36" height="10" '
                  f'aria-hidden="true" focusable="false"><line x1="0" y1="5" x2="36" y2="5" '
                  f'stroke="{escape(colour)}" stroke-width="3"{dash_attr}/></svg>')
