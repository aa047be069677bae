"""Reading a table people prepared in Excel or as CSV (the project import)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from .models.errors import InvalidInput
from .models.text import TableRow

MAX_TABLE_BYTES = 50 * 1024 * 1024  # a city's portfolio is a few MB


def _csv_records(text: str, shown: str) -> Iterator[TableRow]:
    """The records of a CSV, each numbered by the line it starts on (a quoted cell may
    hold line breaks; a blank line is an empty record). A record the csv module cannot
    read (a cell over its 128 KB limit) is refused by its line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        first_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise InvalidInput(
                "import file {path}: the record from line {line} cannot be read (a cell far too long)",
                field="file",
                path=shown,
                line=first_line,
            ) from None
        yield TableRow(cells, first_line)


def read_table(
    path: Path, *, max_bytes: int = MAX_TABLE_BYTES, refuse_formulas: bool = False, name: str | None = None
) -> tuple[list[str], list[TableRow]]:
    """Header and data rows of a CSV (UTF-8, with or without BOM) or XLSX file. Blank
    rows are left out; each row keeps its number in the file (``TableRow.number``), so
    that a problem is told by the row the person sees in Excel or the CSV's line.

    ``refuse_formulas``: a file with a formula anywhere (an XLSX formula cell, or a
    cell starting with ``=``) is refused whole, and so is text with NUL characters —
    the file is not what people typed. ``name``: the file as the reader knows it (an
    upload's own name rather than its temporary path)."""
    import stat

    shown = name or str(path)

    try:
        info = path.stat()
    except OSError:
        raise InvalidInput("import file {path} does not exist", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput("import file {path} is not a regular file", path=str(path))
    if info.st_size > max_bytes:
        raise InvalidInput(
            "import file {path} is larger than {limit} MB",
            field="file",
            path=shown,
            limit=max(1, max_bytes >> 20),
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "import file {path}: not UTF-8 text (save the CSV as UTF-8)", field="file", path=shown
            ) from None
        if refuse_formulas and "\x00" in text:
            raise InvalidInput(
                "import file {path} contains NUL characters: not a text CSV", field="file", path=shown
            )
        rows = [row for row in _csv_records(text, shown) if any(cell.strip() for cell in row)]
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=not refuse_formulas)
        except Exception:  # openpyxl raises zipfile/KeyError/… for a broken file: none says more
            raise InvalidInput(
                "import file {path}: not a readable XLSX workbook (save it again from Excel as .xlsx)",
                field="file",
                path=shown,
            ) from None
        sheet = book.worksheets[0]
        # from row 1, blank rows included (read-only sheets fill them in): Excel's numbers
        rows = [
            TableRow(("" if cell is None else cell for cell in row), number)
            for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
            if any(cell not in (None, "") for cell in row)
        ]
        book.close()
    else:
        raise InvalidInput("import file {path}: use a .csv or .xlsx file", field="file", path=shown)
    if not rows:
        raise InvalidInput("import file {path} is empty", field="file", path=shown)
    if refuse_formulas:
        for row in rows:
            for position, cell in enumerate(row):
                if isinstance(cell, str) and cell.lstrip().startswith("="):
                    raise InvalidInput(
                        "import file {path}: row {row}, column {column} holds a formula; "
                        "save the values only",
                        field="file",
                        path=shown,
                        row=row.number,
                        column=position + 1,
                    )
                if isinstance(cell, str) and "\x00" in cell:
                    raise InvalidInput(
                        "import file {path} contains NUL characters: not a text CSV", field="file", path=shown
                    )
    return [str(h).strip() for h in rows[0]], rows[1:]
