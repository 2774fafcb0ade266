"""Set up the KB replay-gate benchmark on a demo desk (`deskpilot demo --no-serve` first, same environment).

    .venv/bin/python benchmarks/kb_gate_bench.py [--degrade vpn-error-codes] [--harmless printer-add]

1. Imports the replay set's answer cases: every single-turn English case of the conversation evaluation set
   (src/deskpilot/demo/eval/conversations.yaml) that expects an answer from exactly one article, as a lead's
   curated file (question → article). The set was written for the demo KB independently of it; nothing is tuned.
2. Puts two KB versions in review, written by an agent: `--degrade` gets a body about something else (an editor
   pasting the wrong text over an article), `--harmless` gets one sentence appended.

Then `deskpilot replay run --candidate kb:<slug>` replays the answer cases through the live KB and the KB with the
version swapped in, in one run (see docs/benchmarks.md, "Replay gate: KB change sets").
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import yaml

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import Role
from deskpilot.accounts.principal import Principal
from deskpilot.cli.context import database, load_settings
from deskpilot.governance import replay_sets
from deskpilot.kb import service, workflow
from deskpilot.kb.schemas import KbVersionCreate
from deskpilot.safe_csv import SafeCsvWriter

CASES = Path(__file__).resolve().parents[1] / "src/deskpilot/demo/eval/conversations.yaml"
OTHER_TOPIC = """**Applies to:** everyone in the head office.

## Opening hours

The canteen opens at 08:00 and serves lunch from 11:30 to 14:00. Vegetarian dishes are marked green.
"""


def answer_cases_csv() -> tuple[str, int]:
    """The curated CSV of single-article answer cases, and how many there are."""
    data = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    rows = [(c["say"], c["slugs"][0]) for c in data["cases"]
            if c["expect"] == "answer" and "say" in c and c.get("language", "en") == "en" and len(c["slugs"]) == 1]
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(["kind", "question", "article"])
    for question, slug in rows:
        writer.writerow(["answer", question, slug])
    return buffer.getvalue(), len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--degrade", default="vpn-error-codes")
    parser.add_argument("--harmless", default="printer-add")
    args = parser.parse_args()
    with database(load_settings()) as session:
        system = Principal.system("benchmark")
        lead = accounts.get_all(session, actor=system, role=Role.LEAD, limit=1)[0][0]
        agent = accounts.get_all(session, actor=system, role=Role.AGENT, limit=1)[0][0]
        content, count = answer_cases_csv()
        built = replay_sets.import_file(session, actor=Principal.of(lead), name="conversation-answer-cases.csv",
                                        content=content)
        print(f"replay set v{built.version}: {count} answer cases imported ({len(built.cases)} cases in all)")
        writer = Principal.of(agent)
        for slug, change in ((args.degrade, "degraded"), (args.harmless, "harmless")):
            article = service.get_by_slug(session, actor=writer, slug=slug)
            live = service.current_version(article, actor=writer)
            assert live is not None
            body = OTHER_TOPIC if change == "degraded" else live.body + "\nAsk reception if your badge is not accepted."
            version = service.add_version(session, actor=writer, article_id=article.id,
                                          data=KbVersionCreate(body=body, change_note=f"{change} for the benchmark"))
            workflow.submit(session, actor=writer, article_id=article.id, version=version.version)
            print(f"{slug} v{version.version} in review ({change})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
