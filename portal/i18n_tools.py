"""Catalogue chores for `make update-messages`.

English msgids are the source text, so the en catalogue is complete by copying each
msgid; zh_Hant is derived from the reviewed zh_Hans catalogue with OpenCC's s2t
conversion (character-level; it never rewrites vocabulary, unlike tw2sp/s2twp).
"""
from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def _load(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _save(catalog, path):
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True)


def fill_english(path: str) -> int:
    cat = _load(path)
    n = 0
    for msg in cat:
        if not msg.id:
            continue
        if isinstance(msg.id, tuple):
            if not all(msg.string):
                msg.string = (msg.id[0], msg.id[1])
                n += 1
        elif not msg.string:
            msg.string = msg.id
            n += 1
        msg.flags.discard("fuzzy")
    _save(cat, path)
    return n


def derive_traditional(src: str, dst: str) -> int:
    import opencc

    conv = opencc.OpenCC("s2t")
    cat = _load(src)
    cat.locale = "zh_Hant"
    n = 0
    for msg in cat:
        if not msg.id:
            continue
        if isinstance(msg.string, tuple):
            msg.string = tuple(conv.convert(s) for s in msg.string)
        elif msg.string:
            msg.string = conv.convert(msg.string)
        n += 1
    _save(cat, dst)
    return n


def main(argv=None):
    argv = argv or sys.argv[1:]
    cmd, *args = argv
    if cmd == "fill-english":
        print(f"en: {fill_english(*args)} filled")
    elif cmd == "derive-traditional":
        print(f"zh_Hant: {derive_traditional(*args)} messages")
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
