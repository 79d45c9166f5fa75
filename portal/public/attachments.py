"""Attachments: type and size checked, stored outside the web root under generated names."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _


# The first bytes of each accepted type: the extension alone is not trusted.
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
MIME = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
MAX_FILES = 5


class AttachmentError(ValueError):
    pass


def _ext(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/"))
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_attachments(files) -> list[tuple[str, str, bytes]]:
    """Return (safe original name, extension, bytes) for each real file, or raise."""
    allowed = current_app.config["PORTAL_ATTACHMENT_TYPES"]
    limit = current_app.config["PORTAL_MAX_ATTACHMENT_BYTES"]
    out = []
    for f in files or []:
        if f is None or not getattr(f, "filename", ""):
            continue
        ext = _ext(f.filename)
        if ext not in allowed:
            raise AttachmentError(_("Only PDF, JPG and PNG files can be attached."))
        data = f.read(limit + 1)
        if len(data) > limit:
            raise AttachmentError(_("Each attachment may be at most 5 MB."))
        if not any(data.startswith(m) for m in MAGIC[ext]):
            raise AttachmentError(_("The file does not look like the type its name says."))
        original = os.path.basename(f.filename.replace("\\", "/"))[-120:]
        out.append((original, ext, data))
    if len(out) > MAX_FILES:
        raise AttachmentError(_("At most five files can be attached."))
    return out


def upload_dir() -> Path:
    path = Path(current_app.config["PORTAL_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_files(files) -> list[dict]:
    """Write validated files under generated names; rows are added with the case, in its commit."""
    directory = upload_dir()
    written = []
    for original, ext, data in files:
        stored = f"{secrets.token_hex(16)}.{ext}"
        (directory / stored).write_bytes(data)
        written.append({"stored_name": stored, "original_name": original,
                        "content_type": MIME[ext], "size": len(data)})
    return written


def discard_files(written: list[dict]) -> None:
    """Remove files whose case was not saved, so nothing is left half-written."""
    directory = upload_dir()
    for w in written:
        try:
            (directory / w["stored_name"]).unlink()
        except FileNotFoundError:
            pass
