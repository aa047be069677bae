"""Evidence files, downloadable by those who may see their project."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from ...services import worklists
from ..context import page_for, record_id

router = APIRouter()

# types a browser may show inline; anything else is downloaded, never rendered
INLINE = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@router.get("/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: str) -> Response:
    page = page_for(request)
    person = page.require()
    stored = worklists.attachment_file(page.app, person, record_id(attachment_id, "attachment"))
    return file_response(stored)


def file_response(stored: worklists.StoredAttachment) -> Response:
    suffix = "." + stored.filename.rsplit(".", 1)[-1].lower() if "." in stored.filename else ""
    media = INLINE.get(suffix, "application/octet-stream")
    disposition = "inline" if suffix in INLINE else "attachment"
    ascii_name = stored.filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response = FileResponse(stored.path, media_type=media)
    response.headers["content-disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.filename)}"
    )
    # a file someone uploaded is never run as a page of this site
    response.headers["content-security-policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response
