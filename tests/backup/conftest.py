"""The KB fixtures the restore test reuses: the shared embedder and the index of the eight demo articles."""

from __future__ import annotations

from tests.kb.conftest import demo_index, embedder  # noqa: F401 - fixtures of the tests in this folder
