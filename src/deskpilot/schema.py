"""All tables of deskpilot, gathered so Alembic and the tests see one metadata."""

from deskpilot.accounts import models as accounts_models
from deskpilot.analytics import models as analytics_models
from deskpilot.api.idempotency import models as idempotency_models
from deskpilot.audit import decisions_models
from deskpilot.audit import models as audit_models
from deskpilot.channels.email import models as mail_models
from deskpilot.connectors import models as connector_models
from deskpilot.conversations import models as conversation_models
from deskpilot.db import Base
from deskpilot.governance import models as governance_models
from deskpilot.governance import setting_models
from deskpilot.jobs import models as job_models
from deskpilot.kb import models as kb_models
from deskpilot.privacy import models as privacy_models
from deskpilot.runbooks import models as runbook_models
from deskpilot.tickets import canned_models, limit_models, vector_models
from deskpilot.tickets import models as tickets_models
from deskpilot.triage import models as triage_models

metadata = Base.metadata

__all__ = ["metadata", "accounts_models", "analytics_models", "audit_models", "decisions_models", "governance_models",
           "idempotency_models", "job_models", "kb_models", "limit_models", "mail_models", "conversation_models",
           "runbook_models", "tickets_models", "triage_models", "connector_models", "canned_models",
           "setting_models", "privacy_models", "vector_models"]
