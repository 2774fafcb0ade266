"""Settings, from the environment (prefix DESKPILOT_) or a .env file; validated at start-up."""

from __future__ import annotations

import zlib
from collections import Counter
from enum import StrEnum
from functools import lru_cache
from ipaddress import ip_network
from itertools import pairwise
from math import log, log2
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-secret-change-me-please-0123456789"


MIN_SECRET_BITS = 128
_WEAK_WORDS = ("secret", "password", "passwd", "changeme", "deskpilot", "example", "default", "letmein",
               "qwerty", "welcome", "production")


def secret_strength_bits(value: str) -> float:
    """A conservative estimate of the randomness in `value`, in bits.

    The per-character Shannon entropy (Miller-Madow corrected) times the characters that do not merely
    repeat or step on from the one before ("aaaa", "abcd", "1234"), capped by what zlib cannot squeeze out
    (repeated chunks); nothing for a value built around a common word. `secrets.token_urlsafe(48)` scores
    about 300, `"a" * 32` zero.
    """
    if not value or any(word in value.lower() for word in _WEAK_WORDS):
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * log2(n / len(value)) for n in counts.values())
    per_char += (len(counts) - 1) / (2 * len(value) * log(2))
    fresh = 1 + sum(1 for a, b in pairwise(value) if abs(ord(a) - ord(b)) > 1)
    squeezed = 8 * (len(zlib.compress(value.encode(), 9)) - len(zlib.compress(b"", 9)))
    return min(per_char * fresh, squeezed)


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class UnknownSender(StrEnum):
    """What to do with mail from an address no user has."""

    CREATE_REQUESTER = "create_requester"
    FALLBACK = "fallback"


class LdapFlavour(StrEnum):
    """How the directory stores passwords and lock-outs."""

    OPENLDAP = "openldap"
    ACTIVE_DIRECTORY = "active_directory"


class LdapMatchField(StrEnum):
    """Which field of a deskpilot user finds their own directory account (self-service)."""

    USERNAME = "username"
    EMAIL = "email"


class OAuth2Client(BaseModel):
    """OAuth2 for a mail server (SASL XOAUTH2), as Microsoft 365 and Gmail require: access tokens come from the
    refresh-token grant at `token_url` and are refreshed before they expire."""

    token_url: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: str = ""
    refresh_token: str = Field(min_length=1)
    scope: str = ""


class MailboxSettings(BaseModel):
    """One IMAP mailbox the desk reads; `name` is the stable key stored with every mail from it."""

    name: str = Field(min_length=1, max_length=64)
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    username: str
    password: str = ""
    folder: str = "INBOX"
    ssl: bool = True
    # The CA that signed the server's certificate when it is not a public one; verification is always on.
    tls_ca_file: str = ""
    # AI drafts inside the mailbox: a grounded draft reply for each new requester mail is appended to this
    # folder (empty: off), the mail is tagged with IMAP keywords (category, priority, ticket), and drafts the
    # agents sent from their mail client are recognised in `sent_folder` and counted as accepted or edited.
    drafts_folder: str = ""
    sent_folder: str = "Sent"
    # Sign in with OAuth2 (XOAUTH2) instead of the password.
    oauth2: OAuth2Client | None = None


# The roles of accounts/models.Role, by name (the core knows no accounts).
RoleName = Literal["requester", "agent", "lead", "admin", "auditor"]


class Settings(BaseSettings):
    """Every knob of deskpilot. Nothing else reads the environment."""

    model_config = SettingsConfigDict(env_prefix="DESKPILOT_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEV
    database_url: str = ""
    # Each request in flight may hold one pooled connection; `http_concurrency` requests run at once and the
    # rest wait in line before touching the database, so the pool (and the thread pool) can never run dry.
    # Sized so that four app processes (80 connections) fit in PostgreSQL's default max_connections (100) beside
    # the worker and the mail listener (`deskpilot serve --workers N` checks); one Python process gains nothing
    # from more requests at once than that: they share one interpreter lock.
    db_pool_size: int = Field(default=5, ge=1, le=1000)
    db_max_overflow: int = Field(default=15, ge=0, le=1000)
    http_concurrency: int = Field(default=16, ge=1, le=1000,
                                  description="requests served at once; keep it below db_pool_size + db_max_overflow")
    http_queue_seconds: float = Field(default=60.0, gt=0, le=3600,
                                      description="longest wait in line for a request; then 503 with Retry-After")
    data_dir: Path = Path("var")
    # The audit chain's HMAC key; empty: DATA_DIR/audit/key, created (mode 0600) on first use.
    audit_key: str = Field(default="", repr=False)
    # How many chains audited commits spread over on PostgreSQL, so they need not queue behind one lock.
    audit_chains: int = Field(default=8, ge=1, le=64)
    # Keys that encrypt secrets at rest (encryption_keys.py): key id → base64 of 32 bytes; empty: the key file.
    encryption_keys: dict[str, str] = Field(default_factory=dict, repr=False)
    secret_key: str = _DEV_SECRET
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    api_token_days: int = Field(default=90, ge=1, le=365, description="lifetime of a new API token unless asked")
    login_attempts_per_minute: int = Field(default=5, ge=1, le=1000, description="failed sign-ins per account")
    login_attempts_per_client_per_minute: int = Field(default=15, ge=1, le=10_000,
                                                      description="failed sign-ins per client address")
    # Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed; nobody else's is.
    trusted_proxies: list[str] = Field(default_factory=list)
    base_url: str = "http://127.0.0.1:8000"
    password_time_cost: int = Field(default=3, ge=1, le=20)
    password_memory_kib: int = Field(default=65536, ge=8, le=4_194_304)

    triage_abstain_below: float = Field(default=0.45, ge=0.0, le=1.0)
    triage_fallback_queue: str = "Service Desk L1"
    triage_auto_apply: str = Field(default="category,queue,priority",
                                   description="fields triage sets on new tickets when confident (others: suggest)")
    triage_suggest_off: str = Field(default="", description="triage fields the console does not suggest at all")
    pii_ner: bool = Field(default=False, description="also find people's names with a named-entity model "
                          "(extra deskpilot[pii-ner]; 6-8 s to load, ~25 ms a message)")
    answer_abstain_below: float = Field(default=0.5, ge=0.0, le=1.0)
    troubleshoot_offer_after: int = Field(default=3, ge=1, le=50,
                                          description="failed troubleshooting steps after which the chat offers a "
                                                      "ticket or more steps")
    chat_away_minutes: int = Field(default=15, ge=1, description="minutes without a message after which a chat's "
                                   "requester counts as gone: agent replies on its ticket are then e-mailed too")
    help_centre_public: bool = Field(default=False, description="let visitors who are not signed in read the help "
                                                                "centre's approved articles at /help")
    answer_confident_above: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="answers whose calibrated probability of being right is below this are given with a caution; "
                    "unset: the threshold that held 95% answer precision in cross-validation (shipped with the "
                    "span scorer)")
    answer_rerank: bool = Field(default=False,
                                description="pick the answer among the spans of the first three articles (the span "
                                            "scorer reranks them) instead of the first article only")
    embedding_model: str = Field(default="all-MiniLM-L6-v2-onnx-int8",
                                 description="the sentence embedder of the AI runtime; models and indexes built "
                                             "with another refuse to load")
    ann_min_chunks: int = Field(default=100_000, ge=1,
                                description="KB chunks from which vector search uses an approximate (IVF) index "
                                            "instead of exact search")
    multilingual_model: str = Field(default="multilingual-e5-small-q4",
                                    description="the second embedder, for questions not in English (cross-lingual "
                                                "KB search); empty turns it off")

    # KPI value model: what a task costs without AI help, and what the AI costs to run.
    kpi_minutes_per_ticket: float = Field(default=15.0, ge=0, description="agent minutes to handle a ticket unaided")
    kpi_minutes_saved_per_triage: float = Field(default=2.0, ge=0, description="per ticket whose triage was kept")
    kpi_minutes_saved_per_draft: float = Field(default=6.0, ge=0, description="per AI draft sent (as is or edited)")
    kpi_agent_cost_per_hour: float = Field(default=45.0, ge=0)
    kpi_ai_cost_per_month: float = Field(default=400.0, ge=0, description="hosting and upkeep of the AI")
    kpi_currency: str = Field(default="EUR", max_length=8)
    drift_js_threshold: float = Field(default=0.1, gt=0, le=1, description="Jensen-Shannon divergence alert level")
    drift_psi_threshold: float = Field(default=0.25, gt=0, description="population stability index alert level")
    # Drawn from the training distribution itself, n decisions give an expected PSI near 9/n over ten bins and a JS
    # divergence near 7/(8 n ln 2) over eight categories: at 100 that is 0.09 and 0.013, well under the alert levels.
    drift_min_decisions: int = Field(default=100, ge=1, description="decisions a period needs before drift alerts")
    replay_max_drop_points: float = Field(default=2.0, ge=0, le=100, description=(
        "the replay gate refuses a change when any category's accuracy drops by more than this many points"))
    replay_answer_precision_floor: float = Field(default=0.8, ge=0, le=1, description=(
        "the replay gate refuses a retrieval change whose answer precision on the replay set is below this"))

    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    answer_rephrase: bool = Field(default=True, description="rephrase grounded answers with the LLM when one is "
                                                            "configured (the verifier keeps only faithful ones)")

    # E-mail channel. Mailboxes come as JSON: DESKPILOT_MAIL_MAILBOXES='[{"name": "support", ...}]'.
    mail_mailboxes: list[MailboxSettings] = Field(default_factory=list)
    mail_poll_interval_seconds: float = Field(default=60.0, gt=0)
    mail_batch_size: int = Field(default=200, ge=1, le=10_000)
    mail_address: str = "servicedesk@deskpilot.invalid"
    mail_message_id_domain: str = ""
    mail_smtp_host: str = ""
    mail_smtp_port: int = Field(default=25, ge=1, le=65535)
    mail_smtp_username: str = ""
    mail_smtp_password: str = ""
    mail_smtp_starttls: bool = False
    mail_smtp_tls_ca_file: str = ""
    mail_smtp_oauth2: OAuth2Client | None = None
    mail_smtpd_host: str = "127.0.0.1"
    mail_smtpd_port: int = Field(default=8025, ge=1, le=65535)
    mail_acknowledge: bool = True
    mail_max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    # The largest file a person attaches to a ticket in the portal, console, chat or API (bigger: 413).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # The largest mail the SMTP listener takes (bigger ones get 552); lines may be as long as the mail.
    mail_max_message_bytes: int = Field(default=50 * 1024 * 1024, ge=64 * 1024)
    mail_unknown_sender: UnknownSender = UnknownSender.CREATE_REQUESTER
    mail_fallback_requester: str = ""
    mail_send_max_attempts: int = Field(default=8, ge=1, le=100)
    mail_send_backoff_seconds: float = Field(default=60.0, gt=0)

    # Worker: seconds between runs of a periodic job, by job name, overriding the job's own default;
    # 0 turns a job off. DESKPILOT_JOB_INTERVALS='{"sla.sweep": 120, "mail.poll": 0}'.
    job_intervals: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    # Worker on PostgreSQL (procrastinate): jobs one worker process runs at once, and how long a worker may miss
    # its heartbeat before another worker takes its running jobs back (a worker killed or a machine lost).
    worker_concurrency: int = Field(default=1, ge=1, le=64)
    worker_stalled_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    # Days each kind of data is kept, over the defaults (privacy/retention.py); 0 keeps a kind for ever.
    retention_days: dict[str, Annotated[int, Field(ge=0, le=36_500)]] = Field(default_factory=dict)

    # Single sign-on with OpenID Connect (authorization code + PKCE). Set the issuer, client id and secret to
    # show "Sign in with ..." on the sign-in page; the provider's groups claim sets role and teams at each
    # sign-in: DESKPILOT_OIDC_ROLE_GROUPS='{"desk-admins": "admin", "desk-agents": "agent"}',
    # DESKPILOT_OIDC_TEAM_GROUPS='{"desk-agents": "Service Desk"}'. DESKPILOT_LOCAL_PASSWORDS=false then turns
    # the password sign-in off (the page and POST /api/v1/auth/login) so the provider is the only way in.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile groups"
    oidc_groups_claim: str = Field(default="groups", pattern=r"^[\w.:/-]{1,100}$")
    oidc_role_groups: dict[str, RoleName] = Field(default_factory=dict)
    oidc_team_groups: dict[str, str] = Field(default_factory=dict)
    oidc_label: str = Field(default="single sign-on", max_length=60)
    oidc_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    local_passwords: bool = True
    # ITSM connectors by name, each with its configuration (base URL / instance and credentials), as JSON:
    # DESKPILOT_CONNECTORS='{"zendesk": {"subdomain": "acme", "email": "a@acme.com", "api_token": "..."}}'.
    connectors: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)

    # Identity directory (runbooks). AD: flavour active_directory, user attribute sAMAccountName, ldaps://.
    ldap_url: str = ""
    ldap_flavour: LdapFlavour = LdapFlavour.OPENLDAP
    ldap_bind_dn: str = ""
    ldap_bind_password: str = ""
    ldap_base_dn: str = ""
    ldap_user_base_dn: str = ""
    ldap_group_base_dn: str = ""
    ldap_user_attribute: str = Field(default="uid", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_user_object_class: str = Field(default="inetOrgPerson", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_group_attribute: str = Field(default="cn", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_group_object_class: str = Field(default="groupOfNames", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_member_attribute: str = Field(default="member", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_mail_attribute: str = Field(default="mail", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    ldap_match_field: LdapMatchField = LdapMatchField.USERNAME
    ldap_tls_ca_file: str = ""
    ldap_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Directory sync (`deskpilot directory sync`, job `directory.sync`): people under the user base become
    # accounts; group cn → role and group cn → team as for single sign-on; people who leave the directory or
    # are disabled there are deactivated (sessions and tokens end).
    ldap_sync_role_groups: dict[str, RoleName] = Field(default_factory=dict)
    ldap_sync_team_groups: dict[str, str] = Field(default_factory=dict)

    # Runbooks: what actions may reach, how long they may take, how fresh a dry-run must be.
    runbook_http_allowed_hosts: list[str] = Field(default_factory=list)
    runbook_step_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    runbook_run_timeout_seconds: float = Field(default=300.0, gt=0, le=86_400)
    runbook_dry_run_valid_minutes: int = Field(default=30, ge=1, le=24 * 60)

    # Abuse and noise: new tickets and conversations one requester may open per hour (0: no limit); a lead
    # lifts the limit for a requester for a while (POST /api/v1/requesters/{id}/limit-lift).
    requester_max_tickets_per_hour: int = Field(default=20, ge=0, le=100_000)
    requester_max_conversations_per_hour: int = Field(default=30, ge=0, le=100_000)

    # Self-service password reset in chat.
    self_service_min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    self_service_code_minutes: int = Field(default=10, ge=1, le=60)
    self_service_code_attempts: int = Field(default=5, ge=1, le=20)
    password_min_length: int = Field(default=12, ge=8, le=128)
    password_min_classes: int = Field(default=3, ge=1, le=4)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "DESKPILOT_DATABASE_URL must start with sqlite:// or postgresql+psycopg:// "
                f"(got {value.split(':', 1)[0]!r})"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"DESKPILOT_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR") from None
        return value

    @field_validator("audit_key")
    @classmethod
    def _long_audit_key(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("DESKPILOT_AUDIT_KEY must be at least 32 characters (for example: "
                             "python -c 'import secrets; print(secrets.token_hex(32))')")
        return value

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        problems = []
        if self.secret_key == _DEV_SECRET or len(self.secret_key) < 32 or (
                secret_strength_bits(self.secret_key) < MIN_SECRET_BITS):
            problems.append(
                f"DESKPILOT_SECRET_KEY must be a random value of at least 32 characters and about "
                f"{MIN_SECRET_BITS} bits (no repeats, runs or words); generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        if not self.uses_https:
            problems.append("DESKPILOT_BASE_URL must start with https:// in production (sessions travel in "
                            "cookies; terminate TLS at a proxy and list it in DESKPILOT_TRUSTED_PROXIES)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _pool_covers_requests(self) -> Settings:
        connections = self.db_pool_size + self.db_max_overflow
        if self.http_concurrency >= connections:
            raise ValueError(
                f"DESKPILOT_HTTP_CONCURRENCY ({self.http_concurrency}) must be below DESKPILOT_DB_POOL_SIZE + "
                f"DESKPILOT_DB_MAX_OVERFLOW ({connections}): every request in flight may hold a connection and "
                "the app's background work needs a few more"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'deskpilot.db'}"

    @property
    def uses_https(self) -> bool:
        """Served over https: cookies are `Secure` and responses carry Strict-Transport-Security."""
        return self.base_url.startswith("https://")

    @property
    def mail_domain(self) -> str:
        """The domain of the Message-IDs we create; mail carrying it that comes back in is a loop."""
        return (self.mail_message_id_domain or self.mail_address.rsplit("@", 1)[-1]).lower()

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def mail_drop_dir(self) -> Path:
        """Where one-time codes are written as .eml files when no SMTP server is configured (`make demo`)."""
        return self.data_dir / "mail-drop"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def runbook_journal_path(self) -> Path:
        """The runbook journal: what runs changed outside the database, written before each change."""
        return self.data_dir / "runbooks" / "journal.jsonl"

    @property
    def erasure_ledger_path(self) -> Path:
        """The erasure ledger: which people were erased, so a restore of an older backup erases them again."""
        return self.data_dir / "privacy" / "erasures.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
