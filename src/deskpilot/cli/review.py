"""`deskpilot review sample | list | mark` (the answer review queue) and `deskpilot kb-changes approve | list |
rollback` (KB change sets through the replay gate) for the governance board."""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.errors import NotFound
from deskpilot.governance import kb_changes, reviews
from deskpilot.governance.enums import ReviewKind, Verdict
from deskpilot.governance.models import ReplayRun
from deskpilot.governance.report import format_report
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import load_embedder


def actor_named(session: Session, username: str | None) -> Principal:
    """The reviewer or lead to record as the actor (`--by`), or the CLI itself."""
    if not username:
        return Principal.system("cli")
    user = accounts.get_by_username(session, username=username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return Principal.of(user)


def cmd_review_sample(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        done = reviews.sample(session, actor=actor_named(session, args.by), since=utcnow() - timedelta(days=args.days),
                              per_stratum=args.per_stratum, kinds=[ReviewKind(k) for k in args.kind or ReviewKind])
        print(f"{len(done.added)} items added to the review queue from {done.strata} strata "
              f"(kind × intent × confidence band, at most {args.per_stratum} each)")
    return 0


def cmd_review_list(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        items = reviews.get_all(session, actor=actor_named(session, args.by), pending=not args.reviewed or None,
                                limit=args.limit)
        for item in items:
            confidence = "n/a" if item.confidence is None else f"{item.confidence:.2f}"
            verdict = f"{item.verdict.value} by {item.reviewer_name}: {item.note}" if item.verdict else "waiting"
            print(f"#{item.id} {item.kind.value} {item.intent} (confidence {confidence}) {verdict}\n"
                  f"    Q: {item.question[:120]!r}\n    A: {item.output[:160]!r}")
        if not items:
            print("the review queue is empty" if not args.reviewed else "no verdict given yet")
    return 0


def cmd_review_mark(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        item = reviews.mark(session, actor=actor_named(session, args.by), review_id=args.id,
                            verdict=Verdict(args.verdict), note=args.note)
        print(f"#{item.id} marked {item.verdict.value if item.verdict else ''} by {item.reviewer_name}")
    return 0


def cmd_kb_changes_approve(args: argparse.Namespace) -> int:
    settings = load_settings()
    embedder = load_embedder(settings.embedding_model)
    with database(settings) as session:
        versions = kb_changes.in_review(session, slugs=args.slugs)
        done = kb_changes.approve(session, actor=actor_named(session, args.by), settings=settings, embedder=embedder,
                                  index=lambda: IndexHolder(settings.index_dir, embedder).current(session),
                                  versions=versions, note=args.note, override_reason=args.override_reason)
        run = done.replay_run_id
        report = session.get(ReplayRun, run) if run else None
        if report is not None:
            print(format_report(report.id, report.report))
        names = ", ".join(f"{i['slug']} v{i['version']}" for i in done.items)
        overriding = f", overriding the replay gate: {done.override_reason}" if done.override_reason else ""
        print(f"KB change set {done.id} approved ({names}){overriding}")
    return 0


def cmd_kb_changes_list(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        for change in kb_changes.recent(session, actor=actor_named(session, args.by)):
            names = ", ".join(f"{i['slug']} v{i['previous'] or '-'} → v{i['version']}" for i in change.items)
            state = (f"rolled back by {change.rolled_back_by} at {change.rolled_back_at:%Y-%m-%d %H:%M}"
                     if change.rolled_back_at else "live")
            print(f"#{change.id} {names}: approved by {change.approved_by} at {change.approved_at:%Y-%m-%d %H:%M}"
                  f"{', override: ' + change.override_reason if change.override_reason else ''}; {state}")
    return 0


def cmd_kb_changes_rollback(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        change = kb_changes.rollback(session, actor=actor_named(session, args.by), change_set_id=args.id,
                                     reason=args.reason)
        names = ", ".join(f"{i['slug']} v{i['version']} → {'v' + str(i['previous']) if i['previous'] else 'withdrawn'}"
                          for i in change.items)
        print(f"KB change set {change.id} rolled back ({names}); the chat answers from the previous versions")
    return 0


def register(sub: Sub) -> None:
    review = sub.add_parser("review", help="the answer review queue of the governance board").add_subparsers(
        dest="review_cmd", required=True)
    sample = review.add_parser("sample", help="add a sample of AI answers, drafts and runbook runs, stratified by "
                                              "intent and confidence")
    sample.add_argument("--days", type=int, default=7, help="the period, ending now (default 7 days)")
    sample.add_argument("--per-stratum", type=int, default=3, help="items per kind × intent × confidence band")
    sample.add_argument("--kind", action="append", choices=[k.value for k in ReviewKind], help="only this kind")
    sample.set_defaults(func=cmd_review_sample)
    listing = review.add_parser("list", help="the items waiting for a verdict (or --reviewed)")
    listing.add_argument("--reviewed", action="store_true", help="the items with a verdict, newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=cmd_review_list)
    mark = review.add_parser("mark", help="give an item a verdict; audited")
    mark.add_argument("id", type=int)
    mark.add_argument("verdict", choices=[v.value for v in Verdict])
    mark.add_argument("--note", default="", help="what is right or wrong (required for wrong and unsafe)")
    mark.set_defaults(func=cmd_review_mark)

    changes = sub.add_parser("kb-changes", help="KB change sets through the replay gate, and their rollback"
                             ).add_subparsers(dest="kb_changes_cmd", required=True)
    approve = changes.add_parser("approve", help="approve article versions in review together, if the gate passes")
    approve.add_argument("slugs", nargs="+", help="the articles whose version in review to approve ('*': all)")
    approve.add_argument("--note", help="the reviewer's note on each version")
    approve.add_argument("--override-reason", help="approve although the replay gate refuses; audited")
    approve.set_defaults(func=cmd_kb_changes_approve)
    changes.add_parser("list", help="the change sets, newest first").set_defaults(func=cmd_kb_changes_list)
    rollback = changes.add_parser("rollback", help="put back the versions a change set replaced; audited")
    rollback.add_argument("id", type=int)
    rollback.add_argument("--reason", required=True, help="why, for the audit log")
    rollback.set_defaults(func=cmd_kb_changes_rollback)
    for parser in (sample, listing, mark, approve, rollback):
        parser.add_argument("--by", help="the user to record as the actor (default: cli)")
    changes.choices["list"].add_argument("--by", help="the user to record as the actor (default: cli)")
