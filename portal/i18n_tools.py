"""Catalogue chores: `make extract-messages`, `make update-messages`, `make translations`.

English msgids are the source text, so the en catalogue is complete by copying each
msgid; zh_Hant is derived from the reviewed zh_Hans catalogue with OpenCC's s2t
conversion (character-level; it never rewrites vocabulary, unlike tw2sp/s2twp), followed
by a small table of corrections (``TRADITIONAL_OVERRIDES``) for the variant characters that
s2t prefers but Traditional-Chinese readers do not (爲 → 為, 覈查 → 核查, ...), and 「」 quotes.

The core's catalogues live in the top-level ``translations/`` folder (shipped inside the wheel
as ``portal/translations/``); each plugin ships its own in ``<plugin package>/translations/``,
extracted from that package alone, and the portal merges every enabled plugin's catalogues with
its own at start (``prepare_catalogues``).

Commands (``python -m portal.i18n_tools ...``):

    extract POT                       pull every msgid of the core (portal/) into POT
    update DIR SOURCE... [--seed D]   extract SOURCE folders into DIR/messages.pot, merge it into
                                      DIR's three catalogues (created when missing; no fuzzy
                                      guesses; removed msgids dropped), fill en, derive zh_Hant;
                                      --seed D fills new entries from the catalogues in D
    update-plugin FOLDER [--seed D]   the same for one plugin package: FOLDER/translations from
                                      FOLDER's Python and templates, then lists what is left
    fill-english PO                   msgstr = msgid for every empty entry of the en catalogue
    derive-traditional SRC DST        rewrite DST (zh_Hant) from SRC (zh_Hans)
    compile [DIR]                     write the .mo files that are missing or stale
    compile-into TARGET               compile the packaged catalogues into TARGET (as an installed
                                      portal does at start when it ships no .mo files)
    check [DIR [POT]]                 list untranslated, fuzzy or malformed entries (exit 1 if any)
                                      against POT, or a fresh extraction

The tests use the same functions (``extract``, ``catalogue_problems``, ``compile_catalogues``).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def _core_catalogues() -> Path:
    """Where the core's catalogues are: ``portal/translations/`` in an installed wheel (pyproject's
    package-dir maps the top-level ``translations/`` folder there), the top-level ``translations/``
    folder in a checkout (an editable install)."""
    packaged = Path(__file__).resolve().parent / "translations"
    return packaged if packaged.is_dir() else ROOT / "translations"


#: The core's catalogues. The .mo files are compiled, not committed: `make translations` writes
#: them here in a checkout; an installed portal without them compiles them at start into its
#: instance folder (``prepare_catalogues``), and BABEL_TRANSLATION_DIRECTORIES points at the result.
TRANSLATIONS = _core_catalogues()
DOMAIN = "messages"
LOCALES = ("zh_Hans", "zh_Hant", "en")
CHINESE = ("zh_Hans", "zh_Hant")

#: The one definition of what is extracted (the Makefile and the tests both call ``extract``).
KEYWORDS = ("_l", "lazy_gettext")
#: The core's sources; each plugin package is extracted on its own (``update_plugin``).
SOURCE_DIRS = ("portal",)

#: Applied in order after OpenCC s2t. s2t follows the "inherited" character forms; the
#: forms used on Traditional-Chinese government sites (Taiwan MOE standard) are these.
#: Phrases first, then single characters. Keep the table short and reviewed.
TRADITIONAL_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("賬號", "帳號"),
    ("賬戶", "帳戶"),
    ("爲", "為"),
    ("羣", "群"),
    ("衆", "眾"),
    ("啓", "啟"),
    ("裏", "裡"),
    ("覈", "核"),   # 覈查/覈驗/覈對 → 核查/核驗/核對
    ("佈", "布"),   # 發佈/公佈 → 發布/公布
    ("“", "「"),    # corner brackets for quotation marks
    ("”", "」"),
    ("‘", "『"),
    ("’", "』"),
)

#: zh msgstrs allowed to be identical to their English msgid (names of formats etc.).
SAME_IN_CHINESE = frozenset({"CSV", "JSON"})


# --------------------------------------------------------------------------- files

def _load(path) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh)


_DATE_LINES = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.M)


def _same_but_dates(old: bytes, new: bytes) -> bool:
    """Whether two catalogues differ only in their header's dates (re-extracting unchanged sources)."""
    return _DATE_LINES.sub(b"", old) == _DATE_LINES.sub(b"", new)


def _replace_unless_only_dates(tmp: Path, path: Path) -> None:
    """Move ``tmp`` over ``path``, or drop it when only the dates changed: an unchanged catalogue
    keeps its file, so `make update-messages` leaves no diff behind."""
    if path.exists() and _same_but_dates(path.read_bytes(), tmp.read_bytes()):
        tmp.unlink()
        return
    os.replace(tmp, path)


def _save(catalog: Catalog, path) -> None:
    path = Path(path)
    tmp = Path(f"{path}.tmp")
    with open(tmp, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True)
    _replace_unless_only_dates(tmp, path)


def po_path(locale: str, directory=None) -> Path:
    return Path(directory or TRANSLATIONS) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


# --------------------------------------------------------------------------- extract

def extract(output, *, sources=None, quiet: bool = True) -> Catalog:
    """Run ``pybabel extract`` (in this interpreter) over ``sources`` (default: the core, portal/)
    into ``output``: Python files and every ``templates/`` folder's HTML (babel.cfg)."""
    from babel.messages.frontend import CommandLineInterface

    sources = [Path(d) for d in sources] if sources else [ROOT / d for d in SOURCE_DIRS]
    output = Path(output)
    fresh = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    argv = ["pybabel"] + (["--quiet"] if quiet else []) + [
        "extract", "-F", str(ROOT / "babel.cfg"),
        *[arg for k in KEYWORDS for arg in ("-k", k)],
        "-o", str(fresh), "--no-location", "--sort-output", "--no-wrap",
        "--project", "bancheng-portal", "--copyright-holder", "the Bancheng authors",
        *[str(d) for d in sources],
    ]
    CommandLineInterface().run(argv)
    _replace_unless_only_dates(fresh, output)
    return _load(output)


# --------------------------------------------------------------------------- update

def _new_catalogue(locale: str, template: Catalog) -> Catalog:
    cat = Catalog(locale=locale, project=template.project, copyright_holder=template.copyright_holder,
                  fuzzy=False)
    cat.language_team = f"{locale} <LL@li.org>"
    return cat


def update(directory, sources, *, seed=None) -> Catalog:
    """Bring ``directory``'s catalogues up to date with ``sources``: extract them into
    ``directory/messages.pot``; merge it into the zh_Hans and en catalogues (created when missing),
    without fuzzy guesses (a changed msgid is a new, empty entry) and dropping msgids that are gone;
    give new entries the translation ``seed``'s catalogue of the same locale has, if any (a plugin
    reusing the core's wording, or catalogues being split); fill en from the msgids; derive zh_Hant
    from zh_Hans. Returns the template. What is still untranslated is what ``check`` lists."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pot = directory / f"{DOMAIN}.pot"
    template = extract(pot, sources=sources)
    for locale in ("zh_Hans", "en"):
        path = po_path(locale, directory)
        cat = _load(path) if path.exists() else _new_catalogue(locale, template)
        # a fresh copy of the template each time: Catalog.update adopts the template's new
        # Message objects themselves, so a shared template would carry one locale's strings into the next
        cat.update(_load(pot), no_fuzzy_matching=True, update_header_comment=False)
        cat.obsolete.clear()
        donor_path = po_path(locale, seed) if seed else None
        if donor_path is not None and donor_path.exists():
            donor = _load(donor_path)
            for msg in cat:
                if msg.id and not any(_strings(msg)):
                    found = donor.get(msg.id, msg.context)
                    if found is not None and not found.fuzzy and all(_strings(found)):
                        msg.string = found.string
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(cat, path)
    fill_english(po_path("en", directory))
    hant = po_path("zh_Hant", directory)
    hant.parent.mkdir(parents=True, exist_ok=True)
    derive_traditional(po_path("zh_Hans", directory), hant)
    return template


def plugin_catalogues(folder) -> Path:
    """A plugin package's catalogue folder: ``<package>/translations``."""
    return Path(folder) / "translations"


def update_plugin(folder, *, seed=None) -> Catalog | None:
    """``update`` for one plugin package: its own Python and templates, its own catalogues. A
    package with no strings to translate and no catalogues yet gets none (returns None)."""
    import tempfile

    target = plugin_catalogues(folder)
    if not target.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            if not any(m.id for m in extract(Path(tmp) / f"{DOMAIN}.pot", sources=[folder])):
                return None
    return update(target, [folder], seed=seed)


# --------------------------------------------------------------------------- fill / derive

def fill_english(path: str) -> int:
    cat = _load(path)
    n = 0
    for msg in cat:
        if not msg.id:
            continue
        if isinstance(msg.id, tuple):
            if not isinstance(msg.string, tuple) or len(msg.string) != cat.num_plurals or not all(msg.string):
                msg.string = (msg.id[0],) + (msg.id[1],) * (cat.num_plurals - 1)
                n += 1
        elif not msg.string:
            msg.string = msg.id
            n += 1
        msg.flags.discard("fuzzy")
    _save(cat, path)
    return n


_S2T = None


def to_traditional(text: str) -> str:
    """Simplified → Traditional as the zh_Hant catalogue has it: OpenCC s2t, then the overrides."""
    global _S2T
    if not text:
        return text
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    out = _S2T.convert(text)
    for old, new in TRADITIONAL_OVERRIDES:
        out = out.replace(old, new)
    return out


def derive_traditional(src: str, dst: str) -> int:
    """Rewrite the zh_Hant catalogue from zh_Hans: same entries and flags, converted text."""
    cat = _load(src)
    cat.locale = "zh_Hant"
    cat.language_team = "zh_Hant <LL@li.org>"
    n = 0
    for msg in cat:
        if not msg.id:
            continue
        if isinstance(msg.string, tuple):
            msg.string = tuple(to_traditional(s) for s in msg.string)
        elif msg.string:
            msg.string = to_traditional(msg.string)
        n += 1
    _save(cat, dst)
    return n


# --------------------------------------------------------------------------- compile

def compile_catalogues(directory=None) -> list[Path]:
    """Write ``<locale>/LC_MESSAGES/messages.mo`` next to every .po under ``directory``
    (default: the core's, ``TRANSLATIONS``) when it is missing or differs from what the .po
    compiles to. Fuzzy entries are left out, as ``pybabel compile`` does. Returns the .mo
    files written (an empty list when all were current)."""
    written = []
    for po in sorted(Path(directory or TRANSLATIONS).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        data = _compiled_mo(po)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.read_bytes() == data:
            if mo.stat().st_mtime < po.stat().st_mtime:
                os.utime(mo)  # current, so say so: prepare_catalogues trusts a .mo not older than its .po
            continue
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, mo)  # atomic: a concurrent reader sees the old or the new file
        written.append(mo)
    return written


def _compiled_mo(po: Path) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, _load(po), use_fuzzy=False)
    return buf.getvalue()


def _fresh_next_to_po(directory: Path) -> bool:
    """Every .po under ``directory`` has a .mo beside it that is not older than the .po."""
    pos = list(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if not pos:
        return False
    for po in pos:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return False
    return True


def compile_into(target, source=None) -> list[Path]:
    """Compile the .po files under ``source`` (the packaged catalogues) into ``target``
    (``<locale>/LC_MESSAGES/messages.mo``), each only when it is missing or was compiled from a
    different .po: a sidecar ``messages.mo.sha1`` records the .po's hash, because an upgraded
    wheel may install .po files with older timestamps than the .mo compiled from their
    predecessors. Atomic writes, so workers starting together are safe."""
    source, target = Path(source or TRANSLATIONS), Path(target)
    written = []
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        digest = hashlib.sha1(po.read_bytes()).hexdigest()
        mo = target / po.relative_to(source).with_suffix(".mo")
        stamp = mo.with_name(mo.name + ".sha1")
        if mo.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        for path, data in ((mo, _compiled_mo(po)), (stamp, digest.encode())):
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        written.append(mo)
    return written


def prepare_catalogues(app, plugin_catalogues=()) -> None:
    """At app start: make sure Flask-Babel finds compiled catalogues, the core's and those of every
    enabled plugin (``plugin_catalogues``: ``(plugin name, folder)`` pairs).

    A checkout after `make translations` has fresh .mo files beside the .po files and uses them.
    An installed portal or plugin (a wheel ships only the .po files), or a checkout with missing or
    stale .mo files, compiles them into ``<instance>/translations`` (the core's) and
    ``<instance>/plugin-translations/<plugin>``. A core directory configured by the operator is
    used as it is. BABEL_TRANSLATION_DIRECTORIES lists the plugins' folders first and the core's
    last: Flask-Babel merges them in that order, so a msgid the core also has keeps the core's
    translation and no plugin rewords the core's pages."""
    instance = Path(app.instance_path)
    configured = app.config.get("BABEL_TRANSLATION_DIRECTORIES")
    if configured and Path(configured).resolve() != TRANSLATIONS.resolve():
        core = str(configured)
    else:
        core = _ready(TRANSLATIONS, instance / "translations")
    folders = [_ready(Path(folder), instance / "plugin-translations" / name)
               for name, folder in plugin_catalogues if list(Path(folder).glob(f"*/LC_MESSAGES/{DOMAIN}.po"))]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([*folders, core])


def _ready(source: Path, target: Path) -> str:
    """The folder Flask-Babel should read ``source``'s catalogues from: ``source`` itself when its
    compiled files are fresh, else ``target`` after compiling them there."""
    if _fresh_next_to_po(source):
        return str(source)
    try:
        compile_into(target, source)
    except OSError as exc:  # an unwritable instance folder: compile into a private temp folder
        import tempfile

        fallback = Path(tempfile.mkdtemp(prefix="bancheng-translations-"))
        logging.getLogger(__name__).warning("cannot write catalogues to %s (%s); using %s", target, exc, fallback)
        compile_into(fallback, source)
        return str(fallback)
    return str(target)


# --------------------------------------------------------------------------- checks

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def placeholders(text: str) -> tuple[Counter, int]:
    """The %-placeholders of ``text`` ((name, conversion) counted; '%%' included) and the
    number of '%' signs that are not part of any valid placeholder."""
    found = Counter()
    covered = 0
    for m in PYTHON_FORMAT.finditer(text):
        found[(m.group(1), m.group(3))] += 1
        covered += m.group(0).count("%")
    return found, text.count("%") - covered


def _same_placeholders(msgid: str, msgstr: str) -> bool:
    want, _ = placeholders(msgid)
    got, stray = placeholders(msgstr)
    if stray:
        return False
    if any(name for name, _conv in want) or any(name for name, _conv in got):
        # Named placeholders: the same set (repeating or reordering one is fine).
        return set(want) == set(got)
    return want == got


def _strings(msg: Message) -> tuple[str, ...]:
    return msg.string if isinstance(msg.string, tuple) else (msg.string,)


def message_problems(catalog: Catalog, msg: Message | None, tmpl: Message, *, chinese: bool) -> list[str]:
    """What is wrong with one entry of ``catalog`` for template message ``tmpl``."""
    if msg is None:
        return ["missing"]
    out = []
    if msg.fuzzy:
        out.append("fuzzy")
    strings = _strings(msg)
    if isinstance(tmpl.id, tuple):
        if len(strings) != catalog.num_plurals:
            out.append(f"{len(strings)} plural forms, the catalogue has {catalog.num_plurals}")
    if not all(strings):
        out.append("untranslated")
        return out
    ids = tmpl.id if isinstance(tmpl.id, tuple) else (tmpl.id,)
    for i, s in enumerate(strings):
        if len(ids) == 1:
            ref = ids[0]
        elif catalog.num_plurals == 1:
            ref = ids[1]
        else:
            ref = ids[0] if i == 0 else ids[1]
        if not _same_placeholders(ref, s):
            out.append(f"placeholders differ in {s!r}")
        if chinese and s == ids[0] and ids[0] not in SAME_IN_CHINESE and re.search("[A-Za-z]", s) \
                and not _CJK.search(s):
            out.append(f"left in English: {s!r}")
    return out


def catalogue_problems(catalog: Catalog, template: Catalog) -> dict[str, list[str]]:
    """{msgid: [problems]} for every template msgid that the catalogue lacks or gets wrong."""
    chinese = str(catalog.locale).startswith("zh")
    problems = {}
    for tmpl in template:
        if not tmpl.id:
            continue
        msg = catalog.get(tmpl.id, tmpl.context)
        found = message_problems(catalog, msg, tmpl, chinese=chinese)
        if found:
            key = tmpl.id[0] if isinstance(tmpl.id, tuple) else tmpl.id
            problems[key] = found
    return problems


def header_problems(catalog: Catalog, locale: str) -> list[str]:
    out = []
    if catalog.fuzzy:
        out.append("the header is marked fuzzy (pybabel compile would skip the whole catalogue)")
    if str(catalog.locale) != locale:
        out.append(f"Language is {catalog.locale}, expected {locale}")
    if locale.startswith("zh") and catalog.plural_forms != "nplurals=1; plural=0;":
        out.append(f"Plural-Forms is {catalog.plural_forms!r}, expected 'nplurals=1; plural=0;'")
    return out


def check(directory=None, template=None) -> dict[str, dict[str, list[str]]]:
    """Problems per locale against ``template`` (a fresh extraction when not given)."""
    import tempfile

    if template is None:
        with tempfile.TemporaryDirectory() as tmp:
            template = extract(Path(tmp) / "messages.pot")
    report = {}
    for locale in LOCALES:
        path = po_path(locale, directory)
        if not path.exists():
            report[locale] = {"": ["catalogue missing"]}
            continue
        cat = _load(path)
        found = catalogue_problems(cat, template)
        head = header_problems(cat, locale)
        if head:
            found[""] = head
        if found:
            report[locale] = found
    return report


# --------------------------------------------------------------------------- CLI

def _print_check(directory, template) -> bool:
    """Print what ``check`` finds; True when nothing."""
    report = check(directory, template)
    for locale, problems in report.items():
        for msgid, what in problems.items():
            print(f"{locale}: {msgid!r}: {'; '.join(what)}")
    if not report:
        print(f"all catalogues complete ({directory or TRANSLATIONS})")
    return not report


def main(argv=None):
    argv = argv or sys.argv[1:]
    if not argv:
        raise SystemExit(__doc__)
    cmd, *args = argv
    seed = None
    if "--seed" in args:
        i = args.index("--seed")
        seed = args[i + 1]
        args = args[:i] + args[i + 2:]
    if cmd == "extract":
        cat = extract(args[0] if args else TRANSLATIONS / f"{DOMAIN}.pot")
        print(f"{sum(1 for m in cat if m.id)} msgids extracted")
    elif cmd == "update":
        template = update(args[0], args[1:], seed=seed)
        _print_check(args[0], template)
    elif cmd == "update-plugin":
        template = update_plugin(args[0], seed=seed)
        if template is None:
            print(f"{args[0]}: no strings to translate, no catalogues")
        else:
            _print_check(plugin_catalogues(args[0]), template)
    elif cmd == "fill-english":
        print(f"en: {fill_english(*args)} filled")
    elif cmd == "derive-traditional":
        print(f"zh_Hant: {derive_traditional(*args)} messages")
    elif cmd == "compile":
        for mo in compile_catalogues(*args):
            print(f"compiled {mo}")
    elif cmd == "compile-into":
        for mo in compile_into(*args):
            print(f"compiled {mo}")
    elif cmd == "check":
        directory = args[0] if args else None
        if not _print_check(directory, _load(args[1]) if len(args) > 1 else None):
            raise SystemExit(1)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
