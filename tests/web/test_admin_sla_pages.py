"""The administrator's service-level pages: business calendars and SLA policies are created in the browser,
validated (problems shown beside the fields, input kept) and audited, and a new ticket then uses them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from deskpilot.tickets.models import SlaPolicy
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient

WEEK = {f"hours_{day}": "08:00-12:00, 13:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def test_an_admin_creates_a_calendar_and_a_policy_that_a_new_ticket_then_uses(browser: PageClient,
                                                                             session: Session, desk: Desk) -> None:
    browser.sign_in("adam")
    bad = browser.post_form("/admin/sla/calendars", {"calendar_name": "Berlin office", "timezone": "Europe/Berlin",
                                                     "hours_mon": "25:00-26:00"}, from_page="/admin/sla")
    assert bad.status_code == 422 and 'value="25:00-26:00"' in bad.text and 'value="Berlin office"' in bad.text
    made = browser.post_form("/admin/sla/calendars", {"calendar_name": "Berlin office", "timezone": "Europe/Berlin",
                                                      "holidays": "2026-12-25\n2026-12-26", **WEEK},
                             from_page="/admin/sla")
    assert made.headers["location"] == "/admin/sla?created=calendar"
    page = browser.get("/admin/sla")
    assert "Berlin office" in page.text and "mon 08:00-12:00, 13:00-17:00" in page.text and "2026-12-25" in page.text

    calendar_id = page.text.split('<option value="')[-1].split('"')[0]
    short = browser.post_form("/admin/sla/policies", {"policy_name": "Normal", "priority": "P3", "queue_id": "",
                                                      "first_response_minutes": "240", "resolution_minutes": "60",
                                                      "calendar_id": calendar_id}, from_page="/admin/sla")
    assert short.status_code == 422 and "cannot be shorter than the first-response target" in short.text
    letters = browser.post_form("/admin/sla/policies", {"policy_name": "Normal", "priority": "P3",
                                                        "first_response_minutes": "soon", "resolution_minutes": "600",
                                                        "calendar_id": calendar_id}, from_page="/admin/sla")
    assert letters.status_code == 422 and 'id="first_response_minutes-error"' in letters.text
    policy = browser.post_form("/admin/sla/policies", {"policy_name": "Normal", "priority": "P3", "queue_id": "",
                                                       "first_response_minutes": "60", "resolution_minutes": "600",
                                                       "calendar_id": calendar_id}, from_page="/admin/sla")
    assert policy.headers["location"] == "/admin/sla?created=policy"

    session.rollback()
    stored = session.scalars(select(SlaPolicy)).one()
    ticket = open_ticket(session, desk, desk.alice)
    assert ticket.priority.value == "P3" and ticket.sla_policy_id == stored.id
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"calendar.create", "sla_policy.create"} <= actions


def test_blank_or_unknown_policy_choices_are_explained_not_500(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    browser.post_form("/admin/sla/calendars", {"calendar_name": "Always", "timezone": "UTC",
                                               "hours_mon": "00:00-24:00"}, from_page="/admin/sla")
    refused = browser.post_form("/admin/sla/policies", {"policy_name": "", "priority": "P9", "queue_id": "999",
                                                        "first_response_minutes": "", "resolution_minutes": "",
                                                        "calendar_id": ""}, from_page="/admin/sla")
    assert refused.status_code == 422 and 'id="policy_name-error"' in refused.text
    assert 'id="first_response_minutes-error"' in refused.text
