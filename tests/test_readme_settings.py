"""The README's configuration table names every setting deskpilot reads (issue 18: LDAP, SMTP, IMAP, LLM...)."""

from __future__ import annotations

from pathlib import Path

from deskpilot.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [f"DESKPILOT_{name.upper()}" for name in Settings.model_fields if f"`DESKPILOT_{name.upper()}`"
               not in text]
    assert missing == []
