"""Admin pages for service levels: business calendars (opening hours per weekday, holidays, time zone) and SLA
policies (targets per priority, desk-wide or per queue, on a calendar). Every change goes through the set-up
service, which validates and audits it; a problem is shown beside the form, with what was typed kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.api.deps import SessionDep
from deskpilot.tickets import setup
from deskpilot.tickets.calendar import WEEKDAYS
from deskpilot.tickets.enums import Priority
from deskpilot.tickets.setup_schemas import CalendarCreate, SlaPolicyCreate
from deskpilot.web.admin_forms import AdminFormViewer, AdminViewer, FormText, field_errors, save_or_show
from deskpilot.web.templating import render
from deskpilot.web.viewer import PostedForm, Viewer

router = APIRouter(include_in_schema=False)
SLA = "/admin/sla"
WEEKDAY_LABELS = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                          strict=True))
_NOTICES = {"calendar": "The calendar was created.", "policy": "The SLA policy was created: new tickets of its "
            "priority (and queue) get its targets."}


@dataclass
class CalendarForm:
    """A calendar as typed: per weekday "08:00-12:00, 13:00-17:00" (blank: closed), one holiday per line."""

    name: str = ""
    timezone: str = "UTC"
    hours: dict[str, str] = field(default_factory=lambda: {d: "08:00-18:00" for d in WEEKDAYS[:5]})
    holidays: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_calendar(self) -> CalendarCreate | None:
        hours = {day: [part.strip() for part in text.split(",") if part.strip()]
                 for day, text in self.hours.items() if text.strip()}
        holidays = [line.strip() for line in self.holidays.splitlines() if line.strip()]
        try:
            return CalendarCreate(name=self.name.strip(), definition={
                "timezone": self.timezone.strip(), "hours": hours, "holidays": holidays})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None


@dataclass
class PolicyForm:
    name: str = ""
    priority: str = Priority.P3.value
    queue_id: str = ""
    first_response_minutes: str = "60"
    resolution_minutes: str = "480"
    calendar_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_policy(self) -> SlaPolicyCreate | None:
        try:
            return SlaPolicyCreate.model_validate({
                "name": self.name.strip(), "priority": self.priority, "queue_id": self.queue_id or None,
                "first_response_minutes": self.first_response_minutes.strip(),
                "resolution_minutes": self.resolution_minutes.strip(), "calendar_id": self.calendar_id or None})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None


def _page(request: Request, session: Session, viewer: Viewer, *, calendar: CalendarForm | None = None,
          policy: PolicyForm | None = None, problem: str | None = None, notice: str | None = None,
          status_code: int = 200) -> Response:
    calendars = setup.get_calendars(session, actor=viewer.principal)
    queues = setup.get_queues(session, actor=viewer.principal)
    context: dict[str, Any] = {
        "calendars": calendars, "policies": setup.get_policies(session, actor=viewer.principal), "queues": queues,
        "calendar_names": {c.id: c.name for c in calendars}, "queue_names": {q.id: q.name for q in queues},
        "calendar_form": calendar or CalendarForm(), "policy_form": policy or PolicyForm(),
        "weekdays": WEEKDAY_LABELS, "priorities": [p.value for p in Priority], "problem": problem,
        "notice": notice,
    }
    return render(request, "admin/sla.html", context, viewer=viewer, status_code=status_code)


@router.get(SLA)
def sla(request: Request, session: SessionDep, viewer: AdminViewer, created: str = "") -> Response:
    return _page(request, session, viewer, notice=_NOTICES.get(created))


@router.post(SLA + "/calendars")
def create_calendar(request: Request, session: SessionDep, viewer: AdminFormViewer, form: PostedForm) -> Response:
    """A calendar from one field per weekday (hours_mon, ...), the time zone and the holidays."""
    typed = CalendarForm(name=str(form.get("calendar_name", "")), timezone=str(form.get("timezone", "")),
                         hours={day: str(form.get(f"hours_{day}", "")) for day in WEEKDAYS},
                         holidays=str(form.get("holidays", "")))
    return save_or_show(session, typed.to_calendar(), lambda data: setup.create_calendar(
        session, actor=viewer.principal, data=data), lambda problem, status_code: _page(
        request, session, viewer, calendar=typed, problem=problem, status_code=status_code), f"{SLA}?created=calendar")


@router.post(SLA + "/policies")
def create_policy(request: Request, session: SessionDep, viewer: AdminFormViewer, policy_name: FormText = "",
                  priority: FormText = "", queue_id: FormText = "", first_response_minutes: FormText = "",
                  resolution_minutes: FormText = "", calendar_id: FormText = "") -> Response:
    typed = PolicyForm(name=policy_name, priority=priority, queue_id=queue_id,
                       first_response_minutes=first_response_minutes, resolution_minutes=resolution_minutes,
                       calendar_id=calendar_id)
    return save_or_show(session, typed.to_policy(), lambda data: setup.create_policy(
        session, actor=viewer.principal, data=data), lambda problem, status_code: _page(
        request, session, viewer, policy=typed, problem=problem, status_code=status_code), f"{SLA}?created=policy")
