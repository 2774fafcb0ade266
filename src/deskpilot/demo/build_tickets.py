"""Write the demo desk's ticket history (tickets.csv) from the written scenarios in ticket_templates.yaml.

Reproducible: the same templates and seed always give the same CSV.

    python src/deskpilot/demo/build_tickets.py
    python src/deskpilot/demo/build_tickets.py --seed 42 --out tickets.csv

Each scenario of ticket_templates.yaml belongs to one triage category and is answered by one KB article;
a ticket combines one of its subjects, bodies and details with an opener and a closer, and a resolved ticket
carries one of the scenario's resolutions (written to follow the article). Priority, channel, status, people
and times are drawn with a seeded random generator. See README.md in this folder for the columns.
Only the standard library and PyYAML are used.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "tickets.csv"
SEED_FILE = HERE / "seed.yaml"
TEMPLATES_FILE = HERE / "ticket_templates.yaml"

COLUMNS = [
    "external_id", "subject", "description", "category", "queue", "priority", "channel", "status",
    "created_days_ago", "resolved_after_hours", "requester", "assignee", "resolution",
]

PER_SCENARIO = 9  # tickets written from each scenario (a few fewer when it has few distinct texts)
CHANNEL_WEIGHTS = {"portal": 45, "email": 30, "chat": 20, "api": 5}
OPEN_SHARE = 0.10
OPEN_STATUS_WEIGHTS = {"open": 35, "in_progress": 40, "waiting_on_customer": 25}
# wall-clock hours from creation to resolution: (low, high, mode) of a triangular distribution
RESOLUTION_HOURS = {"P1": (0.5, 8, 1.5), "P2": (2, 36, 6), "P3": (4, 120, 24), "P4": (8, 240, 48)}
# share of tickets the first agent resolves within the hour (first-contact resolution), by priority
QUICK_FIX = {"P1": 0.0, "P2": 0.1, "P3": 0.25, "P4": 0.3}
CLOSE_AFTER_HOURS = 120  # a resolved ticket is closed automatically 5 days after resolution
HISTORY_DAYS = 90


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _sentence(*parts: str) -> str:
    return " ".join(p for p in parts if p).strip()


def write_texts(scenario: dict[str, Any], common: dict[str, Any], rng: random.Random) -> list[tuple[str, str]]:
    """Distinct (subject, description) pairs for one scenario."""
    texts: dict[str, str] = {}
    for _ in range(PER_SCENARIO * 6):
        if len(texts) == PER_SCENARIO:
            break
        body = rng.choice(scenario["bodies"]).format(
            detail=rng.choice(scenario["details"]), office=rng.choice(common["offices"]),
            since=rng.choice(common["since"]))
        body = body[:1].upper() + body[1:]
        description = _sentence(rng.choice(common["openers"]), body, rng.choice(common["closers"]))
        texts.setdefault(description, rng.choice(scenario["subjects"]))
    return [(subject, description) for description, subject in texts.items()]


def _people(org: dict[str, Any]) -> tuple[list[str], dict[str, list[tuple[str, int]]]]:
    requesters = [u["username"] for u in org["users"] if u["role"] == "requester"]
    members: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for u in org["users"]:
        for team in u["teams"]:
            if u["role"] in ("agent", "lead"):
                members[team].append((u["username"], 3 if u["role"] == "agent" else 1))
    return requesters, members


def _lifecycle(rng: random.Random, priority: str) -> tuple[str, int, str]:
    """(status, created_days_ago, resolved_after_hours) of one ticket."""
    if rng.random() < OPEN_SHARE:
        return pick(rng, OPEN_STATUS_WEIGHTS), rng.randint(0, 13), ""
    low, high, mode = RESOLUTION_HOURS[priority]
    hours = round(rng.uniform(0.2, 1.0), 1) if rng.random() < QUICK_FIX[priority] else \
        round(rng.triangular(low, high, mode), 1)
    created = rng.randint(max(1, math.ceil(hours / 24)), HISTORY_DAYS - 1)
    status = "closed" if created * 24 - hours >= CLOSE_AFTER_HOURS else "resolved"
    return status, created, f"{hours:.1f}"


def build(seed: int) -> list[dict[str, str]]:
    org = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    common = yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))
    default_queue = {c["name"]: c["default_queue"] for c in org["categories"]}
    queue_team = {q["name"]: q["team"] for q in org["queues"]}
    requesters, members = _people(org)
    rng = random.Random(seed)
    tickets = []
    for scenario in common["scenarios"]:
        queue = default_queue[scenario["category"]]
        for subject, description in write_texts(scenario, common, rng):
            priority = pick(rng, scenario["priority"])
            team = members[queue_team[queue]]
            assignee = rng.choices([m for m, _ in team], weights=[w for _, w in team], k=1)[0]
            status, created, hours = _lifecycle(rng, priority)
            resolved = hours != ""
            if status == "open" and rng.random() < 0.5:
                assignee = ""  # not picked up yet
            tickets.append({
                "external_id": "", "subject": subject, "description": description,
                "category": scenario["category"], "queue": queue, "priority": priority,
                "channel": pick(rng, CHANNEL_WEIGHTS), "status": status, "created_days_ago": str(created),
                "resolved_after_hours": hours, "requester": rng.choice(requesters), "assignee": assignee,
                "resolution": rng.choice(scenario["resolutions"]) if resolved else "",
            })
    # oldest first, numbered in that order (a stable sort keeps the written order within a day)
    tickets.sort(key=lambda t: -int(t["created_days_ago"]))
    for i, t in enumerate(tickets, start=1):
        t["external_id"] = f"NWC-{10000 + i}"
    return tickets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    tickets = build(args.seed)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(tickets)
    sys.stderr.write(f"wrote {len(tickets)} tickets to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
