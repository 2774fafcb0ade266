"""The worker tests use this checkout's entry points and the e-mail channel's real servers."""

from tests.channels.email.conftest import dovecot, imap_settings, mail_settings, mail_triage, smtp_sink
from tests.entry_points import deskpilot_entry_points

__all__ = ["deskpilot_entry_points", "dovecot", "imap_settings", "mail_settings", "mail_triage", "smtp_sink"]
