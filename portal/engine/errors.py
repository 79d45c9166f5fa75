"""Errors the engine raises; each carries a message in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class EngineError(Exception):
    """Base: an action was refused and nothing was changed."""

    status = 400

    def __init__(self, message=None, **details):
        self.message = message if message is not None else _l("The action could not be completed.")
        self.details = details
        super().__init__(str(self.message))


class NotAllowed(EngineError):
    """The workflow or the actor's role does not allow this action now."""

    status = 403


class Conflict(EngineError):
    """Someone else changed the case first (optimistic locking)."""

    status = 409

    def __init__(self, message=None, **details):
        super().__init__(
            message or _l("Someone else has acted on this case since you opened it. "
                          "Nothing was changed; please reload the case and try again."),
            **details,
        )


class Invalid(EngineError):
    """The input is incomplete or wrong."""

    status = 422
