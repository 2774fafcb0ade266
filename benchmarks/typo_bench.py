"""Typos made on purpose in the demo KB's own English words, and how many `spelling.with_corrections` reads back.

    PYTHONPATH=src python benchmarks/typo_bench.py [--words 600] [--seed 7]

Words of at least five letters are drawn from the English demo articles (those the English embedder does not hold
whole, so the corrector is asked at all, and words it does, which it leaves alone by design, are counted apart);
each gets one kind of slip: one edit (a letter dropped, doubled, swapped with its neighbour, or changed into a
keyboard neighbour), two such edits (words of seven letters or more, first letter kept), the word typed in two
("out look"), or two KB words typed together ("wifipassword"). A slip is read back when the intended word is
among the corrections added to the question; a wrong word added counts against it. Run against any version of
`deskpilot.conversations.spelling` (the interface is the same), e.g. main's `src` for the one-edit baseline.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from pathlib import Path

from deskpilot.conversations.spelling import Vocabulary, with_corrections
from deskpilot.demo import KB_DIR
from deskpilot.ml.embeddings import whole_words

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEAR = {k: "".join(ROWS[r + dr][c + dc] for dr, dc in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0))
                   if 0 <= r + dr < 3 and 0 <= c + dc < len(ROWS[r + dr]))
        for r, row in enumerate(ROWS) for c, k in enumerate(row)}
_ADDED = re.compile(r"\(([^()]*)\)$")


def one_slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))  # the first letter is kept
    kind = rng.choice(("drop", "double", "swap", "near"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    near = NEAR.get(word[i], "")
    return word[:i] + rng.choice(near) + word[i + 1:] if near else word[:i] + word[i + 1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(KB_DIR).glob("*.md"))
             if not re.search(r"-(de|fr|es|zh)\.md$", p.name)]
    vocabulary = Vocabulary.of(texts)
    known = whole_words()
    words = sorted(w for w in vocabulary.counts if len(w) >= 5 and w.isalpha())
    rng = random.Random(args.seed)
    results: Counter[tuple[str, str]] = Counter()
    for _ in range(args.words):
        word = rng.choice(words)
        kind = rng.choice(("one edit", "two edits", "typed in two", "typed together"))
        intended = [word]
        if kind == "one edit":
            typed = one_slip(word, rng)
        elif kind == "two edits":
            if len(word) < 7:
                continue
            typed = one_slip(one_slip(word, rng), rng)
        elif kind == "typed in two":
            i = rng.randrange(2, len(word) - 1)
            typed = f"{word[:i]} {word[i:]}"
        else:
            other = rng.choice(words)
            typed, intended = word + other, [word, other]
        if typed in vocabulary.counts or typed in known:
            continue
        group = kind if kind.startswith("typed") or word not in known else f"{kind} (a usual word)"
        found = _ADDED.search(with_corrections(f"see {typed} now", vocabulary))
        added = found.group(1).split() if found else []
        results[(group, "cases")] += 1
        results[(group, "read back")] += all(w in added for w in intended)
        results[(group, "wrong word added")] += any(w not in intended for w in added)
    print(f"{'slip':<32} {'cases':>6} {'read back':>10} {'wrong added':>12}")
    for group in sorted({g for g, _ in results}):
        cases = results[(group, "cases")]
        print(f"{group:<32} {cases:>6} {results[(group, 'read back')] / cases:>10.3f} "
              f"{results[(group, 'wrong word added')] / cases:>12.3f}")


if __name__ == "__main__":
    main()
