"""`deskpilot replay build | import | export | list | run`: the replay sets and the gate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.governance import gate, kb_changes, replay_sets, settings_gate
from deskpilot.governance.models import ReplaySet
from deskpilot.governance.report import format_report
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import load_embedder
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT

CLI = Principal.system("cli")
MAX_FILE_BYTES = 20 * 1024 * 1024


def _summary(replay_set: ReplaySet) -> str:
    counts = ", ".join(f"{n} {source}" for source, n in sorted(replay_sets.counts(replay_set).items()))
    return f"replay set v{replay_set.version}: {len(replay_set.cases)} cases ({counts or 'none'})"


def cmd_replay_build(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        print(_summary(replay_sets.build(session, actor=CLI)))
    return 0


def cmd_replay_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    with database(load_settings()) as session:
        print(_summary(replay_sets.import_file(session, actor=CLI, name=path.name, content=content)))
    return 0


def cmd_replay_export(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        replay_set = replay_sets.get(session, version=args.set)
        text = "".join(replay_sets.export_csv(replay_set))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"replay set v{replay_set.version} written to {args.output} (anonymised)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_replay_list(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        for replay_set in replay_sets.get_all(session):
            print(f"{_summary(replay_set)}; {replay_set.provenance.get('made_by')} by {replay_set.created_by} "
                  f"at {replay_set.created_at:%Y-%m-%d %H:%M}")
    return 0


def _candidate(session: Session, args: argparse.Namespace, settings: Settings, index: KbIndex | None
               ) -> gate.Candidate:
    """`--candidate VERSION` (a triage model), `kb:SLUG,...` / `kb:*` (the versions in review) or
    `settings:key=value,...` (answer settings), with `--answer-abstain-below`."""
    given = args.candidate or ""
    kind, _, rest = given.partition(":")
    if kind == "kb":
        if index is None:
            raise InvalidInput("a KB change set is replayed on the answer cases; drop --no-answers")
        versions = kb_changes.in_review(session, slugs=rest.split(","))
        return gate.Candidate(kb_index=kb_changes.candidate_index(index, versions),
                              kb_change=kb_changes.describe(versions),
                              answer_abstain_below=args.answer_abstain_below)
    if kind == "settings":
        overrides = settings_gate.validated(settings, settings_gate.parse_overrides(rest))
        return gate.Candidate(settings=overrides, answer_abstain_below=args.answer_abstain_below)
    return gate.Candidate(component=args.component, model_version=args.candidate,
                          answer_abstain_below=args.answer_abstain_below)


def cmd_replay_run(args: argparse.Namespace) -> int:
    if args.candidate is None and args.answer_abstain_below is None:
        raise InvalidInput("name a candidate: --candidate VERSION (a triage model), kb:SLUG,... (KB versions in "
                           "review), settings:key=value,... and/or --answer-abstain-below X")
    settings = load_settings()
    embedder = load_embedder(settings.embedding_model)
    with database(settings) as session:
        index = IndexHolder(settings.index_dir, embedder).current(session) if not args.no_answers else None
        run = gate.run(session, actor=CLI, settings=settings, embedder=embedder, index=index, set_version=args.set,
                       candidate=_candidate(session, args, settings, index))
        if args.json:
            print(json.dumps({"run": run.id, "passed": run.passed, **run.report}, indent=2))
        else:
            print(format_report(run.id, run.report))
    return 0 if run.passed else 1


def register(sub: Sub) -> None:
    replay = sub.add_parser("replay", help="replay sets of approved cases and the gate before AI changes"
                            ).add_subparsers(dest="replay_cmd", required=True)
    replay.add_parser("build", help="assemble the next replay set version from the desk's history").set_defaults(
        func=cmd_replay_build)
    imp = replay.add_parser("import", help="add curated cases from a CSV or YAML file (all or nothing)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_replay_import)
    exp = replay.add_parser("export", help="write a replay set, anonymised, as CSV in the import format")
    exp.add_argument("--set", type=int, help="the version (default: the newest)")
    exp.add_argument("-o", "--output", help="a file (default: standard output)")
    exp.set_defaults(func=cmd_replay_export)
    replay.add_parser("list", help="the replay set versions, newest first").set_defaults(func=cmd_replay_list)
    run = replay.add_parser("run", help="replay through the current and a candidate; exit 1 when the gate refuses")
    run.add_argument("--candidate", help="a triage model version from `deskpilot models list`; kb:SLUG[,SLUG...] "
                     "or kb:* (the article versions in review, swapped into the live KB); settings:key=value[,...] "
                     "(answer_abstain_below, answer_confident_above, answer_rerank)")
    run.add_argument("--component", default=CATEGORY_COMPONENT, choices=[CATEGORY_COMPONENT, PRIORITY_COMPONENT])
    run.add_argument("--answer-abstain-below", type=float, help="a candidate answer abstention threshold")
    run.add_argument("--set", type=int, help="the replay set version (default: the newest)")
    run.add_argument("--no-answers", action="store_true", help="replay the triage cases only")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.set_defaults(func=cmd_replay_run)
