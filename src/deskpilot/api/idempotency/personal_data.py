"""What the API's idempotency store holds about a person: the responses kept to replay their retried POSTs
(a ticket as created, a reply as sent). Registered in the `deskpilot.personal_data` entry point group.
Erasing deletes their records and every other record whose kept response names them: a record only saves a
retry from running twice, and each expires within a day anyway."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deskpilot.api.idempotency.models import IdempotencyRecord
from deskpilot.personal_data import Change, Erasure, FunctionSource, Person, Section, columns


def collect(session: Session, *, person: Person) -> Section:
    records = session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.user_id == person.user_id)
                              .order_by(IdempotencyRecord.id))
    return Section(
        name="api_retries", description="Responses the API keeps for a short time to answer a retried request "
        "of the person's the same way (the body as text).",
        records={"idempotency_records": [columns(record, leave_out=("response_body",)) | {
            "response": (record.response_body or b"").decode("utf-8", "replace")} for record in records]})


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    gone = [record.id for record in session.scalars(select(IdempotencyRecord))
            if record.user_id == erasure.person.user_id
            or erasure.mentions((record.response_body or b"").decode("utf-8", "replace"))]
    if apply:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(gone)))
    return [Change("api_retries", "idempotency_records", len(gone), "deleted")]


SOURCE = FunctionSource("api_retries", collect, eraser=erase)
