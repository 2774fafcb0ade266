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
