"""The models triage runs with, loaded once per process from the model store and reloaded when another
version is promoted."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from deskpilot.config import Settings
from deskpilot.errors import NotFound, ProviderError
from deskpilot.ml.embeddings import default_embedder
from deskpilot.ml.model_store import ModelStore
from deskpilot.ml.text_classifier import TextClassifier
from deskpilot.triage.similar import RecentVectors, TicketIndex

log = logging.getLogger(__name__)

CATEGORY_COMPONENT = "triage-category"
PRIORITY_COMPONENT = "triage-priority"


def load_classifier(directory: Path) -> TextClassifier:
    return TextClassifier.load(directory, embedder=default_embedder())


def store(settings: Settings, component: str) -> ModelStore[TextClassifier]:
    return ModelStore.for_component(component, loader=load_classifier, settings=settings)


@dataclass
class Engine:
    category: TextClassifier | None
    category_version: str | None
    priority: TextClassifier | None
    priority_version: str | None
    tickets: TicketIndex
    recent: RecentVectors

    @property
    def model_version(self) -> str:
        return f"{CATEGORY_COMPONENT}:{self.category_version or 'none'}+{PRIORITY_COMPONENT}:" \
               f"{self.priority_version or 'none'}"


_cache: dict[Path, Engine] = {}
_lock = threading.Lock()


def _active(settings: Settings, component: str, loaded: TextClassifier | None, loaded_version: str | None
            ) -> tuple[TextClassifier | None, str | None]:
    version = store(settings, component).active_version()
    if version == loaded_version:
        return loaded, loaded_version
    try:
        return store(settings, component).load_active(), version
    except NotFound:
        return None, None
    except ProviderError as exc:
        # A model from an older, incompatible version must not stop tickets from being created:
        # triage abstains (tickets go to human triage) until `deskpilot train triage` is run.
        log.warning("triage model %s %s cannot be used: %s", component, version, exc.message)
        return None, None


def engine(settings: Settings) -> Engine:
    """The engine for this data directory, with the currently active model versions."""
    with _lock:
        current = _cache.get(settings.data_dir)
        category, category_version = _active(settings, CATEGORY_COMPONENT, current.category if current else None,
                                             current.category_version if current else None)
        priority, priority_version = _active(settings, PRIORITY_COMPONENT, current.priority if current else None,
                                             current.priority_version if current else None)
        tickets = current.tickets if current else TicketIndex(settings.index_dir / "tickets", default_embedder())
        recent = current.recent if current else RecentVectors(default_embedder())
        _cache[settings.data_dir] = Engine(category, category_version, priority, priority_version, tickets, recent)
        return _cache[settings.data_dir]
