"""The numbered steps of an article, for guided troubleshooting one step at a time. Pure functions."""

from __future__ import annotations

import re

_STEP = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*\S)\s*$")
_EMPHASIS = re.compile(r"\*\*|__|`")


def numbered_steps(text: str) -> list[str]:
    """The first run of numbered steps (1., 2., ...) in a Markdown article, continuation lines joined.

    Emphasis marks are dropped (the steps are shown as plain text); the words are the article's own.
    """
    steps: list[str] = []
    for raw in text.splitlines():
        match = _STEP.match(raw)
        if match and int(match.group(1)) == len(steps) + 1:
            steps.append(match.group(2))
        elif steps and raw.startswith((" ", "\t")) and raw.strip():
            steps[-1] = f"{steps[-1]} {raw.strip()}"
        elif steps and (match or raw.strip()):
            break
    return [_EMPHASIS.sub("", step) for step in steps]


_TRIED = re.compile(r"\b(?:already|tried|did)\s+(?:tried\s+)?(?:to\s+)?(?:a\s+|the\s+)?([a-z-]{4,})", re.IGNORECASE)
_TRIED_BEFORE = re.compile(r"\b([a-z-]{4,}(?:ed|ing))\s+(?:it\s+|them\s+|the\s+[a-z]+\s+)?already\b", re.IGNORECASE)
_NOT_ACTIONS = frozenset({"that", "this", "these", "those", "everything", "them", "thing", "things", "step", "steps",
                          "twice", "again", "both", "same"})
_SYNONYMS = {"reboot": "restart", "rebooted": "restart", "reinstalled": "reinstall", "signed": "sign",
             "logged": "sign", "log": "sign"}
_SUFFIXES = ("ing", "ed", "es", "s", "e")


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word.lower(), word.lower())
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def tried_actions(text: str) -> set[str]:
    """The actions the requester says they already did ("I already restarted", "tried reinstalling"), stemmed."""
    found = [*_TRIED.findall(text), *_TRIED_BEFORE.findall(text)]
    return {_stem(word) for word in found if word.lower() not in _NOT_ACTIONS}


def covers_action(step: str, actions: set[str]) -> str | None:
    """The tried action that `step` asks for, or None: a step's actions are the verbs its sentences open with
    ("Restart the laptop." → restart), so a "click Connect" inside another step does not count as connecting."""
    verbs = {_stem(sentence.split()[0].strip("*_`\"“")) for sentence in re.split(r"(?<=[.:!?])\s+", step)
             if sentence.split()}
    return next((action for action in sorted(actions) if action in verbs), None)


def section(text: str, heading: str) -> str:
    """The plain text of a Markdown section ("## Cause"), up to the next heading; empty when there is none."""
    found = re.search(rf"^#+\s*{re.escape(heading)}\s*$(.*?)(?=^#|\Z)", text, re.MULTILINE | re.DOTALL | re.IGNORECASE)
    return " ".join(_EMPHASIS.sub("", found.group(1)).split()) if found else ""
