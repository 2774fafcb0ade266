"""What a chat message asks for, before anything searches the KB: one shared intent model.

The model is the triage text classifier (`ml/text_classifier.py`: TF-IDF word and character n-grams beside
the MiniLM sentence vectors, a linear SVM, calibrated confidence) trained on the phrasings the project ships
in `intent_examples.yaml`. Its abstention threshold is chosen by the classifier's own cross-validation on
that data: the lowest confidence at which the out-of-fold accepted predictions are still 90% precise. Below
it the message is read as a KB question, the path every message took before intents existed.

Training embeds a few hundred sentences (2-3 s on a busy 2-core machine), so the trained model is stored
under `Settings.model_dir` keyed by the training data's hash and loaded on later start-ups, and kept once
per process for every runtime built from the same embedder.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

import yaml

from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.ml.artifacts import ArtifactRefused
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import EMBED_MAX_CHARS
from deskpilot.ml.text_classifier import ClassifierConfig, ClassPrediction, TextClassifier
from deskpilot.ml.training_data import training_data_hash

log = logging.getLogger(__name__)
EXAMPLES_PATH = Path(__file__).with_name("intent_examples.yaml")
STORE_NAME = "chat-intents"
# A ticket's number says nothing about what is asked, but its digits are character n-grams the model weighs:
# "Wie ist der Stand von DP-608?" read as a KB question where DP-613 read as a status question. Every
# ticket reference is read with one number, in training and at reading alike.
_TICKET_NUMBER = re.compile(r"(\bDP[-\s]?|#)\d{1,9}\b", re.IGNORECASE)


class Intent(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    BOT_QUESTION = "bot_question"
    CAPABILITIES = "capabilities"
    HANDOFF = "handoff"
    TICKET_STATUS = "ticket_status"
    OPEN_TICKET = "open_ticket"
    PASSWORD_RESET = "password_reset"
    ACCOUNT_UNLOCK = "account_unlock"
    KB_QUESTION = "kb_question"
    OUT_OF_SCOPE = "out_of_scope"


# No label is "out of scope" for the classifier's abstention rule: out_of_scope is an intent the chat acts on,
# so the threshold is set for precision only (the classifier's target_precision, 0.90).
CONFIG = ClassifierConfig(oos_label="", cv_folds=3)


class IntentClassifier(TextClassifier):
    """The triage classifier's lifecycle and calibration, stored as its own component."""

    component: ClassVar[str] = "chat-intent-classifier"
    remedy: ClassVar[str] = "it is trained again from the shipped phrasings at the next start-up"


@dataclass(frozen=True)
class IntentReading:
    """What the model read: the intent acted on (KB question when it abstained), what it predicted, and how
    sure it is (calibrated probability that the prediction is right)."""

    intent: Intent
    predicted: Intent
    confidence: float
    abstained: bool


def training_examples(path: Path = EXAMPLES_PATH) -> tuple[list[str], list[str]]:
    """The (texts, labels) in `path`: a mapping of intent name to its phrasings. Unknown intents are refused."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping of intent name to a list of phrasings")
    texts: list[str] = []
    labels: list[str] = []
    for name, phrasings in data.items():
        if name not in Intent.__members__.values():
            raise InvalidInput(f"{path}: unknown intent {name!r}; known: {', '.join(Intent)}")
        texts += [without_ticket_number(str(p)) for p in phrasings]
        labels += [str(name)] * len(phrasings)
    return texts, labels


def without_ticket_number(text: str) -> str:
    """`text` with every ticket reference's number replaced by one and the same ("DP-608" → "DP-1")."""
    return _TICKET_NUMBER.sub(lambda match: f"{match.group(1)}1", text)


class IntentModel:
    """Reads a message's intent; `read` takes the message's vector when the caller already embedded it."""

    def __init__(self, classifier: TextClassifier) -> None:
        self.classifier = classifier

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    def read(self, text: str, *, vector: Vectors | None = None) -> IntentReading:
        read = without_ticket_number(text)
        # The caller's vector is of the text as written: a message naming a ticket is embedded as read.
        vectors = None if vector is None or read != text else vector.reshape(1, -1)
        return _reading(self.classifier.predict([read[:EMBED_MAX_CHARS]], vectors=vectors)[0])

    def read_all(self, texts: Sequence[str]) -> list[IntentReading]:
        """Read a batch (embedded in batches): for evaluations."""
        return [_reading(p) for p in self.classifier.predict([without_ticket_number(t)[:EMBED_MAX_CHARS]
                                                              for t in texts])]


def _reading(prediction: ClassPrediction) -> IntentReading:
    predicted = Intent(prediction.label)
    intent = Intent.KB_QUESTION if prediction.abstained else predicted
    return IntentReading(intent=intent, predicted=predicted, confidence=round(prediction.confidence, 4),
                         abstained=prediction.abstained)


def train(embedder: Embedder, path: Path = EXAMPLES_PATH) -> IntentModel:
    """Train on the shipped phrasings (cross-validation inside calibrates and sets the threshold)."""
    texts, labels = training_examples(path)
    return IntentModel(IntentClassifier(CONFIG, embedder=embedder).train(texts, labels))


_models: dict[tuple[str, str], IntentModel] = {}
_lock = threading.Lock()


def load_or_train(settings: Settings, embedder: Embedder) -> IntentModel:
    """The intent model for the shipped phrasings: this process's, the stored one, or trained and stored."""
    texts, labels = training_examples()
    digest = training_data_hash(texts, labels)
    key = (embedder.model_id, digest)
    with _lock:
        model = _models.get(key)
        if model is None:
            model = load_stored_or_train(settings.model_dir / STORE_NAME / digest[:16], embedder)
            _models[key] = model
        return model


def load_stored_or_train(directory: Path, embedder: Embedder) -> IntentModel:
    """The model stored in `directory`, or a new one trained and stored there (replacing an unusable one)."""
    if directory.is_dir():
        try:
            return IntentModel(IntentClassifier.load(directory, embedder=embedder))
        except ArtifactRefused as exc:
            log.warning("stored intent model not usable (%s); training it again", exc)
    model = train(embedder)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".intents-", dir=directory.parent))
    model.classifier.save(staging)
    shutil.rmtree(directory, ignore_errors=True)
    try:
        # Renamed into place whole, so another process never loads a half-written model.
        staging.rename(directory)
    except OSError:
        log.info("another process stored the intent model first; keeping its copy")
        shutil.rmtree(staging, ignore_errors=True)
    return model
