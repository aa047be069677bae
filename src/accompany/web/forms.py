"""Form handling shared by the pages: a refusal placed next to the field it names,
uploads saved to temporary files for the service layer, bounded text fields, and
every form's text read as UTF-8 or refused (:class:`FormsInUtf8`)."""

from __future__ import annotations

import codecs
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import parse_day
from ..i18n import error_text, problem_text, translate
from ..models.errors import N_, AccompanyError, InvalidInput, NotFound
from ..models.files import safe_filename

MAX_TEXT = 5000  # reasons, notes, comments
MAX_LINE = 300  # names, one-line fields

Refused = TypeVar("Refused", bound=AccompanyError | None)


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


def choice_not_offered(error: Refused, lines: Mapping[str, str]) -> Refused | InvalidInput:
    """A list's choice (a ``<select>``: the street, the planner, the substitute …)
    that the service does not know — ``NotFound`` about one of the fields of
    ``lines`` — is a value the form never offered (a form altered, or opened before
    the directory changed): the form's own refusal (400), ``lines[field]`` next to
    that field, rather than the service's 404 naming an id the person never typed.
    The CLI and the API keep the service's words: there the id is what was typed."""
    if isinstance(error, NotFound) and error.field in lines:
        return InvalidInput(lines[error.field], field=error.field)
    return error


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


# -- every form's text in UTF-8 ----------------------------------------------------------------


class NotUtf8(InvalidInput):
    """A form's field whose bytes are not text in the form's encoding (UTF-8: every
    page of the app is, and a browser sends a form as its page is encoded)."""

    def __init__(self, name: str):
        super().__init__(
            N_("{name} contains characters that cannot be read (not UTF-8 text)"), field=name, name=name[:60]
        )


class FormsInUtf8:
    """Every form's fields read as what they must be: UTF-8 text. Starlette reads a
    field whose bytes are not (a page saved in another encoding, a script's GBK) as
    Latin-1 or with replacement characters, and what is stored is then mojibake.
    This reads each form body as it streams to the app, with the parser Starlette
    uses, and raises :class:`NotUtf8` at the first field that is not text — in the
    app, where a route reads its form (``await request.form()``), before it does
    anything; the app's handler of refusals answers 400. A file's bytes are not text
    and are not looked at. Any other body, and a body the parser cannot read
    (Starlette refuses it itself), go through as they are."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        check = _form_check(Headers(scope=scope)) if scope["type"] == "http" else None
        if check is None:
            await self.app(scope, receive, send)
            return

        async def checking_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                check.write(message.get("body", b""), final=not message.get("more_body", False))
            return message

        await self.app(scope, checking_receive, send)


#: a field's bytes looked at, at most (Starlette refuses a longer field itself)
_MAX_FIELD = 1 << 20


def _form_check(headers: Headers) -> _UrlencodedCheck | _MultipartCheck | None:
    kind, options = parse_options_header(headers.get("content-type", ""))
    if kind == b"application/x-www-form-urlencoded":
        return _UrlencodedCheck()
    if kind == b"multipart/form-data" and options.get(b"boundary"):
        # the charset Starlette decodes the fields with (a form sent by a browser says
        # none: UTF-8); one Python does not know is read as Latin-1, which any bytes are
        charset = options.get(b"charset", b"utf-8").decode("latin-1")
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            return None
        return _MultipartCheck(options[b"boundary"], codec)
    return None


class _UrlencodedCheck:
    """``a=1&b=%E4%B8%AD``: each name and value, %-decoded, must be UTF-8."""

    def __init__(self) -> None:
        self.name = bytearray()
        self.value = bytearray()
        self.broken = False
        self.parser = QuerystringParser(
            {
                "on_field_start": self._start,
                "on_field_name": lambda data, start, end: self.name.extend(data[start:end]),
                "on_field_data": self._data,
                "on_field_end": self._end,
            }
        )

    def _start(self) -> None:
        self.name = bytearray()
        self.value = bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.value.extend(data[start:end][: _MAX_FIELD + 1 - len(self.value)])

    def _end(self) -> None:
        name = _plus_unquoted(self.name)
        try:
            name.decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8(name.decode("utf-8", "replace")) from None
        if len(self.value) > _MAX_FIELD:
            return  # cut: not told from bytes cut in a character (Starlette refuses it as too long)
        try:
            _plus_unquoted(self.value).decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8(name.decode("utf-8")) from None

    def write(self, data: bytes, *, final: bool) -> None:
        if self.broken:
            return
        try:
            self.parser.write(data)
            if final:
                self.parser.finalize()
        except FormParserError:
            self.broken = True


def _plus_unquoted(raw: bytes | bytearray) -> bytes:
    return unquote_to_bytes(bytes(raw).replace(b"+", b" "))


class _MultipartCheck:
    """Each part that is not a file (no ``filename``): its name and its bytes must be
    text in ``codec``."""

    def __init__(self, boundary: bytes, codec: str):
        self.codec = codec
        self.disposition = b""
        self.header = b""
        self.header_value = b""
        self.name = ""
        self.decoder: codecs.IncrementalDecoder | None = None
        self.broken = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_part_data": self._data,
                "on_part_end": self._end,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
            },
        )

    def _begin(self) -> None:
        self.disposition = b""
        self.decoder = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        if self.header.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header = self.header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        raw_name = options.get(b"name", b"")
        try:
            self.name = raw_name.decode(self.codec)
        except UnicodeDecodeError:
            raise NotUtf8(raw_name.decode(self.codec, "replace")) from None
        if b"filename" not in options:  # a file's bytes are not text
            self.decoder = codecs.getincrementaldecoder(self.codec)("strict")

    def _data(self, data: bytes, start: int, end: int) -> None:
        self._decode(data[start:end], final=False)

    def _end(self) -> None:
        self._decode(b"", final=True)

    def _decode(self, data: bytes, *, final: bool) -> None:
        if self.decoder is None:
            return
        try:
            self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise NotUtf8(self.name) from None

    def write(self, data: bytes, *, final: bool) -> None:
        if self.broken:
            return
        try:
            self.parser.write(data)
            if final:
                self.parser.finalize()
        except FormParserError:
            self.broken = True
