"""Recall and precision of PII redaction on people (names, employee/ID numbers) beside today's regex baseline.

There is no PII corpus in ../shared/datasets and none that ships in a package here, so the corpus is built, and
says so: real help-desk texts (../shared/datasets/it_tickets, CC0; lower-cased and with names removed upstream)
with a person's name, e-mail address and employee number inserted by templates from a fixed list of 48 given
names and 48 family names of several languages written for this benchmark. Half of the people are the desk's own
users (what `KnownPeople` is built from in the product); the other half are strangers. The same texts without the
insertions measure false alarms on clean text.

    PYTHONPATH=src python benchmarks/pii_people_bench.py [--tickets 400] [--ner]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from deskpilot.triage.pii import ALL_PII_TYPES, PiiFinding, PiiType, find_pii
from deskpilot.triage.pii_names import CombinedPeople, KnownPeople, PeopleFinder

DATASET = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "it_tickets" / "train.csv"
GIVEN = ("Anna Jonas Priya Kenji Siobhán Mateo Fatima Lars Mei Olumide Zofia Rahul Chiara Tomasz Aisha Pieter "
         "Ingrid Diego Yuki Hamza Elena Sven Amara Luca Noor Bjorn Camille Tariq Hana Emeka Sofia Dmitri "
         "Leila Oskar Mariana Kwame Astrid Nikhil Beatriz Ivan Sakura Jakob Thandiwe Rafael Greta Ahmed Ines Paolo")
FAMILY = ("Keller Okafor Raman Watanabe O'Neill Fernández Haddad Lindqvist Chen Adeyemi Kowalska Sharma Russo "
          "Nowak Bello Jansen Berg Morales Tanaka Qureshi Popescu Nilsson Mensah Bianchi Rahimi Dahl Moreau Aziz "
          "Kim Eze Costa Volkov Karimi Holm Silva Asante Strand Iyer Santos Petrov Sato Hofmann Ndlovu Duarte "
          "Weber Mansour Ferreira Greco")
TEMPLATES = (
    ("Hi {first},\n{text}", ("first",)),
    ("{text}\nRegards,\n{first} {last}", ("first last",)),
    ("please give {first} {last} access. {text}", ("first last",)),
    ("{text} my colleague {lfirst} {llast} reported it too", ("lfirst llast",)),
    ("{text} employee number {id}", ("id",)),
    ("Personalnummer: {id}. {text}", ("id",)),
    ("{text} contact {email} or ask Mrs. {last}", ("email", "last")),
    ("{text} - {first} {last}, emp id E{id}", ("first last", "Eid")),
)


@dataclass(frozen=True)
class Example:
    text: str
    entities: list[tuple[str, int, int]]  # (kind, start, end)


def _tickets(limit: int, rng: random.Random) -> list[str]:
    with DATASET.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"][:600] for row in csv.DictReader(handle)]
    return rng.sample(texts, limit)


def _insert(text: str, rng: random.Random, person: tuple[str, str]) -> Example:
    template, marked = rng.choice(TEMPLATES)
    first, last = person
    values = {"first": first, "last": last, "lfirst": first.lower(), "llast": last.lower(),
              "id": str(rng.randint(100000, 999999)), "text": text,
              "email": f"{first}.{last}@northwind.example".lower().replace("'", "")}
    filled = template.format(**values)
    entities = []
    for mark in marked:
        value = " ".join(values[key] for key in mark.split()) if mark != "Eid" else "E" + values["id"]
        start = filled.index(value) if mark != "id" else filled.rindex(value)
        kind = "id" if "id" in mark else "email" if mark == "email" else "person"
        entities.append((kind, start, start + len(value)))
    return Example(filled, entities)


def _covered(text: str, entity: tuple[str, int, int], findings: Iterable[PiiFinding]) -> bool:
    """Every letter and digit of the entity is inside some finding (a name may be found part by part)."""
    _, start, end = entity
    redacted = {i for f in findings for i in range(f.start, f.end)}
    return all(i in redacted for i in range(start, end) if text[i].isalnum())


def _score(name: str, find: Callable[[str], list[PiiFinding]], examples: list[Example], clean: list[str]) -> str:
    found = {"person": [0, 0], "id": [0, 0], "email": [0, 0]}
    true_findings = false_findings = clean_alarms = 0
    started = time.perf_counter()
    for example in examples:
        findings = find(example.text)
        for entity in example.entities:
            found[entity[0]][1] += 1
            found[entity[0]][0] += _covered(example.text, entity, findings)
        for finding in findings:
            hits = any(finding.start < end and start < finding.end for _, start, end in example.entities)
            true_findings, false_findings = true_findings + hits, false_findings + (not hits)
    for text in clean:
        clean_alarms += len(find(text))
    ms = (time.perf_counter() - started) * 1000 / (len(examples) + len(clean))
    recall = " | ".join(f"{hit / total:.3f}" for hit, total in found.values())
    precision = true_findings / max(1, true_findings + false_findings)
    return f"| {name} | {recall} | {precision:.3f} | {clean_alarms} | {ms:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--ner", action="store_true", help="also measure Presidio NER (6-8 s to load)")
    args = parser.parse_args()
    rng = random.Random(22)
    people = list(zip(GIVEN.split(), FAMILY.split(), strict=True))
    desk_users = people[::2]
    texts = _tickets(args.tickets, rng)
    examples = [_insert(text, rng, rng.choice(people)) for text in texts]
    baseline_types = ALL_PII_TYPES - {PiiType.PERSON, PiiType.ID}
    known = KnownPeople(f"{first} {last}" for first, last in desk_users)
    systems: list[tuple[str, Callable[[str], list[PiiFinding]]]] = [
        ("regex baseline (before: e-mail, phone, card, IBAN, IP, password)",
         lambda text: find_pii(text, enabled=baseline_types)),
        ("+ ID numbers + name cues (default, no users)", lambda text: find_pii(text)),
        ("+ the desk's users (default in triage)", lambda text: find_pii(text, people=known)),
    ]
    if args.ner:
        from deskpilot.triage.pii_ner import NerPeople

        ner = NerPeople()
        started = time.perf_counter()
        list(ner.find_people("warm up with Anna Keller"))
        print(f"NER loaded in {time.perf_counter() - started:.1f} s")
        with_ner: PeopleFinder = CombinedPeople([known, ner])
        systems.append(("+ Presidio NER (DESKPILOT_PII_NER=true)", lambda text: find_pii(text, people=with_ner)))
    entity_counts = {kind: sum(e[0] == kind for x in examples for e in x.entities)
                     for kind in ("person", "id", "email")}
    print(f"{len(examples)} tickets with insertions ({entity_counts}), {len(texts)} clean tickets")
    print("| redactor | recall person | recall ID | recall e-mail | precision | findings on clean text | ms/text |")
    print("|---|---|---|---|---|---|---|")
    for name, find in systems:
        print(_score(name, find, examples, texts))


if __name__ == "__main__":
    main()
