"""The e-mail channel's periodic jobs: the same use cases as `deskpilot mail poll` and `mail send`.

Both are due every `DESKPILOT_MAIL_POLL_INTERVAL_SECONDS` once their server is configured. Each mail is
its own unit of work (a mailbox cursor or an outbox row moves with it), so a retried run repeats nothing.
"""

from __future__ import annotations

from deskpilot.channels.email import delivery, imap
from deskpilot.channels.email.mailbox_drafts import MailboxDrafts
from deskpilot.config import Settings
from deskpilot.errors import ProviderError
from deskpilot.jobs.base import JobContext, Payload, RetryPolicy, job


def _poll_interval(settings: Settings) -> float | None:
    return settings.mail_poll_interval_seconds if settings.mail_mailboxes else None


def _send_interval(settings: Settings) -> float | None:
    return settings.mail_poll_interval_seconds if settings.mail_smtp_host else None


@job("mail.poll", every=_poll_interval, retry=RetryPolicy(max_attempts=3, backoff_seconds=30.0))
def poll_mail(context: JobContext, _payload: Payload) -> str:
    """Take new mail from every configured mailbox; a mailbox that failed makes the run fail (and retry)."""
    drafts = MailboxDrafts(context.settings, context.runtime.kb)
    report = imap.poll_once(context.sessions, settings=context.settings, triage=context.runtime.triage,
                            drafts=drafts)
    if report.errors:
        raise ProviderError(f"{report.summary()}; failed: {'; '.join(report.errors)}", retryable=True)
    return report.summary()


@job("mail.send", every=_send_interval)
def send_mail(context: JobContext, _payload: Payload) -> str:
    """Send the due outbox; each mail keeps its own retry schedule in the outbox, so the run only fails when
    the outbox itself cannot be read or written."""
    return delivery.send_outbox(context.sessions, settings=context.settings).summary()
