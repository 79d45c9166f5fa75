"""Attachments: type and size checked, stored outside the web root under generated names.

The name a browser sends is only ever kept as a label (its last path component, without
control characters); the file on disk gets a random name in PORTAL_UPLOAD_DIR, which
must not lie inside the static folder. The type is decided by the file's first bytes,
never by its name or the Content-Type the browser claims.
"""
from __future__ import annotations

import os
import re
import secrets
import unicodedata
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
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069/\\:*?\"<>|]")


class AttachmentError(ValueError):
    pass


def safe_original_name(filename: str) -> str:
    """The label kept for a file: last path component, no control or path characters."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:8]) if dot else name[:120]
    return name or "attachment"


def _ext(filename: str) -> str:
    name = safe_original_name(filename)
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_attachments(files) -> list[tuple[str, str, bytes]]:
    """Return (safe original name, extension, bytes) for each real file, or raise."""
    allowed = current_app.config["PORTAL_ATTACHMENT_TYPES"]
    limit = current_app.config["PORTAL_MAX_ATTACHMENT_BYTES"]
    real = [f for f in files or [] if f is not None and getattr(f, "filename", "")]
    if len(real) > MAX_FILES:
        raise AttachmentError(_("At most five files can be attached."))
    out = []
    for f in real:
        label = safe_original_name(f.filename)
        ext = _ext(f.filename)
        if ext not in allowed or ext not in MAGIC:
            raise AttachmentError(_("%(name)s: only PDF, JPG and PNG files can be attached.", name=label))
        data = f.read(limit + 1)
        if not data:
            raise AttachmentError(_("%(name)s: the file is empty.", name=label))
        if len(data) > limit:
            raise AttachmentError(_("%(name)s: each attachment may be at most %(mb)d MB.", name=label,
                                    mb=limit // (1024 * 1024) or 1))
        if not any(data.startswith(m) for m in MAGIC[ext]):
            raise AttachmentError(_("%(name)s: the file does not look like the type its name says.", name=label))
        out.append((label, ext, data))
    return out


def upload_dir() -> Path:
    path = Path(current_app.config["PORTAL_UPLOAD_DIR"]).resolve()
    static = Path(current_app.static_folder or "").resolve() if current_app.static_folder else None
    if static is not None and (path == static or static in path.parents):
        raise RuntimeError("PORTAL_UPLOAD_DIR must not be inside the static folder (the web root)")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)  # owner-only: complainants' files
    return path


def write_files(files) -> list[dict]:
    """Write validated files under generated names; rows are added with the case, in its commit."""
    directory = upload_dir()
    written: list[dict] = []
    try:
        for original, ext, data in files:
            stored = f"{secrets.token_hex(16)}.{ext}"
            fd = os.open(directory / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            written.append({"stored_name": stored, "original_name": original,
                            "content_type": MIME[ext], "size": len(data)})
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except BaseException:
        discard_files(written)
        raise
    return written


def discard_files(written: list[dict]) -> None:
    """Remove files whose case was not saved, so nothing is left half-written."""
    directory = upload_dir()
    for w in written:
        try:
            (directory / w["stored_name"]).unlink()
        except FileNotFoundError:
            pass
