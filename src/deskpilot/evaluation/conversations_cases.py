"""The conversation replay set: cases of what people write to the desk and how it should be handled.

The file format (YAML, UTF-8) is documented in the header of the shipped set,
`deskpilot/demo/eval/conversations.yaml`, and in docs/benchmarks.md. A bad file is refused as a whole with
an error naming the case (id, or its position) and the line it starts on, so nothing is half-evaluated.

Every case belongs to one of two halves by a stable hash of its id (`split_of`): developers read the failures
of `dev` only; `test` is scored beside it and its failures are not looked at, so a gain that holds on `test`
is not a gain tuned on the cases.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from deskpilot.errors import InvalidInput

FORMAT_VERSION = 1
TICKET_PLACEHOLDER = "{ticket}"
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_KEYS = {"id", "intent", "expect", "say", "turns", "slugs", "language", "ticket", "note"}
MAX_TURNS = 12
DEV, TEST = "dev", "test"


def split_of(case_id: str) -> str:
    """The half a case belongs to: `dev` (its failures are read while improving the assistant) or `test`."""
    return DEV if zlib.crc32(case_id.encode("utf-8")) % 2 == 0 else TEST


class Handling(StrEnum):
    """The kind of handling a case expects (and the judge observes)."""

    ANSWER = "answer"              # a grounded answer citing an acceptable article, no ticket
    SELF_SERVICE = "self_service"  # the password reset / unlock offered (or its article, see the judge)
    STATUS = "status"              # the requester's own ticket named with its status, no new ticket
    NEW_TICKET = "new_ticket"      # a ticket, opened after asking or because the requester asked
    HANDOFF = "handoff"            # the conversation waits for (or is with) a person
    OUT_OF_SCOPE = "out_of_scope"  # said plainly: no ticket, no article
    SMALL_TALK = "small_talk"      # greeting, thanks, "are you a bot?": no ticket, no article


ROUTINE = frozenset({Handling.ANSWER, Handling.SELF_SERVICE})


@dataclass(frozen=True)
class ConversationCase:
    """One conversation to replay: the requester's messages in order and the handling expected at the end."""

    id: str
    intent: str
    expect: Handling
    turns: tuple[str, ...]
    slugs: frozenset[str] = frozenset()
    language: str = "en"
    ticket_subject: str | None = None
    line: int = 0

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1

    @property
    def split(self) -> str:
        return split_of(self.id)

    @property
    def routine(self) -> bool:
        """How-to, known problem or password: the assistant should resolve it without a person."""
        return self.expect in ROUTINE


def _fail(where: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{where}: {problem}")


def _text(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"`{field}` must be a non-empty text")
    return value


def _turns(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    if ("say" in raw) == ("turns" in raw):
        raise _fail(where, "give exactly one of `say` (an opening message) or `turns` (a list of messages)")
    if "say" in raw:
        return (_text(raw["say"], where, "say"),)
    turns = raw["turns"]
    if not isinstance(turns, list) or not 2 <= len(turns) <= MAX_TURNS:
        raise _fail(where, f"`turns` must be a list of 2 to {MAX_TURNS} messages (one message: use `say`)")
    return tuple(_text(t, where, f"turns[{n}]") for n, t in enumerate(turns))


def _case(raw: Any, where: str, line: int) -> ConversationCase:
    if not isinstance(raw, dict):
        raise _fail(where, "a case must be a mapping with id, intent, expect and say or turns")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    expect_raw = raw.get("expect")
    try:
        expect = Handling(str(expect_raw))
    except ValueError:
        raise _fail(where, f"`expect` is {expect_raw!r}; use one of {', '.join(h.value for h in Handling)}") from None
    slugs = raw.get("slugs", [])
    if not isinstance(slugs, list) or not all(isinstance(s, str) and s for s in slugs):
        raise _fail(where, "`slugs` must be a list of article slugs")
    if expect is Handling.ANSWER and not slugs:
        raise _fail(where, "an `answer` case needs `slugs`: the article(s) that are acceptable")
    language = raw.get("language", "en")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise _fail(where, f"`language` is {language!r}; use a two-letter code such as en, de, fr, es, zh")
    turns = _turns(raw, where)
    ticket = raw.get("ticket")
    if ticket is not None:
        ticket = _text(ticket, where, "ticket")
    if any(TICKET_PLACEHOLDER in t for t in turns) and ticket is None:
        raise _fail(where, f"a message uses {TICKET_PLACEHOLDER} but the case sets up no `ticket` (its subject)")
    return ConversationCase(id=raw["id"], intent=_text(raw.get("intent"), where, "intent"), expect=expect,
                            turns=turns, slugs=frozenset(slugs), language=language, ticket_subject=ticket,
                            line=line)


def _case_lines(text: str) -> list[int]:
    """The 1-based line each item of `cases:` starts on (for error messages)."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "cases" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def parse_cases(text: str, *, source: str) -> list[ConversationCase]:
    """The cases of a replay file's text; InvalidInput naming the case and line when anything is wrong."""
    try:
        data = yaml.safe_load(text)
        lines = _case_lines(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list) or not data["cases"]:
        raise InvalidInput(f"{source}: expected a mapping with `format_version: {FORMAT_VERSION}` and a non-empty "
                           "`cases:` list")
    if data.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"{source}: format_version is {data.get('format_version')!r}; this deskpilot reads "
                           f"format_version {FORMAT_VERSION}")
    cases: list[ConversationCase] = []
    seen: set[str] = set()
    for number, raw in enumerate(data["cases"], start=1):
        line = lines[number - 1] if number <= len(lines) else 0
        case_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"{source} line {line}, case {case_id if isinstance(case_id, str) else f'#{number}'}"
        if not isinstance(case_id, str) or not _ID.match(case_id):
            raise _fail(where, "`id` must be lower-case letters, digits, '.', '_' or '-' (at most 80)")
        if case_id in seen:
            raise _fail(where, f"the id {case_id!r} is used twice")
        seen.add(case_id)
        cases.append(_case(raw, where, line))
    return cases


def read_cases(path: Path) -> list[ConversationCase]:
    """The cases of the replay file at `path` (see `parse_cases`)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_cases(text, source=str(path))
