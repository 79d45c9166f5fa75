"""Language choice: ?lang= beats the remembered cookie, which beats Accept-Language."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request, url_for
from flask_babel import get_locale

LANG_COOKIE = "lang"
#: The language switch, each language named in itself.
LANGUAGES = (("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"), ("en", "English"))


def normalise(tag: str | None) -> str | None:
    """Map browser/user tags onto our three catalogues."""
    if not tag:
        return None
    t = tag.replace("-", "_").lower()
    if t in ("zh_hans", "zh_cn", "zh_sg", "zh", "zh_hans_cn"):
        return "zh_Hans"
    if t in ("zh_hant", "zh_tw", "zh_hk", "zh_mo", "zh_hant_tw", "zh_hant_hk"):
        return "zh_Hant"
    if t.startswith("en"):
        return "en"
    if t.startswith("zh_hant"):
        return "zh_Hant"
    if t.startswith("zh"):
        return "zh_Hans"
    return None


def select_locale() -> str:
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        lang = normalise(candidate)
        if lang:
            return lang
    for tag, _q in request.accept_languages:
        lang = normalise(tag)
        if lang:
            return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_url_with(**changes) -> str:
    """This page's address with some query arguments changed (None removes one).

    For a GET the path and the other arguments are kept (a search keeps its words); a page
    shown in answer to a POST (a form with errors) links to the same address, which every
    public form also serves by GET, or to the home page when it does not.
    """
    if request.method not in ("GET", "HEAD"):
        adapter = current_app.url_map.bind("")
        try:
            adapter.match(request.path, method="GET")
        except Exception:
            base, args = url_for("public.index"), {}
        else:
            base, args = request.path, {}
    else:
        base, args = request.path, {k: v for k, v in request.args.items(multi=True)}
    for key, value in changes.items():
        args.pop(key, None)
        if value is not None:
            args[key] = value
    return base + ("?" + urlencode(args) if args else "")


def lang_url(code: str) -> str:
    """The link of the language switch: this page in language ``code`` (the choice is remembered)."""
    return current_url_with(lang=code)


def here() -> str:
    """This page's own address, for ``next=`` links (the large-text switch)."""
    return current_url_with(lang=None)


def select_timezone() -> str:
    return "Asia/Shanghai"


def lang() -> str:
    """'en' or 'zh' for choosing between *_en and *_zh data columns."""
    return "en" if str(get_locale()) == "en" else "zh"


def html_lang() -> str:
    return {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}.get(str(get_locale()), "zh-Hans")


def choose(zh: str, en: str) -> str:
    """The English text in English (falling back to Chinese), else Chinese, in Traditional for zh_Hant."""
    if lang() == "en":
        return en or zh
    return to_traditional(zh) if str(get_locale()) == "zh_Hant" else zh


def pick(obj, base: str) -> str:
    """obj.<base>_en or obj.<base>_zh (or obj.<base> for Chinese-only columns) by language."""
    zh = getattr(obj, f"{base}_zh", None)
    if zh is None:
        zh = getattr(obj, base, "")
    return choose(zh or "", getattr(obj, f"{base}_en", "") or "")


def to_traditional(text: str) -> str:
    """The catalogues' own s2t conversion (with its overrides), for data shown in zh_Hant."""
    from .i18n_tools import to_traditional as convert

    return convert(text) if text else text


def _labels():
    from flask_babel import lazy_gettext as _l

    return {
        "holidays": {
            "New Year's Day": _l("New Year's Day"),
            "Spring Festival": _l("Spring Festival"),
            "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
            "Labour Day": _l("Labour Day"),
            "Dragon Boat Festival": _l("Dragon Boat Festival"),
            "Mid-autumn Festival": _l("Mid-autumn Festival"),
            "National Day": _l("National Day"),
            "Anti-Fascist 70th Day": _l("Anti-Fascist War Victory 70th Anniversary"),
        },
        "kinds": {
            "workday": _l("working day"),
            "weekend": _l("weekend"),
            "holiday": _l("public holiday"),
            "makeup_workday": _l("make-up working day"),
            "override_off": _l("local day off"),
            "override_workday": _l("local working day"),
        },
    }


def holiday_label(name: str) -> str:
    return str(_labels()["holidays"].get(name, name))


def day_kind_label(kind: str) -> str:
    return str(_labels()["kinds"].get(str(kind).lower(), kind))


def kind_label(kind: str) -> str:
    from flask_babel import gettext as _

    return {"correction": _("Guide correction"), "practice": _("Solution practice"),
            "guide": _("Service guide")}.get(kind, kind)


def role_label(role: str) -> str:
    """A role's name in the reader's language: the core's from the catalogue, a plugin's from its RoleSpec."""
    from flask_babel import gettext as _

    core = {"clerk": _("Window clerk"), "handler": _("Department handler"), "supervisor": _("Supervisor"),
            "admin": _("Administrator"), "system_admin": _("System administrator"), "public": _("The person"), "system": _("System")}
    if role in core:
        return core[role]
    from .vocabulary import current

    spec = current().role_spec(role)
    return choose(spec.label_zh, spec.label_en) if spec else role


def rating_choices():
    from .forms import RATING_CHOICES

    return [(v, str(label)) for v, label in RATING_CHOICES]
