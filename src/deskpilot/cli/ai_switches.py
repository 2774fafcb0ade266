"""`deskpilot ai switch CAPABILITY MODE`, `deskpilot ai switches` and `deskpilot pilot report`: the AI kill switch
and pilot modes from the command line."""

from __future__ import annotations

import argparse
from datetime import timedelta

from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.governance import pilot, switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.runbooks.mailer import SmtpMailer

CLI = Principal.system("cli")


def cmd_ai_switch(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        switch = switches.set_mode(session, actor=CLI, capability=Capability(args.capability),
                                   new_mode=AiMode(args.mode), scope=switches.scope_of(channel=args.channel,
                                                                                       queue=args.queue),
                                   reason=args.reason, settings=settings,
                                   mailer=SmtpMailer(settings) if settings.mail_smtp_host else None)
        print(f"{switches.describe(switch)}; every app process follows at its next request")
    return 0


def cmd_ai_switches(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        found = switches.get_all(session, actor=CLI)
        for switch in found:
            print(f"{switches.describe(switch)}: {switch.changed_by} at {switch.changed_at:%Y-%m-%d %H:%M} "
                  f"{switch.reason}".rstrip())
        if not found:
            print("no switch set: every AI capability runs on auto")
    return 0


def cmd_pilot_report(args: argparse.Namespace) -> int:
    settings = load_settings()
    since = utcnow() - timedelta(days=args.days)
    with database(settings) as session:
        report = pilot.triage_report(session, actor=CLI, settings=settings, since=since)
        answers = pilot.answer_report(session, actor=CLI, settings=settings, since=since)
    agreement = "n/a" if report.agreement is None else f"{100 * report.agreement:.1f}%"
    print(f"triage held back by an AI switch in the last {args.days} days: {report.held_back} decisions; "
          f"{report.compared} on tickets people resolved since")
    print(f"agreement with the final category: {agreement} ({report.agreed} of {report.compared}); "
          f"time that would have been saved: {report.minutes_saved:.0f} min")
    for ticket_id, ai_category, final in report.wrong[:20]:
        print(f"  would have been wrong: DP-{ticket_id}: AI {ai_category or '(abstained)'}, final {final}")
    agreement = "n/a" if answers.agreement is None else f"{100 * answers.agreement:.1f}%"
    print(f"chat answers held back by an AI switch in the last {args.days} days: {answers.held_back}; "
          f"{answers.compared} on tickets people resolved since")
    print(f"agreement with the desk: {agreement} ({answers.agreed} of {answers.compared}); would have answered "
          f"right: {answers.answered_right}, would have been wrong: {len(answers.wrong)}, missed: {answers.missed}; "
          f"time that would have been saved: {answers.minutes_saved:.0f} min")
    for item in answers.wrong[:20]:
        print(f"  would have been wrong: DP-{item.ticket_id}: AI answered from {item.ai_article}, the desk cited "
              f"{', '.join(item.desk_articles) or 'no article'}")
    return 0


def register(sub: Sub) -> None:
    ai = sub.add_parser("ai", help="the AI kill switch and pilot modes").add_subparsers(dest="ai_cmd", required=True)
    switch = ai.add_parser("switch", help="put a capability into off / shadow / suggest / auto; audited")
    switch.add_argument("capability", choices=[c.value for c in Capability])
    switch.add_argument("mode", choices=[m.value for m in AiMode])
    where = switch.add_mutually_exclusive_group()
    where.add_argument("--channel", help="only this channel (chat, email, portal, ...)")
    where.add_argument("--queue", help="only this queue (by name)")
    switch.add_argument("--reason", default="", help="why, for the audit log and the leads' e-mail")
    switch.set_defaults(func=cmd_ai_switch)
    ai.add_parser("switches", help="the switches that are set").set_defaults(func=cmd_ai_switches)
    pilot_cmd = sub.add_parser("pilot", help="compare a capability in shadow with what people did").add_subparsers(
        dest="pilot_cmd", required=True)
    report = pilot_cmd.add_parser("report", help="triage and chat answers in shadow or suggest against what people "
                                                 "did")
    report.add_argument("--days", type=int, default=30, help="the period, ending now (default 30 days)")
    report.set_defaults(func=cmd_pilot_report)
