"""What the e-mail channel holds about a person: the mails they sent (with the exact bytes as received) and
the mails the desk sent them. Registered in the `deskpilot.personal_data` entry point group."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.config import Settings
from deskpilot.personal_data import FunctionSource, Person, Section, StoredFile, columns


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


SOURCE = FunctionSource("email", collect, reads_files=True)
