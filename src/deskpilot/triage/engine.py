"""The models triage runs with: part of the AI runtime, built once per process with its embedder, and reloaded
when another model version is promoted (by `deskpilot train` or `deskpilot models promote`, in any process)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.errors import NotFound, ProviderError
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.model_store import ModelStore
from deskpilot.ml.text_classifier import TextClassifier
from deskpilot.triage.cold_start import WithCorrections
from deskpilot.triage.people import DeskPeople
from deskpilot.triage.pipeline import Classifier
from deskpilot.triage.similar import TicketIndex, TicketVectors, recent_open_tickets
from deskpilot.triage.taxonomy_models import TaxonomyModels

log = logging.getLogger(__name__)

CATEGORY_COMPONENT = "triage-category"
COLD_START = "triage-cold-start"
COLD_START_NOTE = ("cold start: category read from the desk's category descriptions, example requests, KB articles "
                   "and corrections (no learned model is active yet)")
PRIORITY_COMPONENT = "triage-priority"


def store(settings: Settings, component: str, embedder: Embedder | None = None) -> ModelStore[TextClassifier]:
    """The model store of one triage component; its models load with `embedder` (the runtime's)."""
    return ModelStore.for_component(component, settings=settings,
                                    loader=lambda directory: TextClassifier.load(directory, embedder=embedder))


@dataclass(frozen=True)
class TriageModels:
    """The active models at one moment; one triage uses one snapshot."""

    category: TextClassifier | None
    category_version: str | None
    priority: TextClassifier | None
    priority_version: str | None

    @property
    def model_version(self) -> str:
        return f"{CATEGORY_COMPONENT}:{self.category_version or 'none'}+{PRIORITY_COMPONENT}:" \
               f"{self.priority_version or 'none'}"


@dataclass(frozen=True)
class CategoryModel:
    """The classifier one triage uses and the version it records: the learned model (with the agents'
    corrections in front) once there is one, else the cold-start classifier over the desk's taxonomy."""

    classifier: Classifier | None
    version: str
    note: str | None = None


class TriageEngine:
    """The triage models of one data directory, the similar-tickets index and the tickets' stored vectors,
    all on the runtime's one embedder."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.ticket_vectors = TicketVectors(embedder)
        self.tickets = TicketIndex(settings.index_dir / "tickets", self.ticket_vectors)
        self._models = TriageModels(None, None, None, None)
        self._lock = threading.Lock()
        self.taxonomy = TaxonomyModels(embedder, COLD_START)
        self.people = DeskPeople(settings)

    def models(self) -> TriageModels:
        """The currently active model versions; a version promoted since the last call is loaded now."""
        with self._lock:
            loaded = self._models
            category, category_version = self._active(CATEGORY_COMPONENT, loaded.category, loaded.category_version)
            priority, priority_version = self._active(PRIORITY_COMPONENT, loaded.priority, loaded.priority_version)
            self._models = TriageModels(category, category_version, priority, priority_version)
            return self._models

    def _active(self, component: str, loaded: TextClassifier | None, loaded_version: str | None
                ) -> tuple[TextClassifier | None, str | None]:
        models = store(self.settings, component, self.embedder)
        version = models.active_version()
        if version == loaded_version:
            return loaded, loaded_version
        try:
            return models.load_active(), version
        except NotFound:
            return None, None
        except ProviderError as exc:
            # A model from an older, incompatible version must not stop tickets from being created:
            # triage abstains (tickets go to human triage) until `deskpilot train triage` is run.
            log.warning("triage model %s %s cannot be used: %s", component, version, exc.message)
            return None, None

    def warm(self, session: Session) -> None:
        """Do now what a process's first triage would otherwise do while its requester waits, and every request
        arriving meanwhile waits for: load the active models, build the taxonomy's classifiers and embed the
        recent open tickets burst detection compares with."""
        self.models()
        self.taxonomy.current(session)
        self.ticket_vectors.of(session, recent_open_tickets(session))

    def category_model(self, session: Session, models: TriageModels) -> CategoryModel:
        """The learned category model, or cold start when none is active; the corrections in front of either."""
        taxonomy = self.taxonomy.current(session)
        if models.category is not None:
            return CategoryModel(WithCorrections(models.category, taxonomy.memory, taxonomy.cold),
                                 f"{CATEGORY_COMPONENT}:{models.category_version}")
        if taxonomy.cold is None:
            return CategoryModel(None, f"{CATEGORY_COMPONENT}:none")
        return CategoryModel(WithCorrections(taxonomy.cold, taxonomy.memory, taxonomy.lexical), taxonomy.version,
                             COLD_START_NOTE)
