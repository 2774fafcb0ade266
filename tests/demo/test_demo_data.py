"""The demo data package is complete and self-consistent (formats: src/deskpilot/demo/README.md).

Pure file checks with PyYAML and the standard library; no database.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from deskpilot.demo import DEMO_DIR, KB_DIR, SEED_YAML, TICKETS_CSV

PRIORITIES = {"P1", "P2", "P3", "P4"}
CHANNELS = {"portal", "chat", "email", "api"}
STATUSES = {"new", "open", "in_progress", "waiting_on_customer", "resolved", "closed", "merged"}
OPEN_STATUSES = {"new", "open", "in_progress", "waiting_on_customer"}
ROLES = {"requester", "agent", "lead", "admin", "auditor"}
LEVELS = {"high", "medium", "low"}
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
CATEGORIES = {"Network & VPN", "Identity & Access", "Access requests", "E-mail & Collaboration", "Hardware",
              "Software & Licences", "Printing", "Security incident", "Business applications", "Files & Storage",
              "Purchasing", "General enquiry"}
QUEUES = {"Service Desk L1", "Network", "Identity & Access", "End-user Hardware", "Applications"}
TICKET_COLUMNS = ["external_id", "subject", "description", "category", "queue", "priority", "channel",
                  "status", "created_days_ago", "resolved_after_hours", "requester", "assignee", "resolution"]
ARTICLE_FIELDS = {"slug", "title", "queue", "category", "tags", "owner"}
TRANSLATION_FIELDS = ARTICLE_FIELDS | {"language", "translation_of"}
# The article's headings in each language the demo KB has translations in: steps, fallback, cause.
HEADINGS = {"en": ("Steps", "If this did not help", "Cause"),
            "de": ("Schritte", "Wenn das nicht geholfen hat", "Ursache"),
            "fr": ("Étapes", "Si cela n'a pas aidé", "Cause")}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
INTERVAL = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    data = yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def users(seed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["username"]: u for u in seed["users"]}


def parse_article(path: Path) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    assert match, f"{path.name}: no YAML front matter between '---' lines"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, match.group(2)


@pytest.fixture(scope="module")
def articles() -> list[tuple[Path, dict[str, Any], str]]:
    return [(p, *parse_article(p)) for p in sorted(KB_DIR.glob("*.md"))]


@pytest.fixture(scope="module")
def tickets() -> list[dict[str, str]]:
    with TICKETS_CSV.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == TICKET_COLUMNS
        return list(reader)


# --- seed.yaml ---------------------------------------------------------------------------------------


def test_seed_has_all_sections(seed: dict[str, Any]) -> None:
    for key in ("organisation", "demo_password", "calendars", "teams", "queues", "categories", "users",
                "sla_policies", "priority_matrix"):
        assert seed.get(key), f"seed.yaml: missing or empty {key!r}"
    assert isinstance(seed["demo_password"], str) and len(seed["demo_password"]) >= 12
    assert seed["organisation"]["default_calendar"] in {c["name"] for c in seed["calendars"]}


def test_calendars_are_valid(seed: dict[str, Any]) -> None:
    names = [c["name"] for c in seed["calendars"]]
    assert len(names) == len(set(names))
    for cal in seed["calendars"]:
        definition = cal["definition"]
        assert set(definition) <= {"timezone", "hours", "holidays"}, cal["name"]
        assert definition["timezone"] == "Europe/Berlin"
        assert definition["hours"] and set(definition["hours"]) <= WEEKDAYS, cal["name"]
        for intervals in definition["hours"].values():
            assert intervals and all(INTERVAL.match(i) for i in intervals), (cal["name"], intervals)
        holidays = [date.fromisoformat(d) for d in definition["holidays"]]
        assert len(holidays) == len(set(holidays))
    business = next(c for c in seed["calendars"] if c["name"] == seed["organisation"]["default_calendar"])
    assert business["definition"]["hours"]["mon"] == ["08:00-18:00"]
    years = Counter(date.fromisoformat(d).year for d in business["definition"]["holidays"])
    assert years[2026] >= 8 and years[2027] >= 8


def test_calendars_load_in_the_sla_engine(seed: dict[str, Any]) -> None:
    calendar = pytest.importorskip("deskpilot.tickets.calendar")
    for cal in seed["calendars"]:
        calendar.BusinessCalendar.from_dict(cal["definition"])


def test_teams_users_and_roles_are_consistent(seed: dict[str, Any], users: dict[str, dict[str, Any]]) -> None:
    teams = {t["name"]: t for t in seed["teams"]}
    assert len(teams) == len(seed["teams"]) >= 5
    assert len(users) == len(seed["users"]) >= 14
    emails = [u["email"] for u in seed["users"]]
    assert len(emails) == len(set(emails))
    for u in seed["users"]:
        assert u["role"] in ROLES, u["username"]
        assert re.fullmatch(r"[a-z]+\.[a-z]+", u["username"]), u["username"]
        assert u["email"] == f"{u['username']}@northwind.example"
        assert u["full_name"].strip()
        assert set(u["teams"]) <= set(teams), u["username"]
        assert isinstance(u.get("is_vip", False), bool)
        if u["role"] in ("agent", "lead"):
            assert u["teams"], f"{u['username']} works in no team"
    assert set(Counter(u["role"] for u in seed["users"])) == ROLES
    for team in teams.values():
        lead = users[team["lead"]]
        assert lead["role"] == "lead" and team["name"] in lead["teams"], team["name"]
        assert any(team["name"] in u["teams"] and u["role"] == "agent" for u in seed["users"]), team["name"]


def test_queues_categories_and_escalations(seed: dict[str, Any]) -> None:
    teams = {t["name"] for t in seed["teams"]}
    assert {q["name"] for q in seed["queues"]} == QUEUES
    for queue in seed["queues"]:
        assert queue["team"] in teams and queue["description"].strip(), queue["name"]
        levels = queue["escalation_levels"]
        assert [lvl["level"] for lvl in levels] == list(range(1, len(levels) + 1)), queue["name"]
        for lvl in levels:
            assert lvl["trigger"] in ("near_breach", "breach")
            assert isinstance(lvl["after_minutes"], int) and lvl["after_minutes"] >= 0
            assert lvl.get("notify_team") or lvl.get("notify_role"), (queue["name"], lvl)
            assert lvl.get("notify_team") is None or lvl["notify_team"] in teams
            assert lvl.get("notify_role") is None or lvl["notify_role"] in ROLES
    assert {c["name"] for c in seed["categories"]} == CATEGORIES
    for category in seed["categories"]:
        assert category["default_queue"] in QUEUES and len(category["description"]) >= 40, category["name"]
        assert len(category["examples"]) >= 2 and all(e.strip() for e in category["examples"]), category["name"]


def test_sla_policies_and_priority_matrix(seed: dict[str, Any]) -> None:
    calendars = {c["name"]: c for c in seed["calendars"]}
    policies = {p["priority"]: p for p in seed["sla_policies"]}
    assert set(policies) == PRIORITIES and len(seed["sla_policies"]) == 4
    for p in policies.values():
        assert p["calendar"] in calendars
        assert p["queue"] is None or p["queue"] in QUEUES
        assert 0 < p["first_response_minutes"] <= p["resolution_minutes"]
        assert 0 < p["near_breach_ratio"] < 1
    assert [policies[k]["resolution_minutes"] for k in ("P1", "P2", "P3", "P4")] == sorted(
        policies[k]["resolution_minutes"] for k in ("P1", "P2", "P3", "P4"))
    p1_hours = calendars[policies["P1"]["calendar"]]["definition"]["hours"]
    assert set(p1_hours) == WEEKDAYS and all(v == ["00:00-24:00"] for v in p1_hours.values())
    matrix = {(m["impact"], m["urgency"]): m["priority"] for m in seed["priority_matrix"]}
    assert len(matrix) == len(seed["priority_matrix"]) == 9
    assert set(matrix) == {(i, u) for i in LEVELS for u in LEVELS}
    assert set(matrix.values()) == PRIORITIES
    assert matrix[("high", "high")] == "P1" and matrix[("low", "low")] == "P4"


# --- kb/*.md -----------------------------------------------------------------------------------------


def test_enough_articles_with_unique_slugs(articles: list[tuple[Path, dict[str, Any], str]]) -> None:
    assert len(articles) >= 40
    slugs = [meta["slug"] for _, meta, _ in articles]
    titles = [meta["title"] for _, meta, _ in articles]
    assert len(slugs) == len(set(slugs))
    assert len(titles) == len(set(titles))
    for path, meta, _ in articles:
        assert meta["slug"] == path.stem and KEBAB.match(meta["slug"]), path.name


def test_article_front_matter_is_valid(articles: list[tuple[Path, dict[str, Any], str]], seed: dict[str, Any],
                                       users: dict[str, dict[str, Any]]) -> None:
    queues = {q["name"] for q in seed["queues"]}
    categories = {c["name"] for c in seed["categories"]}
    for path, meta, _ in articles:
        assert set(meta) in (ARTICLE_FIELDS, TRANSLATION_FIELDS), f"{path.name}: fields {sorted(meta)}"
        assert isinstance(meta["title"], str) and meta["title"].strip(), path.name
        assert meta["queue"] in queues, path.name
        assert meta["category"] in categories, path.name
        assert meta["owner"] in users and users[meta["owner"]]["role"] in ("lead", "agent"), path.name
        tags = meta["tags"]
        assert isinstance(tags, list) and tags, path.name
        assert all(isinstance(t, str) and KEBAB.match(t) for t in tags), path.name
    assert {meta["queue"] for _, meta, _ in articles} == queues  # every queue has articles


def test_translations_name_an_english_original_and_keep_its_metadata(
        articles: list[tuple[Path, dict[str, Any], str]]) -> None:
    by_slug = {meta["slug"]: meta for _, meta, _ in articles}
    translations = [meta for meta in by_slug.values() if "translation_of" in meta]
    assert {m["language"] for m in translations} == {"de", "fr"}
    for meta in translations:
        original = by_slug[meta["translation_of"]]
        assert "language" not in original and meta["slug"] == f"{original['slug']}-{meta['language']}"
        assert [meta[k] for k in ("queue", "category", "tags")] == [original[k] for k in ("queue", "category", "tags")]


def test_article_bodies_have_numbered_steps(articles: list[tuple[Path, dict[str, Any], str]]) -> None:
    for path, meta, body in articles:
        steps_heading, fallback, cause = HEADINGS[meta.get("language", "en")]
        headings = re.findall(r"^## (.+)$", body, re.M)
        assert steps_heading in headings and fallback in headings, f"{path.name}: {headings}"
        assert set(headings) <= {steps_heading, fallback, cause}, f"{path.name}: {headings}"
        intro = body.split("## ", 1)[0]
        assert len(intro.split()) >= 15, f"{path.name}: no Applies to / Symptoms paragraph"
        steps = re.split(r"^## ", body.split(f"## {steps_heading}", 1)[1], maxsplit=1, flags=re.M)[0]
        numbers = [int(n) for n in re.findall(r"^(\d+)\. \S", steps, re.M)]
        assert len(numbers) >= 3 and numbers[:3] == [1, 2, 3], f"{path.name}: steps {numbers}"
        words = len(body.split())
        assert 150 <= words <= 450, f"{path.name}: {words} words"


# --- tickets.csv -------------------------------------------------------------------------------------


def test_tickets_are_valid(tickets: list[dict[str, str]], seed: dict[str, Any],
                           users: dict[str, dict[str, Any]]) -> None:
    assert len(tickets) >= 300
    assert len({t["external_id"] for t in tickets}) == len(tickets)
    default_queue = {c["name"]: c["default_queue"] for c in seed["categories"]}
    queue_team = {q["name"]: q["team"] for q in seed["queues"]}
    for t in tickets:
        tid = t["external_id"]
        assert t["subject"].strip() and t["description"].strip(), tid
        assert t["category"] in default_queue, tid
        assert t["queue"] in (default_queue[t["category"]], "Network"), tid
        assert t["priority"] in PRIORITIES and t["channel"] in CHANNELS and t["status"] in STATUSES, tid
        assert 0 <= int(t["created_days_ago"]) < 90, tid
        assert users[t["requester"]]["role"] == "requester", tid
        if t["assignee"]:
            assignee = users[t["assignee"]]
            assert assignee["role"] in ("agent", "lead") and queue_team[t["queue"]] in assignee["teams"], tid
        if t["status"] in OPEN_STATUSES:
            assert t["resolved_after_hours"] == "" and t["resolution"] == "", tid
        else:
            hours = float(t["resolved_after_hours"])
            assert 0 < hours <= int(t["created_days_ago"]) * 24, tid
            assert t["resolution"].strip() and t["assignee"], tid


def test_ticket_distributions_are_believable(tickets: list[dict[str, str]]) -> None:
    n = len(tickets)
    status = Counter(t["status"] for t in tickets)
    assert 0.05 <= sum(status[s] for s in OPEN_STATUSES) / n <= 0.2
    priority = Counter(t["priority"] for t in tickets)
    assert set(priority) == PRIORITIES and priority["P3"] > priority["P2"] > priority["P1"]
    assert set(Counter(t["channel"] for t in tickets)) == CHANNELS
    assert set(Counter(t["queue"] for t in tickets)) == QUEUES
    assert set(Counter(t["category"] for t in tickets)) == CATEGORIES
    assert min(Counter(t["category"] for t in tickets).values()) >= 9
    assert len({t["description"] for t in tickets}) == len(tickets)  # written, not one sentence repeated


def test_tickets_csv_is_reproducible(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_tickets", DEMO_DIR / "build_tickets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "tickets.csv"
    assert module.main(["--out", str(out)]) == 0
    assert out.read_bytes() == TICKETS_CSV.read_bytes()


def test_every_written_scenario_names_an_article_of_its_category(
        articles: list[tuple[Path, dict[str, Any], str]], seed: dict[str, Any]) -> None:
    templates = yaml.safe_load((DEMO_DIR / "ticket_templates.yaml").read_text(encoding="utf-8"))
    by_slug = {meta["slug"]: meta for _, meta, _ in articles}
    categories = {c["name"] for c in seed["categories"]}
    for scenario in templates["scenarios"]:
        assert scenario["category"] in categories, scenario["article"]
        assert by_slug[scenario["article"]]["category"] == scenario["category"], scenario["article"]
        assert scenario["subjects"] and scenario["bodies"] and scenario["resolutions"], scenario["article"]
    assert {s["category"] for s in templates["scenarios"]} == categories
