"""A jurisdiction plugin's own staff pages (hook ``portal_staff_pages``): Dazhou's rota of chief
representatives, Beijing's fault-finding days, and whatever a jurisdiction installs.

The core mounts each plugin's blueprint at ``/staff/<plugin>/`` and adds its links to the staff
navigation for the roles they name, shown only to staff who see one of the plugin's
jurisdictions. Views guard themselves with :func:`staff_page`: login, role (403), and a user who
sees none of the plugin's jurisdictions gets 404, as for any record of another jurisdiction.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Jurisdiction
from .access import can, roles_required, visible_ids


def register(app) -> None:
    """Mount every enabled plugin's staff blueprint and remember its links."""
    links = []
    for plugin, pages in app.extensions["portal_plugins"].staff_pages():
        app.register_blueprint(pages.blueprint, url_prefix=f"/staff/{plugin}")
        links.extend((plugin, link) for link in pages.links)
    app.extensions["portal_staff_links"] = links


def _plugin_of_request() -> str:
    blueprint = request.blueprint or ""
    return blueprint[: -len("_staff")] if blueprint.endswith("_staff") else ""


def jurisdictions_of(plugin: str) -> list:
    """The signed-in user's visible jurisdictions that ``plugin`` owns (kept for the request)."""
    cache = getattr(request, "portal_plugin_jurisdictions", None)
    if cache is None:
        cache = request.portal_plugin_jurisdictions = {}
    if plugin not in cache:
        host = current_app.extensions["portal_plugins"]
        # session.get answers from the identity map: the user's jurisdictions are already loaded
        # (visible_ids walks them), so the staff navigation costs no query on every page
        js = [db.session.get(Jurisdiction, i) for i in sorted(visible_ids())]
        cache[plugin] = [j for j in js if j is not None and host.owns(plugin, j.code)]
    return cache[plugin]


def staff_jurisdictions() -> list:
    """For a plugin's view: the user's visible jurisdictions that the plugin owns."""
    return jurisdictions_of(_plugin_of_request())


def staff_jurisdiction_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of :func:`staff_jurisdictions`, for a form's jurisdiction select."""
    from ..i18n import pick

    return [(j.code, pick(j, "name")) for j in staff_jurisdictions()]


def staff_page(*roles: str, post_roles: tuple[str, ...] | None = None, capability: str | None = None,
               post_capability: str | None = None):
    """Guard a plugin's staff view: logged in, allowed (else 403), and seeing at least one of the
    plugin's jurisdictions (else 404). Allowed by ``capability`` (read, act, assign, supervise,
    administer: the core's roles and every plugin's own roles count by what they can), or by role
    names (``roles``). ``post_capability`` / ``post_roles``: who may also submit its forms (a POST by
    anybody else allowed to read gets 403: they read the page, others keep it)."""
    if capability is None and not roles:
        raise ValueError("staff_page needs a capability or role names")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if capability is not None and not can(capability):
                abort(403)
            if not staff_jurisdictions():
                abort(404)
            if request.method == "POST":
                if post_roles is not None and current_user.role not in post_roles:
                    abort(403)
                if post_capability is not None and not can(post_capability):
                    abort(403)
            return view(*args, **kwargs)

        return roles_required(*roles)(guarded) if roles else login_required(guarded)

    return decorate


def nav_links() -> list[tuple[str, object]]:
    """``(url, link)`` of the plugin pages the signed-in user may open, for the staff navigation."""
    if not current_user.is_authenticated:
        return []
    out = []
    for plugin, link in current_app.extensions.get("portal_staff_links", ()):
        allowed = can(link.capability) if link.capability else current_user.role in link.roles
        if allowed and jurisdictions_of(plugin):
            out.append((url_for(f"{plugin}_staff.{link.endpoint}"), link))
    return out
