"""Form handling shared by the pages: a refusal placed next to the field it names,
uploads saved to temporary files for the service layer, bounded text fields."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import FormData, UploadFile

from ..clock import parse_day
from ..i18n import error_text, problem_text, translate
from ..models.errors import AccompanyError, InvalidInput
from ..models.files import safe_filename

MAX_TEXT = 5000  # reasons, notes, comments
MAX_LINE = 300  # names, one-line fields


@dataclass
class FormErrors:
    """The refusal of a submitted form: its one line (shown at the top, as the CLI
    prints it) and the same problem(s) next to each field named."""

    message: str | None = None
    by_field: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, error: AccompanyError, lang: str) -> FormErrors:
        # in the page's words: a way to act is named by its button, not a CLI command
        found = cls(message=error_text(error, lang, "web"))
        if error.problems:
            for problem in error.problems:
                found.by_field.setdefault(problem.field or "", []).append(problem_text(problem, lang, "web"))
        else:
            for name in error.fields:
                found.by_field.setdefault(name, []).append(found.message or "")
        return found

    def get(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def any_under(self, prefix: str) -> bool:
        """Whether a field named ``prefix…`` (``param.``) has a problem: its folded
        box is shown open."""
        return any(name.startswith(prefix) for name in self.by_field)

    def __bool__(self) -> bool:
        return bool(self.message or self.by_field)


def text(
    form: FormData, name: str, *, limit: int = MAX_LINE, lang: str = "zh", label: str | None = None
) -> str:
    """A text field, refused (not cut) when longer than ``limit`` characters."""
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    if len(value) > limit:
        raise InvalidInput(
            translate(
                "{field} is too long: at most {limit} characters", lang, field=label or name, limit=limit
            ),
            field=name,
        )
    if "\x00" in value:
        raise InvalidInput(
            translate("{field} contains a NUL character", lang, field=label or name), field=name
        )
    return value


@dataclass
class SavedUpload:
    key: str | None
    path: str
    filename: str


@contextmanager
def saved_uploads(
    uploads: list[tuple[str | None, UploadFile]], *, max_bytes: int, lang: str
) -> Iterator[list[SavedUpload]]:
    """Each upload copied to a private temporary file (the service layer checks and
    stores files by path), refusing a file over ``max_bytes``; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="accompany-upload-"))
    try:
        saved = []
        for index, (key, upload) in enumerate(uploads):
            name = safe_filename(upload.filename or "file")
            field_name = f"attach.{key}" if key else "attach"
            size = upload.size if upload.size is not None else None
            if size is not None and size > max_bytes:
                raise InvalidInput(
                    translate(
                        "{file} is {mb} MB; the limit is {limit} MB",
                        lang,
                        file=name,
                        mb=f"{size / (1 << 20):.1f}",
                        limit=max_bytes >> 20,
                    ),
                    field=field_name,
                )
            target = folder / f"{index}{Path(name).suffix.lower()[:16]}"
            upload.file.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            if target.stat().st_size > max_bytes:
                raise InvalidInput(
                    translate("{file} is larger than {limit} MB", lang, file=name, limit=max_bytes >> 20),
                    field=field_name,
                )
            saved.append(SavedUpload(key, str(target), name))
        yield saved
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def uploads_of(form: FormData, name: str) -> list[UploadFile]:
    """The files sent under ``name`` (a browser sends an empty part for an empty
    file input: skipped)."""
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


def day(value: str, name: str, lang: str = "zh") -> dt.date:
    """A date field (an <input type="date">: 2026-03-15), refused when empty or not a date."""
    if not value.strip():
        raise InvalidInput(translate("Choose a date.", lang), field=name)
    try:
        return parse_day(value, name)
    except InvalidInput:
        raise InvalidInput(
            translate("'{value}' is not a date like 2026-03-15", lang, value=value[:40]), field=name
        ) from None
