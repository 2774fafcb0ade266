"""The closed vocabularies of governance: replay cases and AI switches."""

from enum import StrEnum


class CaseKind(StrEnum):
    """What a case checks: a triage (expected category, queue, priority) or an answer (expected article/text)."""

    TRIAGE = "triage"
    ANSWER = "answer"


class CaseSource(StrEnum):
    """Where the desk confirmed the expected outcome."""

    RESOLVED_TICKET = "resolved_ticket"
    DEFLECTION = "deflection"
    DRAFT = "draft"
    CURATED = "curated"
    REVIEW = "review"


class Capability(StrEnum):
    """An AI capability that can be switched per channel or queue."""

    TRIAGE_AUTO_APPLY = "triage_auto_apply"
    CHAT_DEFLECTION = "chat_deflection"
    SELF_SERVICE_ACTIONS = "self_service_actions"
    EMAIL_DRAFTS = "email_drafts"
    ITSM_WRITE_BACK = "itsm_write_back"


class AiMode(StrEnum):
    """off: the AI does nothing; shadow: it decides and records, nobody sees it; suggest: agents see it and
    accept; auto: it acts (the behaviour without a switch)."""

    OFF = "off"
    SHADOW = "shadow"
    SUGGEST = "suggest"
    AUTO = "auto"


class ReviewKind(StrEnum):
    """What the governance board reviews: a chat answer, an AI reply draft, a runbook run."""

    ANSWER = "answer"
    DRAFT = "draft"
    RUNBOOK_RUN = "runbook_run"


class Verdict(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    UNSAFE = "unsafe"
