"""What an evidence file may be: its name made safe to show and store, and its
content checked against its extension (a ``.pdf`` that is really a program is
refused, whatever its name says). Pure: callers pass the file's first bytes."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from .errors import InvalidInput

SNIFF_BYTES = 4096
MAX_FILENAME_LENGTH = 200

# extension → the signatures its content may start with (offset, bytes)
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    ".pdf": ((0, b"%PDF"),),
    ".jpg": ((0, b"\xff\xd8\xff"),),
    ".jpeg": ((0, b"\xff\xd8\xff"),),
    ".png": ((0, b"\x89PNG\r\n\x1a\n"),),
    ".gif": ((0, b"GIF87a"), (0, b"GIF89a")),
    ".webp": ((8, b"WEBP"),),
    ".heic": ((4, b"ftypheic"), (4, b"ftypheix"), (4, b"ftypmif1"), (4, b"ftypmsf1"), (4, b"ftypheif")),
    ".heif": ((4, b"ftypheic"), (4, b"ftypmif1"), (4, b"ftypheif")),
    # Office Open XML and OpenDocument are zip files
    ".docx": ((0, b"PK\x03\x04"),),
    ".xlsx": ((0, b"PK\x03\x04"),),
    ".pptx": ((0, b"PK\x03\x04"),),
    ".odt": ((0, b"PK\x03\x04"),),
    ".ods": ((0, b"PK\x03\x04"),),
    ".zip": ((0, b"PK\x03\x04"),),
    # the older Office formats are OLE compound files
    ".doc": ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),),
    ".xls": ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),),
    ".ppt": ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),),
    ".mp4": ((4, b"ftyp"),),
    ".mov": ((4, b"ftyp"), (4, b"moov"), (4, b"wide")),
}
_TEXT = {".txt", ".csv", ".md"}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif")
ALLOWED_EXTENSIONS = tuple(sorted({*_SIGNATURES, *_TEXT}))

# programs and scripts, refused whatever the name says
_EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


def safe_filename(name: str) -> str:
    """The last component of an uploaded file name (browsers may send a whole path),
    without control characters, trimmed, at most MAX_FILENAME_LENGTH characters, the
    extension kept."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().strip(".") or "file"
    if len(base) > MAX_FILENAME_LENGTH:
        suffix = PurePosixPath(base).suffix[:16]
        base = base[: MAX_FILENAME_LENGTH - len(suffix)] + suffix
    return base


def check_photo_name(filename: str, *, field: str | None = None) -> None:
    """Refuse a file sent as a photo (a stage's site photos) whose name is not an
    image's; its content is then checked against the name like any file's."""
    if PurePosixPath(filename).suffix.lower() not in IMAGE_EXTENSIONS:
        raise InvalidInput(
            "{file}: a photo must be an image file (accepted: {accepted})",
            field=field,
            file=filename,
            accepted=" ".join(IMAGE_EXTENSIONS),
        )


def check_file_content(filename: str, head: bytes, *, field: str | None = None) -> str:
    """Refuse a file whose extension is not an evidence type, or whose first bytes do
    not match its extension; returns the extension (lower case)."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise InvalidInput(
            "{file}: files of type {suffix} are not accepted (accepted: {accepted})",
            field=field,
            file=filename,
            suffix=suffix or "—",
            accepted=" ".join(ALLOWED_EXTENSIONS),
        )
    if not head:  # told as what it is, not as a file whose first bytes are wrong
        raise InvalidInput("{file}: the file is empty (0 bytes)", field=field, file=filename)
    if head.startswith(_EXECUTABLE):
        raise InvalidInput(
            "{file}: the file is a program, not a {suffix} document",
            field=field,
            file=filename,
            suffix=suffix,
        )
    if suffix in _TEXT:
        if b"\x00" in head:
            raise InvalidInput("{file}: the content is not text", field=field, file=filename)
        return suffix
    signatures = _SIGNATURES[suffix]
    if not any(head[offset : offset + len(magic)] == magic for offset, magic in signatures):
        raise InvalidInput(
            "{file}: the content is not a {suffix} file (its first bytes say otherwise)",
            field=field,
            file=filename,
            suffix=suffix,
        )
    return suffix
