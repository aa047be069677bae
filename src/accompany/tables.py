"""Reading a table people prepared in Excel or as CSV (the project import)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .models.errors import InvalidInput

MAX_TABLE_BYTES = 50 * 1024 * 1024  # a city's portfolio is a few MB


def read_table(path: Path) -> tuple[list[str], list[list[Any]]]:
    """Header and data rows of a CSV (UTF-8, with or without BOM) or XLSX file."""
    import stat

    try:
        info = path.stat()
    except OSError:
        raise InvalidInput("import file {path} does not exist", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput("import file {path} is not a regular file", path=str(path))
    if info.st_size > MAX_TABLE_BYTES:
        raise InvalidInput(
            "import file {path} is larger than {limit} MB", path=str(path), limit=MAX_TABLE_BYTES >> 20
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "import file {path}: not UTF-8 text (save the CSV as UTF-8)", path=str(path)
            ) from None
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile/KeyError/… for a broken file
            raise InvalidInput(
                "import file {path}: not a readable XLSX workbook ({detail})",
                path=str(path),
                detail=type(exc).__name__,
            ) from None
        sheet = book.worksheets[0]
        rows = [
            ["" if cell is None else cell for cell in row]
            for row in sheet.iter_rows(values_only=True)
            if any(cell not in (None, "") for cell in row)
        ]
        book.close()
    else:
        raise InvalidInput("import file {path}: use a .csv or .xlsx file", path=str(path))
    if not rows:
        raise InvalidInput("import file {path} is empty", path=str(path))
    return [str(h).strip() for h in rows[0]], rows[1:]
