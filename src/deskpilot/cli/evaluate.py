"""`deskpilot eval ...`: the evaluation commands that benchmarks and independent evaluations call."""

from __future__ import annotations

import argparse

from deskpilot.cli import eval_classify, eval_conversations, eval_intents, eval_retrieval, eval_triage_desk


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="evaluate an AI component on a dataset beside its baseline")
    eval_sub = parser.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    eval_classify.register(eval_sub)
    eval_conversations.register(eval_sub)
    eval_retrieval.register(eval_sub)
    eval_triage_desk.register(eval_sub)
    eval_intents.register(eval_sub)
