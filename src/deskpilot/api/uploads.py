"""A posted file, read for the attachment services: one byte past the limit at most, so an oversized file is
refused (413) without being held whole in memory."""

from __future__ import annotations

from fastapi import UploadFile

from deskpilot.tickets.attachments import Upload


def read_upload(file: UploadFile, *, max_bytes: int) -> Upload:
    return Upload(file.filename, file.content_type, file.file.read(max_bytes + 1))
