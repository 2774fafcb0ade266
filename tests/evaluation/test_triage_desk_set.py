"""The demo desk's triage test set is complete and separate from the training data; a bad set is refused
with the request that is wrong."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml

from deskpilot.demo import SEED_YAML, TICKETS_CSV
from deskpilot.demo.eval import TRIAGE_REQUESTS
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.triage_desk import read_requests
from deskpilot.tickets.enums import Level


def test_the_demo_set_covers_every_category_and_shares_no_text_with_the_history() -> None:
    requests = read_requests(TRIAGE_REQUESTS)
    assert len(requests) >= 150
    seed = yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    categories = {c["name"] for c in seed["categories"]}
    assert set(Counter(r.category for r in requests)) == categories
    assert {r.band for r in requests} == {"high", "normal"}
    with TICKETS_CSV.open(newline="", encoding="utf-8") as handle:
        history = {row["description"].lower() for row in csv.DictReader(handle)}
    examples = {e.lower() for c in seed["categories"] for e in c["examples"]}
    assert not {r.text.lower() for r in requests} & (history | examples)
    texts = [r.text for r in requests]
    assert "My VPN won't connect" in texts
    assert "the whole Berlin office cannot connect to the VPN, nobody can work" in texts
    blocked = next(r for r in requests if r.text.startswith("Can't reach anything internal"))
    assert (blocked.impact, blocked.urgency) == (Level.HIGH, Level.HIGH)


@pytest.mark.parametrize(("content", "message"), [
    ("requests: []", "non-empty `requests` list"),
    ("requests:\n  - {text: '', category: Printing, band: normal}", "request 1: needs a non-empty `text`"),
    ("requests:\n  - {text: x, category: Printing, band: urgent}", "request 1: `band` must be one of"),
    ("requests:\n  - {text: x, category: Printing, band: high}\n  - {text: y, band: high}",
     "request 2: needs the expected `category`"),
    ("requests:\n  - {text: x, category: Printing, band: high, affected: everyone}", "`affected` must be one of"),
    ("requests: [", "Cannot read the test set"),
])
def test_a_bad_test_set_is_refused_naming_the_request(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message.replace("`", ".").replace("(", ".")):
        read_requests(path)
