"""Schemathesis over /openapi.json against the real server: no input may produce a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

EXAMPLES_PER_OPERATION = 25


def test_no_generated_request_produces_a_server_error(live_server: str, clients: Clients, desk: Desk,
                                                      session: Session) -> None:
    for i in range(3):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Seed ticket {i}")
    session.commit()
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    auth = dict(clients["adam"].headers)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=live_server, headers={"Authorization": auth["authorization"]})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                f"{response.text[:200]}")

        call()
    assert failures == []
