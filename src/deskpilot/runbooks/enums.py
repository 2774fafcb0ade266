"""The closed vocabularies of runbooks."""

from enum import StrEnum


class VersionStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class RunMode(StrEnum):
    DRY_RUN = "dry_run"
    EXECUTE = "execute"


class RunStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    # Put on the record from the runbook journal after its own record was lost; its changes were kept.
    RECOVERED = "recovered"


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


class SelfServiceStatus(StrEnum):
    CODE_SENT = "code_sent"
    VERIFIED = "verified"
    COMPLETED = "completed"
    FAILED = "failed"
