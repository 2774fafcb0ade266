"""Schemathesis over /openapi.json against the real server, as every role: no generated request may produce a
server error (500, a dropped connection) or a status code the document does not declare for its operation.

About 79 operations × 6 roles × EXAMPLES_PER_OPERATION_AND_ROLE calls per database: a minute or two.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

# requester, agent, lead, auditor, anonymous, and the admin last (its writes change the most for the others).
ROLES = ("alice", "carol", "lena", "audrey", "anonymous", "adam")
EXAMPLES_PER_OPERATION_AND_ROLE = 4
# A documented, deliberate answer (a provider such as SMTP or a model is unavailable), not a server fault.
UNAVAILABLE = 503


def _fuzz(operation: schemathesis.APIOperation, base_url: str, role: str, headers: dict[str, str]) -> set[str]:
    """The failures of EXAMPLES_PER_OPERATION_AND_ROLE generated calls of `operation` as `role`."""
    failures: set[str] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION_AND_ROLE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers)
        if response.status_code >= 500 and response.status_code != UNAVAILABLE:
            failures.add(f"{role}: {case.method} {case.path} → {response.status_code}: {response.text[:200]}")
        try:
            case.validate_response(response, checks=[status_code_conformance])
        except FailureGroup as group:
            failures.update(f"{role}: {case.method} {case.path} → {response.status_code}: {failure.title} "
                            f"{response.text[:120]}" for failure in group.exceptions)

    call()
    return failures


def test_no_generated_request_as_any_role_gets_a_server_error_or_an_undocumented_status(
        live_server: str, clients: Clients, desk: Desk, session: Session) -> None:
    for i in range(3):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Seed ticket {i}")
    session.commit()
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: set[str] = set()
    for role in ROLES:
        headers = {"Authorization": clients[role].headers["authorization"]} if role != "anonymous" else {}
        for operation in operations:
            failures |= _fuzz(operation, live_server, role, headers)
    assert sorted(failures) == []
