"""The residents' slips, printed: each household's home, its code and a QR code of
the project's public page with the code (segno), as a self-contained HTML page or
an A4 PDF (vector QR codes; Chinese text in the standard STSong-Light font every
PDF reader supplies, so nothing is embedded)."""

from __future__ import annotations

import html
from pathlib import Path

from .i18n import translate
from .models.errors import InvalidInput
from .services.households import SlipSheet
from .services.public import Poster


def qr(url: str):  # type: ignore[no-untyped-def]
    import segno

    return segno.make(url, error="m", micro=False)


def qr_data_uri(url: str) -> str:
    """The QR code as an ``<img src>`` (SVG data URI: the CSP allows ``data:`` images)."""
    return qr(url).svg_data_uri(scale=4, border=2)


def write_slips(sheet: SlipSheet, out: Path, lang: str) -> None:
    suffix = out.suffix.lower()
    if suffix in (".html", ".htm"):
        data = slips_html(sheet, lang).encode("utf-8")
    elif suffix == ".pdf":
        data = slips_pdf(sheet, lang)
    else:
        raise InvalidInput("--out {path}: use a .html or .pdf file", path=str(out))
    _write(out, data)


def _write(out: Path, data: bytes) -> None:
    if out.parent and not out.parent.is_dir():
        raise InvalidInput(
            "--out {path}: the folder {folder} does not exist", path=str(out), folder=str(out.parent)
        )
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(
            "--out {path}: cannot write ({detail})", path=str(out), detail=exc.strerror or ""
        ) from None


def slip_caption(lang: str) -> str:
    # names the code printed above it as the residents' forms do ("Household code")
    return translate(
        "Scan the QR code, or type the household code above on the project's page, to take part.", lang
    )


def slips_html(sheet: SlipSheet, lang: str) -> str:
    """A printable page on its own (the CLI's --out slips.html)."""
    e = html.escape
    title = translate("Household slips: {project}", lang, project=sheet.project_name)
    parts = [
        "<!doctype html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1cm}"
        ".slips{display:grid;grid-template-columns:repeat(3,1fr);gap:0}"
        ".slip{border:1px dashed #888;padding:.4cm;text-align:center;break-inside:avoid}"
        ".slip img{width:3.2cm;height:3.2cm}.code{font:bold 1.3em monospace;letter-spacing:.1em}"
        ".home{font-weight:bold}.small{font-size:.75em;color:#333}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        '<div class="slips">',
    ]
    caption = slip_caption(lang)
    for slip in sheet.slips:
        parts.append(
            '<div class="slip">'
            f'<div class="small">{e(sheet.project_name)}</div>'
            f'<div class="home">{e(slip.label)}</div>'
            f'<img src="{e(qr_data_uri(slip.url))}" alt="QR">'
            f'<div class="code">{e(slip.code)}</div>'
            f'<div class="small">{e(caption)}</div>'
            "</div>"
        )
    parts.append("</div></body></html>")
    return "\n".join(parts)


# -- PDF ----------------------------------------------------------------------------------------

PAGE_W, PAGE_H = 595, 842  # A4 in points
COLS, ROWS = 3, 4
MARGIN = 28


def _utf16(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def _ascii(text: str) -> str:
    safe = "".join(c for c in text if 32 <= ord(c) < 127)
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _centred(font: str, size: float, text: str, cx: float, y: float, *, cjk: bool) -> str:
    # a rough width (CJK glyphs are 1 em, Latin about 0.55 em) is enough to centre
    width = sum(size if ord(c) > 0x2E80 else size * (0.5 if cjk else 0.62) for c in text)
    string = _utf16(text) if cjk else _ascii(text)
    return f"BT /{font} {size} Tf {cx - width / 2:.1f} {y:.1f} Td {string} Tj ET\n"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _qr_path(url: str, x: float, y: float, size: float) -> str:
    matrix = qr(url).matrix
    n = len(matrix)
    cell = size / n
    out = []
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                left, bottom = x + start * cell, y + size - (r + 1) * cell
                out.append(f"{left:.2f} {bottom:.2f} {(c - start) * cell:.2f} {cell:.2f} re")
            else:
                c += 1
    return "0 g\n" + "\n".join(out) + "\nf\n"


def slips_pdf(sheet: SlipSheet, lang: str) -> bytes:
    """Twelve slips an A4 page, cut along the dashed lines."""
    slot_w = (PAGE_W - 2 * MARGIN) / COLS
    slot_h = (PAGE_H - 2 * MARGIN) / ROWS
    caption = slip_caption(lang)
    pages: list[str] = []
    per_page = COLS * ROWS
    for first in range(0, max(len(sheet.slips), 1), per_page):
        content = []
        for index, slip in enumerate(sheet.slips[first : first + per_page]):
            col, row = index % COLS, index // COLS
            x0 = MARGIN + col * slot_w
            y0 = PAGE_H - MARGIN - (row + 1) * slot_h
            cx = x0 + slot_w / 2
            content.append(f"0.5 G [3 3] 0 d 0.5 w {x0:.1f} {y0:.1f} {slot_w:.1f} {slot_h:.1f} re S [] 0 d\n")
            content.append(_centred("F2", 8, _fit(sheet.project_name, 20), cx, y0 + slot_h - 16, cjk=True))
            content.append(_centred("F2", 11, _fit(slip.label, 16), cx, y0 + slot_h - 32, cjk=True))
            size = 104
            content.append(_qr_path(slip.url, cx - size / 2, y0 + slot_h - 42 - size, size))
            content.append(_centred("F1", 14, slip.code, cx, y0 + slot_h - 62 - size, cjk=False))
            content.append(_centred("F2", 6.5, _fit(caption, 30), cx, y0 + 10, cjk=True))
        pages.append("".join(content))
    return _pdf_document(pages)


def _pdf_document(pages: list[str]) -> bytes:
    """A PDF of A4 pages from their content streams, with Helvetica (F1) and the
    reader-supplied STSong-Light (F2)."""
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    catalog = add("")  # placeholders filled below
    pages_obj = add("")
    helvetica = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    descendant = add(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 "
        "/StemV 93 >> /DW 1000 >>"
    )
    song = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
        f"/Encoding /UniGB-UCS2-H /DescendantFonts [{descendant} 0 R] >>"
    )
    kids = []
    for content in pages:
        stream = content.encode("latin-1")
        body = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        content_obj = add(body)
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                f"/Resources << /Font << /F1 {helvetica} 0 R /F2 {song} 0 R >> >> "
                f"/Contents {content_obj} 0 R >>"
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode("latin-1")
    objects[pages_obj - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    ).encode("latin-1")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


# -- the poster for the notice board --------------------------------------------------------


def poster_lines(poster: Poster, lang: str) -> tuple[str, str]:
    """The call to take part and the hint under the QR code."""
    return (
        translate("Scan to see the project and have your say", lang),
        translate("Asked before, consulted during, evaluated after: with the residents", lang),
    )


def poster_pdf(poster: Poster, lang: str) -> bytes:
    """One A4 page: the project, its community, a large QR code of its public page,
    the call to take part, the address spelled out and the planner's name."""
    call, hint = poster_lines(poster, lang)
    cx = PAGE_W / 2
    size = 340
    body = [
        _centred("F2", 26, _fit(poster.project_name, 18), cx, PAGE_H - 110, cjk=True),
        _centred("F2", 16, _fit(poster.community, 28), cx, PAGE_H - 145, cjk=True),
        _centred("F2", 20, _fit(call, 24), cx, PAGE_H - 200, cjk=True),
        _qr_path(poster.url, cx - size / 2, PAGE_H - 230 - size, size),
        _centred("F1", 10, _fit(poster.url, 90), cx, PAGE_H - 250 - size, cjk=False),
        _centred("F2", 12, _fit(hint, 40), cx, PAGE_H - 280 - size, cjk=True),
        _centred(
            "F2",
            12,
            _fit(translate("Responsible planner: {name}", lang, name=poster.planner), 40),
            cx,
            PAGE_H - 305 - size,
            cjk=True,
        ),
    ]
    return _pdf_document(["".join(body)])


def poster_png(poster: Poster) -> bytes:
    """The QR code of the public page alone, as a PNG (for a WeChat group or a poster
    laid out elsewhere): 10 pixels a module, a quiet zone of 4."""
    import io

    buffer = io.BytesIO()
    qr(poster.url).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def write_poster(poster: Poster, out: Path, lang: str) -> None:
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        data = poster_pdf(poster, lang)
    elif suffix == ".png":
        data = poster_png(poster)
    else:
        raise InvalidInput("--out {path}: use a .pdf or .png file", path=str(out))
    _write(out, data)
