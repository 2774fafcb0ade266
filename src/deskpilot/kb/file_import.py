"""Import article files one by one, with a report per file: what each created, updated or left unchanged, or
why it was skipped. The same parsing, limits and import service as the all-or-nothing API import; each file
is its own savepoint, so one bad file leaves the others imported and nothing of itself behind."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.errors import DomainError, InvalidInput, TooLarge
from deskpilot.kb import importer
from deskpilot.kb.schemas import MAX_IMPORT_BYTES, MAX_IMPORT_FILE_CHARS, MAX_IMPORT_FILES, KbImportFile

# A file of MAX_IMPORT_FILE_CHARS characters takes at most four bytes a character in UTF-8.
MAX_FILE_BYTES = 4 * MAX_IMPORT_FILE_CHARS
MAX_NAME = 255


@dataclass(frozen=True)
class UploadedFile:
    """A file as uploaded: its name and at most MAX_FILE_BYTES + 1 of its bytes."""

    filename: str
    content: bytes


@dataclass
class FileReport:
    filename: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: str | None = None


def _text(upload: UploadedFile) -> str:
    if not 0 < len(upload.filename) <= MAX_NAME:
        raise InvalidInput(f"the file name must have 1 to {MAX_NAME} characters")
    if len(upload.content) > MAX_FILE_BYTES:
        raise TooLarge(f"larger than {MAX_FILE_BYTES:,} bytes; split it into smaller files")
    try:
        return upload.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("not UTF-8 text; save it as UTF-8 and upload it again") from None


def import_files(session: Session, *, actor: Principal, uploads: list[UploadedFile],
                 approve: bool = False) -> list[FileReport]:
    """Import each of `uploads` (.md/.markdown, .html/.htm, .csv) as drafts, or published with `approve`
    (admins only); a file the importer refuses is skipped with its reason, the others are kept."""
    importer.authorize_import(actor, approve=approve)
    if not uploads:
        raise InvalidInput("Choose at least one file to import (.md, .markdown, .html, .htm or .csv).")
    if len(uploads) > MAX_IMPORT_FILES:
        raise TooLarge(f"{len(uploads)} files in one import; send at most {MAX_IMPORT_FILES} at a time.")
    total = sum(len(u.content) for u in uploads)
    if total > MAX_IMPORT_BYTES:
        raise TooLarge(f"The files have {total:,} bytes together; an import may have at most {MAX_IMPORT_BYTES:,}.")
    reports = []
    for upload in uploads:
        report = FileReport(upload.filename)
        try:
            with session.begin_nested():
                documents = importer.parse_upload([KbImportFile(filename=upload.filename, content=_text(upload))])
                result = importer.import_documents(session, actor=actor, documents=documents, approve=approve)
        except DomainError as exc:
            report.skipped = exc.message.removeprefix(f"{upload.filename}: ")
        else:
            report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
        reports.append(report)
    return reports
