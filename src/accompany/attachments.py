"""Evidence files, stored content-addressed under the attachments directory.

Files are copied *before* the command's transaction commits, so the database never
points at a missing file; a rolled-back command leaves at most an unreferenced copy
(same content, same name: harmless and reused)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .models.errors import InvalidInput

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

    def check(self, path: Path) -> None:
        if not path.exists():
            raise InvalidInput(f"attachment {path} does not exist")
        if not path.is_file():
            raise InvalidInput(f"attachment {path} is not a regular file")
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                f"attachment {path} is {size // (1024 * 1024)} MB; the limit is "
                f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"
            )

    def store(self, path: Path) -> StoredFile:
        self.check(path)
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        relative = Path(sha[:2]) / (sha + path.suffix.lower())
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # a private temporary name: two commands may store the same file at once
            handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
            os.close(handle)
            shutil.copyfile(path, partial)
            os.replace(partial, target)
        return StoredFile(path.name, sha, path.stat().st_size, str(relative))
