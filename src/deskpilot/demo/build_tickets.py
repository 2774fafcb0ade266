"""Build the demo ticket history ``tickets.csv`` from the public it_tickets dataset.

Reproducible: the same source file and seed always give the same CSV.

    python src/deskpilot/demo/build_tickets.py   # reads ../shared/datasets/it_tickets/train.csv
    python src/deskpilot/demo/build_tickets.py /path/to/train.csv --seed 42 --out tickets.csv

The ticket text (lower-cased, stop words removed by the dataset's publisher) is kept verbatim as the
description; everything else (priority, channel, status, people, times, resolution) is synthesised with a
seeded random generator. See README.md in this folder for the columns and the mapping rules.
Only the standard library and PyYAML are used.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "datasets" / "it_tickets" / "train.csv"
DEFAULT_OUT = HERE / "tickets.csv"
SEED_FILE = HERE / "seed.yaml"

COLUMNS = [
    "external_id",
    "subject",
    "description",
    "category",
    "queue",
    "priority",
    "channel",
    "status",
    "created_days_ago",
    "resolved_after_hours",
    "requester",
    "assignee",
    "resolution",
]

BASE_SAMPLE = 450  # spread over the labels in proportion to their frequency ...
MIN_PER_LABEL = 30  # ... but at least this many per label
NETWORK_SAMPLE = 30  # extra Hardware/Miscellaneous tickets about the network (see NETWORK_RE)
MIN_WORDS, MAX_WORDS = 5, 150  # skip near-empty and very long e-mail threads
SUBJECT_WORDS = 8

# Hardware and Miscellaneous tickets whose first words name the network go to the Network queue.
NETWORK_LABELS = {"Hardware", "Miscellaneous"}
NETWORK_RE = re.compile(
    r"\b(network|wireless|internet|proxy|firewall|tunneling|dns|ethernet|router|wi fi|connectivity|lan)\b"
)
NETWORK_WINDOW = 20  # words inspected for NETWORK_RE

PRIORITY_WEIGHTS = {
    "default": {"P1": 3, "P2": 15, "P3": 55, "P4": 27},
    "Network": {"P1": 8, "P2": 25, "P3": 50, "P4": 17},
    "Access": {"P1": 3, "P2": 20, "P3": 57, "P4": 20},
    "HR Support": {"P1": 1, "P2": 8, "P3": 51, "P4": 40},
    "Purchase": {"P1": 0, "P2": 6, "P3": 44, "P4": 50},
    "Internal Project": {"P1": 0, "P2": 8, "P3": 52, "P4": 40},
}
CHANNEL_WEIGHTS = {"portal": 45, "email": 30, "chat": 20, "api": 5}
OPEN_SHARE = 0.10
OPEN_STATUS_WEIGHTS = {"open": 35, "in_progress": 40, "waiting_on_customer": 25}
# wall-clock hours from creation to resolution: (low, high, mode) of a triangular distribution
RESOLUTION_HOURS = {"P1": (0.5, 8, 1.5), "P2": (2, 36, 6), "P3": (4, 120, 24), "P4": (8, 240, 48)}
CLOSE_AFTER_HOURS = 120  # a resolved ticket is closed automatically 5 days after resolution
HISTORY_DAYS = 90

RESOLUTIONS = {
    "Hardware": [
        "Replaced the faulty peripheral from stock and confirmed it works with the user.",
        "Updated drivers and BIOS with Dell Command Update; issue no longer reproducible.",
        "Reimaged the laptop via Autopilot reset and restored the user's OneDrive data.",
        "Swapped the docking station; both monitors detected after firmware update.",
        "Delivered the requested equipment to the user's desk and updated the asset record.",
    ],
    "Network": [
        "Reconnected to the NW-Corp Wi-Fi after renewing the device certificate in Company Portal.",
        "GlobalProtect reinstalled and switched to the nearest gateway; VPN connects again.",
        "Patched the desk port to the correct VLAN; wired connection working.",
        "Access point on the floor restarted by Network Ops; connectivity confirmed by the user.",
        "Added the site to the proxy bypass list after security review.",
    ],
    "HR Support": [
        "Updated the record in Workday and confirmed the change with the requester.",
        "Timecard returned to the employee for correction as requested by the manager.",
        "Joiner account and mailbox prepared; equipment handed over on the first day.",
        "Leaver processed: account disabled, mailbox converted to shared, equipment collected.",
        "Approval chain in Workday corrected; pending leave request now visible to the manager.",
    ],
    "Access": [
        "Access granted after owner approval; user added to the AD group, effective after next sign-in.",
        "Account unlocked and password reset via Okta; user enrolled in self-service reset.",
        "Okta Verify re-enrolled on the user's new phone after identity check.",
        "Licence assigned from the pool and activation confirmed.",
        "Access removed as requested by the line manager.",
    ],
    "Miscellaneous": [
        "Information provided to the requester; no further action needed.",
        "Distribution list created and members added as requested.",
        "Display name updated in Active Directory; change synced to Microsoft 365.",
        "Forwarded to the responsible business team and informed the requester.",
        "Suspicious message reported to Security; sender blocked and message purged from mailboxes.",
    ],
    "Storage": [
        "Online archive enabled and retention policy applied; mailbox below quota.",
        "Shared folder permissions updated after approval from the folder owner.",
        "Files restored from the previous version snapshot to the original location.",
        "Department share quota increased by 50 GB after manager approval.",
        "OneDrive sync reset; files uploaded and sync status green.",
    ],
    "Purchase": [
        "Purchase order raised in Oracle Fusion; delivery expected within 5 business days.",
        "Item received, asset tag applied and allocated to the user.",
        "Receipt confirmed in Oracle Fusion; purchase order closed.",
        "Request approved by cost-centre owner and ordered from the standard catalogue.",
    ],
    "Internal Project": [
        "Project code created in Oracle Fusion and team members assigned.",
        "Sub-codes added to the project; visible in timesheets from tomorrow.",
        "Project code closed after confirmation from the project manager.",
        "Project code reinstated until the requested end date.",
    ],
    "Administrative rights": [
        "Software installed from Company Portal; no local admin rights required.",
        "Temporary admin rights granted for 60 minutes after manager approval.",
        "Windows feature update completed after clearing the update cache.",
        "Application packaged by App Support and published in Company Portal.",
    ],
}

# More specific notes, chosen when the ticket text matches (first match wins).
KEYWORD_WINDOW = 25  # words inspected for KEYWORD_RESOLUTIONS
KEYWORD_RESOLUTIONS = [
    (
        r"\b(wireless|wi fi)\b",
        "Reconnected to the NW-Corp Wi-Fi after renewing the device certificate in Company Portal.",
    ),
    (
        r"\bproxy\b",
        "Proxy settings reset to the PAC file deployed by Intune; authentication prompt no longer appears.",
    ),
    (
        r"\bprint(er|ers|ing)?\b",
        "Printer re-added through the PaperCut follow-me queue; test page released at the device.",
    ),
    (
        r"\b(locked|unlock)\b",
        "Account unlocked after identity check; user reminded of self-service unlock in Okta.",
    ),
    (r"\bpassword\b", "Password reset via Okta and synchronised to AD; user signed in successfully."),
    (r"\b(licen[cs]e|subscription)\b", "Licence assigned from the pool and activation confirmed."),
    (r"\bmailbox\b", "Mailbox permissions / size adjusted in Exchange Online; user confirmed in Outlook."),
    (r"\b(starter|joiner)\b", "Joiner account and mailbox prepared; equipment handed over on the first day."),
    (r"\bleaver\b", "Leaver processed: account disabled, mailbox converted to shared, equipment collected."),
    (
        r"\b(timecard|timesheet|time card)\b",
        "Timecard returned to the employee for correction as requested by the manager.",
    ),
    (r"\bmonitor\b", "Monitor replaced / connected via the docking station; displays detected correctly."),
    (
        r"\b(keyboard|mouse|headset|headsets)\b",
        "Replacement peripheral handed out from IT stock; asset record updated.",
    ),
    (r"\bupgrade\b", "Windows feature update completed after clearing the update cache."),
]


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def load_source(path: Path) -> dict[str, list[str]]:
    """Texts per label, filtered by length and de-duplicated, in file order."""
    by_label: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = " ".join(row["text"].split())
            n = len(text.split())
            if not (MIN_WORDS <= n <= MAX_WORDS) or text in seen:
                continue
            seen.add(text)
            by_label[row["label"]].append(text)
    return by_label


def is_network(label: str, text: str) -> bool:
    return label in NETWORK_LABELS and bool(NETWORK_RE.search(" ".join(text.split()[:NETWORK_WINDOW])))


def sample(by_label: dict[str, list[str]], rng: random.Random) -> list[tuple[str, str]]:
    """Stratified by label (proportional with a floor), plus a network stratum."""
    total = sum(len(v) for v in by_label.values())
    network_pool = [
        (lbl, t) for lbl in sorted(NETWORK_LABELS) for t in by_label.get(lbl, []) if is_network(lbl, t)
    ]
    chosen = rng.sample(network_pool, min(NETWORK_SAMPLE, len(network_pool)))
    taken = {t for _, t in chosen}
    for label in sorted(by_label):
        pool = [t for t in by_label[label] if t not in taken]
        quota = max(MIN_PER_LABEL, round(BASE_SAMPLE * len(by_label[label]) / total))
        chosen.extend((label, t) for t in rng.sample(pool, min(quota, len(pool))))
    return chosen


def subject_of(text: str) -> str:
    words = text.split()[:SUBJECT_WORDS]
    subject = " ".join(words)
    return subject[:1].upper() + subject[1:]


def build(source: Path, seed: int) -> list[dict[str, str]]:
    org = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    default_queue = {c["name"]: c["default_queue"] for c in org["categories"]}
    queue_team = {q["name"]: q["team"] for q in org["queues"]}
    requesters = [u["username"] for u in org["users"] if u["role"] == "requester"]
    members: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for u in org["users"]:
        for team in u["teams"]:
            if u["role"] in ("agent", "lead"):
                members[team].append((u["username"], 3 if u["role"] == "agent" else 1))

    rng = random.Random(seed)
    tickets = []
    for label, text in sample(load_source(source), rng):
        network = is_network(label, text)
        queue = "Network" if network else default_queue[label]
        weights = PRIORITY_WEIGHTS.get("Network" if network else label, PRIORITY_WEIGHTS["default"])
        priority = pick(rng, weights)
        channel = pick(rng, CHANNEL_WEIGHTS)
        team = members[queue_team[queue]]
        assignee = rng.choices([m for m, _ in team], weights=[w for _, w in team], k=1)[0]
        if rng.random() < OPEN_SHARE:
            status = pick(rng, OPEN_STATUS_WEIGHTS)
            created = rng.randint(0, 13)
            hours = ""
            resolution = ""
            if status == "open" and rng.random() < 0.5:
                assignee = ""  # not picked up yet
        else:
            low, high, mode = RESOLUTION_HOURS[priority]
            h = round(rng.triangular(low, high, mode), 1)
            created = rng.randint(max(1, math.ceil(h / 24)), HISTORY_DAYS - 1)
            status = "closed" if created * 24 - h >= CLOSE_AFTER_HOURS else "resolved"
            hours = f"{h:.1f}"
            head = " ".join(text.split()[:KEYWORD_WINDOW])
            resolution = next(
                (note for pattern, note in KEYWORD_RESOLUTIONS if re.search(pattern, head)),
                None,
            ) or rng.choice(RESOLUTIONS["Network" if network else label])
        tickets.append(
            {
                "subject": subject_of(text),
                "description": text,
                "category": label,
                "queue": queue,
                "priority": priority,
                "channel": channel,
                "status": status,
                "created_days_ago": str(created),
                "resolved_after_hours": hours,
                "requester": rng.choice(requesters),
                "assignee": assignee,
                "resolution": resolution,
            }
        )
    # oldest first, numbered in that order
    tickets.sort(key=lambda t: -int(t["created_days_ago"]))
    for i, t in enumerate(tickets, start=1):
        t["external_id"] = f"NWC-{10000 + i}"
    return tickets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="it_tickets train.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"source not found: {args.source}")
    tickets = build(args.source, args.seed)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(tickets)
    sys.stderr.write(f"wrote {len(tickets)} tickets to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
