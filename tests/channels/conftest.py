from tests.channels.email.conftest import mail_settings, mail_triage
from tests.entry_points import deskpilot_entry_points

__all__ = ["deskpilot_entry_points", "mail_settings", "mail_triage"]
