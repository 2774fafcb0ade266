"""What the e-mail channel holds about a person: the mails they sent (with the exact bytes as received) and
the mails the desk sent them. Registered in the `deskpilot.personal_data` entry point group. Erasing deletes
the raw mails and their stored parts from disk and empties the parsed fields."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.config import Settings
from deskpilot.personal_data import (
    ERASED,
    Change,
    Erasure,
    FunctionSource,
    Person,
    Section,
    StoredFile,
    columns,
)


def collect(session: Session, *, settings: Settings, person: Person) -> Section:
    address = person.email.lower()
    received = list(session.scalars(select(InboundMail).where(func.lower(InboundMail.from_address) == address)
                                    .order_by(InboundMail.id)))
    sent = session.scalars(select(OutboundMail).where(func.lower(OutboundMail.to_address) == address)
                           .order_by(OutboundMail.id))
    return Section(
        name="email", description="Mails the person sent to the desk (the parsed fields, and each mail exactly "
        "as received in `files/`, which includes its attachments) and mails the desk sent them.",
        records={"received": [columns(mail) | {"archive_name": f"{mail.id}.eml"} for mail in received],
                 "sent": [columns(mail) for mail in sent]},
        files=[StoredFile(f"{mail.id}.eml", settings.mail_dir / mail.raw_path) for mail in received
               if mail.raw_path])


def erase(session: Session, *, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
    address = erasure.person.email.lower()
    received = list(session.scalars(select(InboundMail).where(func.lower(InboundMail.from_address) == address)))
    sent = list(session.scalars(select(OutboundMail).where(func.lower(OutboundMail.to_address) == address)))
    if apply:
        files = {mail.raw_path for mail in received}
        parts = {str(part["path"]) for mail in received for part in mail.attachments if part.get("path")}
        for mail in received:
            mail.from_address, mail.subject, mail.body_text = erasure.pseudonym_email, ERASED, ERASED
            mail.message_id, mail.in_reply_to, mail.references = f"<erased-{mail.id}@erased.invalid>", None, []
            mail.attachments, mail.error, mail.thread_index_root = [], None, None
        for outbound in sent:
            outbound.to_address, outbound.subject, outbound.body = erasure.pseudonym_email, ERASED, ERASED
        session.flush()
        _delete_unused(session, settings, [mail.id for mail in received], files, parts)
    return [Change("email", "received", len(received), "raw mail and its parts deleted from disk, fields erased"),
            Change("email", "sent", len(sent), "recipient pseudonymised, subject and body erased")]


def _delete_unused(session: Session, settings: Settings, erased: list[int], raw: set[str], parts: set[str]) -> None:
    """Delete the raw mails and stored parts no other received mail refers to (mail is stored by content)."""
    still_used: set[str] = set()
    for mail in session.scalars(select(InboundMail).where(InboundMail.id.not_in(erased))):
        still_used.add(mail.raw_path)
        still_used.update(str(part["path"]) for part in mail.attachments if part.get("path"))
    for path in (raw | parts) - still_used:
        (settings.mail_dir / path).unlink(missing_ok=True)


SOURCE = FunctionSource("email", collect, reads_files=True, eraser=erase)
