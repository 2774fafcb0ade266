"""Training triage from the desk's own history (resolved tickets) or from a CSV `text,label`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.text_classifier import TextClassifier
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.triage import categories
from deskpilot.triage.cold_start import CORRECTION, PrototypeClassifier, taxonomy_prototypes
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT, store
from deskpilot.triage.similar import ticket_text

Progress = Callable[[str], None]
MIN_PER_LABEL = 5
USEFUL_ABSTAIN_RATE = 0.9


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    categories: list[str]
    priorities: list[str]


def history_examples(session: Session) -> Examples:
    """Resolved and closed tickets whose category is one the desk still uses, redacted."""
    allowed = {c.name for c in categories.get_all(session)}
    rows = session.scalars(select(Ticket).where(Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED]),
                                                Ticket.category.is_not(None)).order_by(Ticket.id))
    kept = [t for t in rows if t.category in allowed]
    return Examples(texts=[ticket_text(t.subject, t.description) for t in kept],
                    categories=[t.category or "" for t in kept], priorities=[t.priority.value for t in kept])


def _check(labels: list[str], what: str) -> None:
    counts = Counter(labels)
    if len(counts) < 2:
        raise InvalidInput(f"Training {what} needs at least two labels; found {len(counts)}. "
                           "Resolve more tickets with categories, or pass --csv.")
    rare = sorted(label for label, n in counts.items() if n < MIN_PER_LABEL)
    if rare:
        raise InvalidInput(f"Training {what} needs at least {MIN_PER_LABEL} examples per label; too few for "
                           f"{', '.join(rare)}.")


@dataclass(frozen=True)
class TrainedVersion:
    component: str
    version: str
    metrics: dict[str, object]
    examples: int


def train_component(settings: Settings, component: str, texts: list[str], labels: list[str], *,
                    embedder: Embedder, promote: bool, progress: Progress) -> TrainedVersion:
    """Train, save as the next version in the model store, and optionally promote it."""
    _check(labels, component)
    progress(f"{component}: training on {len(texts)} examples, {len(set(labels))} labels")
    model = TextClassifier(embedder=embedder).train(texts, labels, progress=progress)
    version = store(settings, component).save_version(model, activate=promote)
    return TrainedVersion(component, version, dict(model.metadata.get("metrics", {})), len(texts))


def cold_start_accuracy(session: Session, examples: Examples, *, embedder: Embedder) -> float | None:
    """How the cold-start classifier (taxonomy + KB only) does on the desk's history. It never saw these
    tickets, so this is an out-of-sample figure, comparable with the learned model's out-of-fold accuracy.
    Corrections are left out: a corrected ticket would otherwise be judged against itself."""
    prototypes = [p for p in taxonomy_prototypes(session) if not p.source.startswith(CORRECTION)]
    if not prototypes or not examples.texts:
        return None
    predictions = PrototypeClassifier.build(prototypes, embedder).predict(examples.texts)
    return sum(p.label == c for p, c in zip(predictions, examples.categories, strict=True)) / len(examples.texts)


def learned_beats_cold_start(category: TrainedVersion, cold: float | None, *, examples: int,
                             progress: Progress) -> bool:
    """Promote the learned category model only when its out-of-fold accuracy beats cold start's accuracy on
    the same history: the switch point is measured on the desk's own tickets, not a fixed number of them."""
    learned = float(str(category.metrics.get("cv_accuracy", 0.0)))
    category.metrics["cold_start_accuracy"] = cold
    if cold is not None and learned <= cold:
        progress(f"category {category.version}: kept inactive, out-of-fold accuracy {learned:.3f} does not beat "
                 f"cold start {cold:.3f} on the same {examples} tickets")
        return False
    progress(f"category {category.version}: out-of-fold accuracy {learned:.3f} beats cold start "
             f"{'n/a' if cold is None else f'{cold:.3f}'}: promoted")
    return True


def train_from_history(session: Session, settings: Settings, *, embedder: Embedder, promote: bool,
                       progress: Progress) -> list[TrainedVersion]:
    """The category model (promoted only when it beats cold start out of fold), and the priority model when
    the history has enough of each priority."""
    examples = history_examples(session)
    category = train_component(settings, CATEGORY_COMPONENT, examples.texts, examples.categories,
                               embedder=embedder, promote=False, progress=progress)
    if promote and learned_beats_cold_start(category, cold_start_accuracy(session, examples, embedder=embedder),
                                            examples=len(examples.texts), progress=progress):
        store(settings, CATEGORY_COMPONENT).promote(category.version)
    trained = [category]
    counts = Counter(examples.priorities)
    if len(counts) < 2 or min(counts.values()) < MIN_PER_LABEL:
        progress("priority: not enough history per priority; triage keeps the impact × urgency matrix")
        return trained
    priority = train_component(settings, PRIORITY_COMPONENT, examples.texts, examples.priorities,
                               embedder=embedder, promote=False, progress=progress)
    # A priority model that abstains on nearly everything in cross-validation learned nothing usable
    # from this history; the impact × urgency matrix stays in charge.
    if promote and float(str(priority.metrics.get("cv_abstain_rate", 1.0))) < USEFUL_ABSTAIN_RATE:
        store(settings, PRIORITY_COMPONENT).promote(priority.version)
    else:
        progress(f"priority {priority.version}: kept inactive (it abstains on most of the history)")
    return [*trained, priority]
