"""Demo data for deskpilot: the fictitious organisation Northwind Corp.

Data only (formats in README.md next to this file): ``seed.yaml`` (organisation: calendars, teams,
queues with escalation paths, categories, users, SLA policies, priority matrix), ``kb/*.md`` (knowledge-base
articles with YAML front matter) and ``tickets.csv`` (historical tickets, built by ``build_tickets.py``).
"""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
SEED_YAML = DEMO_DIR / "seed.yaml"
KB_DIR = DEMO_DIR / "kb"
TICKETS_CSV = DEMO_DIR / "tickets.csv"

__all__ = ["DEMO_DIR", "KB_DIR", "SEED_YAML", "TICKETS_CSV"]
