"""Schemathesis over /openapi.json against the real server, as every role: no generated request may produce a
server error (500, a dropped connection) or a status code the document does not declare for its operation.

About 140 operations × EXAMPLES_PER_OPERATION requests, each sent as each of 6 roles, per database. The requests
are generated once and sent as every role: generation is derandomized, so generating them again per role gave
the very same requests and cost five more generation passes (about 4 s of CPU each).
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
EXAMPLES_PER_OPERATION = 4
# A documented, deliberate answer (a provider such as SMTP or a model is unavailable), not a server fault.
UNAVAILABLE = 503


def _generate(operation: schemathesis.APIOperation) -> list[schemathesis.Case]:
    """EXAMPLES_PER_OPERATION generated requests of `operation`, the same at every run."""
    cases: list[schemathesis.Case] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def collect(case: schemathesis.Case) -> None:
        cases.append(case)

    collect()
    return cases


def _failures(case: schemathesis.Case, base_url: str, role: str, headers: dict[str, str]) -> set[str]:
    """What is wrong with the answer to `case` sent as `role`."""
    failures: set[str] = set()
    response = case.call(base_url=base_url, headers=headers)
    if response.status_code >= 500 and response.status_code != UNAVAILABLE:
        failures.add(f"{role}: {case.method} {case.path} → {response.status_code}: {response.text[:200]}")
    try:
        case.validate_response(response, checks=[status_code_conformance])
    except FailureGroup as group:
        failures.update(f"{role}: {case.method} {case.path} → {response.status_code}: {failure.title} "
                        f"{response.text[:120]}" for failure in group.exceptions)
    return failures


def test_no_generated_request_as_any_role_gets_a_server_error_or_an_undocumented_status(
        live_server: str, clients: Clients, desk: Desk, session: Session) -> None:
    for i in range(3):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Seed ticket {i}")
    session.commit()
    # Built on first request from about 140 routes: on a busy machine that took longer than from_url's 10 s.
    document = clients["anonymous"].get("/openapi.json", timeout=120)
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    requests = [_generate(result.ok()) for result in schema.get_all_operations()]
    assert all(requests)  # every operation is called
    failures: set[str] = set()
    for role in ROLES:
        headers = {"Authorization": clients[role].headers["authorization"]} if role != "anonymous" else {}
        for cases in requests:
            for case in cases:
                failures |= _failures(case, live_server, role, headers)
    assert sorted(failures) == []
