"""Evidence files, stored content-addressed under the attachments directory.

Files are copied *before* the command's transaction commits, so the database never
points at a missing file; a rolled-back command leaves at most an unreferenced copy
(same content, same name: harmless and reused)."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .models.errors import InvalidInput, NotFound
from .models.files import SNIFF_BYTES, check_file_content, safe_filename

MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    filename: str
    sha256: str
    size: int
    stored_as: str


class AttachmentStore:
    def __init__(self, root: Path):
        self.root = root

    def check(self, path: Path, filename: str | None = None, *, field: str | None = None) -> None:
        """Refuse what is not a regular file of an accepted type whose content matches
        its extension (a symlink, a device like /dev/zero, a program named .pdf)."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            raise InvalidInput("attachment {path} does not exist", field=field, path=str(path)) from None
        if stat.S_ISLNK(info.st_mode):
            raise InvalidInput(
                "attachment {path} is a symbolic link; give the file itself", field=field, path=str(path)
            )
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput("attachment {path} is not a regular file", field=field, path=str(path))
        if info.st_size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                "attachment {path} is {size} MB; the limit is {limit} MB",
                path=str(path),
                size=info.st_size // (1024 * 1024),
                limit=MAX_ATTACHMENT_BYTES // (1024 * 1024),
                field=field,
            )
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        check_file_content(safe_filename(filename or path.name), head, field=field)

    def store(self, path: Path, filename: str | None = None) -> StoredFile:
        """Copy the file in; ``filename`` is the name people see (an upload's own
        name, not the temporary file's)."""
        name = safe_filename(filename or path.name)
        self.check(path, name)
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        relative = Path(sha[:2]) / (sha + Path(name).suffix.lower())
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # a private temporary name: two commands may store the same file at once
            handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
            try:
                with os.fdopen(handle, "wb") as out, path.open("rb") as source:
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        out.write(chunk)
                os.chmod(partial, 0o600)
                os.replace(partial, target)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
        return StoredFile(name, sha, size, str(relative))

    def open(self, stored_as: str) -> Path:
        """The stored file for a recorded attachment (never outside the store)."""
        target = (self.root / stored_as).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            raise NotFound("the stored file of this attachment is missing")
        return target
