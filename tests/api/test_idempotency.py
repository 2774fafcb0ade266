"""`Idempotency-Key` on every POST that creates something: a retry is done once and answered the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.api.idempotency import store
from deskpilot.api.idempotency.store import ClaimOutcome
from deskpilot.conversations.models import Conversation
from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.conftest import FrozenClock
from tests.factories import Desk


def _count(session: Session, model: type[Ticket] | type[Conversation]) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_retrying_a_ticket_creation_with_the_same_key_creates_one_ticket_and_replays_the_first_response(
        clients: Clients, session: Session) -> None:
    alice = clients["alice"]
    ticket = {"subject": "VPN drops every hour"}
    first = alice.post("/api/v1/tickets", json=ticket, headers={"Idempotency-Key": "retry-1"})
    again = alice.post("/api/v1/tickets", json=ticket, headers={"Idempotency-Key": "retry-1"})
    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert (first.headers.get("Idempotent-Replayed"), again.headers["Idempotent-Replayed"]) == (None, "true")
    assert _count(session, Ticket) == 1


def test_retrying_a_conversation_start_with_the_same_key_creates_one_conversation(
        clients: Clients, session: Session) -> None:
    bob = clients["bob"]
    first = bob.post("/api/v1/conversations", json={}, headers={"Idempotency-Key": "chat-start-1"})
    again = bob.post("/api/v1/conversations", json={}, headers={"Idempotency-Key": "chat-start-1"})
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    assert _count(session, Conversation) == 1


def test_the_same_key_with_a_different_request_is_refused_with_422(clients: Clients, session: Session) -> None:
    alice = clients["alice"]
    alice.post("/api/v1/tickets", json={"subject": "printer jams"}, headers={"Idempotency-Key": "k-2"})
    other = alice.post("/api/v1/tickets", json={"subject": "screen flickers"}, headers={"Idempotency-Key": "k-2"})
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert _count(session, Ticket) == 1


def test_another_user_sending_the_same_key_gets_their_own_ticket(clients: Clients, session: Session) -> None:
    mine = clients["alice"].post("/api/v1/tickets", json={"subject": "no mail"}, headers={"Idempotency-Key": "k-3"})
    theirs = clients["bob"].post("/api/v1/tickets", json={"subject": "no mail"}, headers={"Idempotency-Key": "k-3"})
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers
    assert _count(session, Ticket) == 2


def test_concurrent_duplicates_with_one_key_have_one_effect(clients: Clients, session: Session) -> None:
    alice = clients["alice"]

    def send(_: int) -> tuple[int, int]:
        response = alice.post("/api/v1/tickets", json={"subject": "laptop will not boot"},
                              headers={"Idempotency-Key": "burst-1"})
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        answers = set(pool.map(send, range(8)))
    assert len(answers) == 1 and answers.pop()[0] == 201
    assert _count(session, Ticket) == 1


def test_an_idempotency_key_can_be_used_again_after_it_expired(session: Session, desk: Desk,
                                                               clock: FrozenClock) -> None:
    claim = store.claim(session, user_id=desk.alice.id, key="daily", request_hash="a")
    store.finish(session, record_id=claim.record_id, status_code=201, headers=[], body=b"{}")
    assert store.claim(session, user_id=desk.alice.id, key="daily", request_hash="b").outcome is ClaimOutcome.MISMATCH
    clock.advance(hours=25)
    assert store.claim(session, user_id=desk.alice.id, key="daily", request_hash="b").outcome is ClaimOutcome.FIRST
