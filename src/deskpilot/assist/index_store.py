"""The knowledge-base index: chunks of the approved article versions in a BM25 and a vector index.

Only what the caller passes in is indexed (the KB area passes approved versions); adding a new
version of an article replaces the old one, and removing an article makes it unretrievable at once.
The index also holds the past questions each article answered (`history`, see `assist.history`): they
belong to the article across its versions and are forgotten when the article is removed.
An index is a directory: `manifest.json`, `documents.json`, `tags.json` (the articles' tags, `assist.naming`),
`lexical/`, `vectors/`, `titles/` and `history/` (an index saved before history or tags existed loads with none).

Questions not in English are searched with a second, multilingual embedder over the same chunks
(`cross_lingual`): its vectors (`ml_vectors/`, `ml_titles/`) are computed the first time such a question
comes, kept up to date with the articles from then on, and saved with the index. Each article has a
language and may be the translation of another (`KbDocument.translation_of`): questions are ranked over the
originals (a translation into the question's language voting for its original, `assist.retrieval`), and the
answer comes from that translation when there is one.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk, chunk_article
from deskpilot.assist.history import QuestionHistory
from deskpilot.errors import InvalidInput
from deskpilot.ml.ann_index import ApproximateVectorIndex, CosineSpread, is_saved_approximate
from deskpilot.ml.artifacts import ArtifactKind, ArtifactRefused, read_manifest, write_manifest
from deskpilot.ml.copy_on_write import CopyOnWriteMap
from deskpilot.ml.embedding_cache import EmbeddingCache, text_hash
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.lexical_candidates import ScoreSpread
from deskpilot.ml.lexical_index import Bm25Index
from deskpilot.ml.multilingual import PassageEmbedder
from deskpilot.ml.tuning import EmbedderTuning
from deskpilot.ml.vector_index import ExactVectorIndex, Vectors

log = logging.getLogger(__name__)
# One multilingual embedding of a KB at a time: a question that comes while the start-up warm-up embeds waits
# for its vectors instead of computing them a second time beside it.
_EMBEDDING_MULTILINGUAL = threading.Lock()
KIND = ArtifactKind("kb-index", 2, "a KB index", "rebuild it with `deskpilot kb reindex`")


@dataclass(frozen=True)
class KbDocument:
    """One approved article version as the KB area hands it over."""

    slug: str
    version: int
    title: str
    text: str
    url: str = ""
    language: str = "en"
    translation_of: str | None = None
    # The article's tags: with the title, the words that name its subject (`assist/naming.py`).
    tags: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return f"[{self.slug} v{self.version}]"


@dataclass(frozen=True)
class Candidates:
    """The chunks worth fusing for one query at scale (the dense and the BM25 nearest), with their raw scores
    and the spread of each score over every live chunk, so z-scores match those of exact search."""

    ids: list[str]
    dense: npt.NDArray[np.float32]
    dense_spread: CosineSpread
    lexical: npt.NDArray[np.float32] | None
    lexical_spread: ScoreSpread | None


def chunk_text_for_search(document: KbDocument, chunk: Chunk) -> str:
    """What both indexes see of a chunk: the article title and heading path give it context."""
    headings = " / ".join(h for h in chunk.heading_path if h and h != document.title)
    prefix = f"{document.title}. {headings}." if headings else f"{document.title}."
    return f"{prefix}\n{chunk.text}"


class KbIndex:
    """Chunks, documents and the two indexes over them; the unit the retriever searches."""

    def __init__(self, embedder: Embedder, *, max_words: int = 180,
                 multilingual: PassageEmbedder | None = None, ann_min_chunks: int | None = None) -> None:
        self.embedder = embedder
        # From this many chunks the vectors move to an approximate index (None: always exact).
        self.ann_min_chunks = ann_min_chunks
        # Vectors on disk by text hash (a rebuild resumes from them); None: embed what is not in the index.
        self.embedding_cache: EmbeddingCache | None = None
        # Texts whose vectors the index did not hold (handed to the embedder, or to its cache).
        self.embedded_texts = 0
        self.multilingual = multilingual
        self.ml_vectors: ExactVectorIndex | None = None
        self.ml_titles: ExactVectorIndex | None = None
        self._cross_lingual: KbIndex | None = None
        # In the multilingual view (`cross_lingual`): the English index it was made from, which searches a
        # question's English rendering by the IT glossary (`assist.cross_language`).
        self.english: KbIndex | None = None
        self.max_words = max_words
        self.lexical = Bm25Index()
        self.vectors = ExactVectorIndex(model_id=embedder.model_id, dimension=embedder.dimension)
        self.titles = ExactVectorIndex(model_id=embedder.model_id, dimension=embedder.dimension)
        self.history = QuestionHistory(embedder)
        self.documents: CopyOnWriteMap[str, KbDocument] = CopyOnWriteMap()
        self.chunks: CopyOnWriteMap[str, Chunk] = CopyOnWriteMap()
        self._chunk_ids_of: CopyOnWriteMap[str, list[str]] = CopyOnWriteMap()
        self._lexical_row_of_vector_row: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.documents)

    def fork(self) -> KbIndex:
        """A copy to change while searches go on in this one.

        Everything is shared (vectors, BM25 segments, and the maps of documents and chunks copy-on-write,
        `ml.copy_on_write`) but the live-row masks, so a fork costs about the same at a thousand chunks and at a
        million (milliseconds); the embedders are shared.
        """
        twin = copy.copy(self)
        twin.documents, twin.chunks = self.documents.fork(), self.chunks.fork()
        twin._chunk_ids_of = self._chunk_ids_of.fork()
        twin.lexical, twin.vectors, twin.titles = self.lexical.fork(), self.vectors.fork(), self.titles.fork()
        twin.ml_vectors = self.ml_vectors.fork() if self.ml_vectors is not None else None
        twin.ml_titles = self.ml_titles.fork() if self.ml_titles is not None else None
        twin.history = self.history.fork()
        twin.embedding_cache = None
        twin._cross_lingual = None
        return twin

    @property
    def tuning(self) -> EmbedderTuning:
        """The thresholds this index's vectors are searched with: tuned to their embedder, saved with them."""
        return self.vectors.tuning

    def add_documents(self, documents: Iterable[KbDocument], *, batch_size: int = 2048) -> None:
        """Index (or re-index) article versions; a document replaces its slug's earlier version."""
        batch: list[KbDocument] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= batch_size:
                self._add_batch(batch)
                batch = []
        self._add_batch(batch)

    def _add_batch(self, documents: Sequence[KbDocument]) -> None:
        if not documents:
            return
        self._lexical_row_of_vector_row = None
        self._cross_lingual = None
        slugs = [d.slug for d in documents]
        if len(set(slugs)) != len(slugs):
            raise InvalidInput("the same article slug appears twice in one batch")
        known = self._known_vectors([s for s in slugs if s in self.documents])
        self._remove_chunks([s for s in slugs if s in self.documents])
        chunk_ids: list[str] = []
        texts: list[str] = []
        for document in documents:
            if not document.slug or document.version < 1:
                raise InvalidInput(f"article {document.slug!r}: needs a slug and a version ≥ 1")
            chunks = self._chunk(document)
            self.documents[document.slug] = document
            self._chunk_ids_of[document.slug] = [c.chunk_id for c in chunks]
            for chunk in chunks:
                self.chunks[chunk.chunk_id] = chunk
                chunk_ids.append(chunk.chunk_id)
                texts.append(chunk_text_for_search(document, chunk))
        self.lexical.add(chunk_ids, texts)
        self.vectors.add(chunk_ids, self._embed(texts, known))
        self.titles.add(slugs, self._embed([d.title for d in documents], known))
        self._fit_vector_index()
        if self.multilingual is not None and self.ml_vectors is not None and self.ml_titles is not None:
            self.ml_vectors.add(chunk_ids, self.multilingual.encode_passages(texts))
            self.ml_titles.add(slugs, self.multilingual.encode_passages([d.title for d in documents]))

    def _known_vectors(self, slugs: Sequence[str]) -> dict[str, Vectors]:
        """The vectors of the articles' current chunks and titles by content hash, to reuse for a new version."""
        known: dict[str, Vectors] = {}
        for slug in slugs:
            document = self.documents[slug]
            for chunk in self.chunks_of(slug):
                known[text_hash(chunk_text_for_search(document, chunk))] = self.vectors.vector(chunk.chunk_id)
            if slug in self.titles:
                known[text_hash(document.title)] = self.titles.vector(slug)
        return known

    def _embed(self, texts: Sequence[str], known: Mapping[str, Vectors]) -> Vectors:
        """Vectors of `texts`; a text whose hash is in `known` (unchanged since the last version) is not embedded."""
        hashes = [text_hash(t) for t in texts]
        missing = [i for i, h in enumerate(hashes) if h not in known]
        encode = self.embedding_cache.encode if self.embedding_cache is not None else self.embedder.encode
        fresh = encode([texts[i] for i in missing]) if missing else None
        self.embedded_texts += len(missing)
        out = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        for row, digest in enumerate(hashes):
            if digest in known:
                out[row] = known[digest].reshape(-1)
        if fresh is not None:
            out[missing] = fresh
        return out

    def _fit_vector_index(self) -> None:
        """Move the chunk vectors to an approximate index once they reach `ann_min_chunks`."""
        if (self.ann_min_chunks is not None and len(self.vectors) >= self.ann_min_chunks
                and not isinstance(self.vectors, ApproximateVectorIndex)):
            log.info("KB index reached %d chunks: building the approximate vector index", len(self.vectors))
            self.vectors = ApproximateVectorIndex.from_exact(self.vectors)

    @property
    def approximate(self) -> bool:
        """Whether chunk vectors are searched through the approximate index (see `candidates`)."""
        return isinstance(self.vectors, ApproximateVectorIndex)

    def candidates(self, terms: Mapping[str, float], query_vector: npt.NDArray[np.float32],
                   depth: int) -> Candidates:
        """The `depth` nearest chunks by vector and the `depth` best by BM25, for an approximate index."""
        if not isinstance(self.vectors, ApproximateVectorIndex):
            raise InvalidInput("candidate search needs the approximate vector index")
        ids = [cid for cid, _ in self.vectors.search(query_vector, depth)]
        lexical = self.lexical.candidates(terms, depth, including=ids)
        if lexical is not None:
            ids = lexical.ids
        return Candidates(ids, self.vectors.cosines(query_vector, ids), self.vectors.cosine_spread(query_vector),
                          lexical.scores if lexical else None, lexical.spread if lexical else None)

    def texts_to_embed(self, document: KbDocument) -> list[str]:
        """The texts `add_documents` embeds for `document`: its chunks as both indexes see them, and its title."""
        return [chunk_text_for_search(document, chunk) for chunk in self._chunk(document)] + [document.title]

    def _chunk(self, document: KbDocument) -> list[Chunk]:
        chunks = chunk_article(document.slug, document.version, document.text, max_words=self.max_words)
        return chunks or chunk_article(document.slug, document.version, document.title)

    def remove_documents(self, slugs: Sequence[str]) -> None:
        """Retire articles: none of their chunks can be retrieved afterwards, and their history is forgotten."""
        self._remove_chunks(slugs)
        for slug in slugs:
            self.history.forget_article(slug)

    def _remove_chunks(self, slugs: Sequence[str]) -> None:
        self._lexical_row_of_vector_row = None
        self._cross_lingual = None
        for slug in slugs:
            chunk_ids = self._chunk_ids_of.pop(slug, [])
            self.lexical.remove(chunk_ids)
            self.vectors.remove(chunk_ids)
            if self.ml_vectors is not None:
                self.ml_vectors.remove(chunk_ids)
            for chunk_id in chunk_ids:
                self.chunks.pop(chunk_id, None)
            self.documents.pop(slug, None)
        self.titles.remove(slugs)
        if self.ml_titles is not None:
            self.ml_titles.remove(slugs)

    def score_all(
        self, terms: Mapping[str, float], query_vector: npt.NDArray[np.float32]
    ) -> tuple[list[str | None], npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
        """Per vector-index row: chunk id, cosine (-inf when removed) and BM25 (None: no known term)."""
        ids = self.vectors.row_ids()
        dense = self.vectors.score_all(query_vector)
        lexical = self.lexical.score_all(terms)
        if lexical is None:
            return ids, dense, None
        if self._lexical_row_of_vector_row is None:
            # The two indexes compact at different moments, so their row orders may differ.
            rows = {cid: row for row, cid in enumerate(self.lexical.row_ids()) if cid is not None}
            self._lexical_row_of_vector_row = np.asarray([rows.get(c, -1) if c else -1 for c in ids])
        order = self._lexical_row_of_vector_row
        aligned = np.zeros(len(ids), dtype=np.float32)
        aligned[order >= 0] = lexical[order[order >= 0]]
        return ids, dense, aligned

    def title_scores(self, query_vector: npt.NDArray[np.float32]) -> dict[str, float]:
        """Per article: the z-normalised cosine of its title to the query (FAQ titles are questions)."""
        scores = self.titles.score_all(query_vector)
        live = np.isfinite(scores)
        if not live.any():
            return {}
        z = (scores - scores[live].mean()) / (float(scores[live].std()) or 1.0)
        return {slug: float(z[row]) for row, slug in enumerate(self.titles.row_ids()) if slug is not None}

    def originals(self) -> set[str]:
        """The articles that translate no indexed article: what a question is ranked over, in any language."""
        return {d.slug for d in self.documents.values()
                if d.translation_of is None or d.translation_of not in self.documents}

    def translation(self, slug: str, language: str) -> KbDocument | None:
        """The indexed translation of the original `slug` into `language`, if there is one."""
        return next((d for d in self.documents.values() if d.translation_of == slug and d.language == language),
                    None)

    def cross_lingual(self) -> KbIndex | None:
        """This index as the multilingual embedder sees it (same chunks, documents and BM25; the multilingual
        vectors; no English past questions), for questions not in English; None without that embedder."""
        if self.multilingual is None:
            return None
        if self.ml_vectors is None or self.ml_titles is None:
            with _EMBEDDING_MULTILINGUAL:
                if self.ml_vectors is None or self.ml_titles is None:
                    self._embed_multilingual(self.multilingual)
        if self._cross_lingual is None:
            view = copy.copy(self)
            view.embedder, view.multilingual = self.multilingual, None
            view.vectors, view.titles = self.ml_vectors, self.ml_titles  # type: ignore[assignment]
            view.history = QuestionHistory(self.multilingual)
            view._lexical_row_of_vector_row = None
            view.english = self
            self._cross_lingual = view
        return self._cross_lingual

    def _embed_multilingual(self, multilingual: PassageEmbedder) -> None:
        chunk_ids = list(self.chunks)
        texts = [chunk_text_for_search(self.documents[self.chunks[c].slug], self.chunks[c]) for c in chunk_ids]
        vectors = ExactVectorIndex(model_id=multilingual.model_id, dimension=multilingual.dimension)
        vectors.add(chunk_ids, multilingual.encode_passages(texts))
        titles = ExactVectorIndex(model_id=multilingual.model_id, dimension=multilingual.dimension)
        slugs = list(self.documents)
        titles.add(slugs, multilingual.encode_passages([self.documents[s].title for s in slugs]))
        self.ml_vectors, self.ml_titles = vectors, titles
        log.info("multilingual vectors computed for %d chunks", len(chunk_ids))

    def chunks_of(self, slug: str) -> list[Chunk]:
        """The chunks of an indexed article, in reading order."""
        return [self.chunks[c] for c in self._chunk_ids_of.get(slug, [])]

    def save(self, directory: Path) -> None:
        """Write the whole index under `directory` as plain files."""
        directory.mkdir(parents=True, exist_ok=True)
        self.lexical.save(directory / "lexical")
        self.vectors.save(directory / "vectors")
        self.titles.save(directory / "titles")
        self.history.save(directory / "history")
        if self.ml_vectors is not None and self.ml_titles is not None:
            self.ml_vectors.save(directory / "ml_vectors")
            self.ml_titles.save(directory / "ml_titles")
        # The tags are kept apart, so an index saved here still loads in a version that has no tags (a rollback).
        docs = [{k: v for k, v in asdict(d).items() if k != "tags"} for d in self.documents.values()]
        (directory / "documents.json").write_text(json.dumps(docs), encoding="utf-8")
        tags = {d.slug: list(d.tags) for d in self.documents.values() if d.tags}
        (directory / "tags.json").write_text(json.dumps(tags), encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=self.embedder.model_id,
                       thresholds=self.tuning.as_thresholds(),
                       details={"max_words": self.max_words, "documents": len(self.documents),
                                "chunks": len(self.chunks),
                                "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    @classmethod
    def load(cls, directory: Path, embedder: Embedder, *, multilingual: PassageEmbedder | None = None,
             ann_min_chunks: int | None = None) -> KbIndex:
        """Read an index written by `save`; ArtifactRefused for one built by another embedder or format."""
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder.model_id).details
        index = cls(embedder, max_words=int(manifest["max_words"]), multilingual=multilingual,
                    ann_min_chunks=ann_min_chunks)
        if multilingual is not None and (directory / "ml_titles").is_dir():
            try:
                index.ml_vectors = ExactVectorIndex.load(directory / "ml_vectors",
                                                         embedder_model_id=multilingual.model_id)
                index.ml_titles = ExactVectorIndex.load(directory / "ml_titles",
                                                        embedder_model_id=multilingual.model_id)
            except (ArtifactRefused, OSError, ValueError, KeyError) as exc:
                # Computed again when the next question not in English comes.
                log.warning("%s: multilingual vectors not loaded (%s)", directory, exc)
                index.ml_vectors = index.ml_titles = None
        index.lexical = Bm25Index.load(directory / "lexical")
        kind = ApproximateVectorIndex if is_saved_approximate(directory / "vectors") else ExactVectorIndex
        index.vectors = kind.load(directory / "vectors", embedder_model_id=embedder.model_id)
        index.titles = ExactVectorIndex.load(directory / "titles", embedder_model_id=embedder.model_id)
        if (directory / "history").is_dir():
            try:
                index.history = QuestionHistory.load(directory / "history", embedder)
            except (ArtifactRefused, OSError, ValueError, KeyError) as exc:
                # Past questions can be learned again from their source; not worth re-embedding every chunk.
                log.warning("%s: question history not loaded (%s); starting with none", directory, exc)
        tagged = directory / "tags.json"
        # An index saved before tags were kept has none.
        tags = json.loads(tagged.read_text(encoding="utf-8")) if tagged.is_file() else {}
        for raw in json.loads((directory / "documents.json").read_text(encoding="utf-8")):
            document = KbDocument(**raw, tags=tuple(tags.get(raw["slug"], ())))
            chunks = index._chunk(document)
            index.documents[document.slug] = document
            index._chunk_ids_of[document.slug] = [c.chunk_id for c in chunks]
            index.chunks.update((c.chunk_id, c) for c in chunks)
        index._fit_vector_index()
        return index
