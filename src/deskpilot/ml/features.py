"""Text features for the linear classifiers: TF-IDF word and character n-grams, plus sentence vectors.

The fitted vocabularies are stored as plain JSON and the IDF weights as `.npz`, so a saved model is
loaded without unpickling anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from deskpilot.ml.embeddings import Embedder, Vectors

# Sentence vectors are only read up to here: long tickets keep their gist in the first lines, and the
# encoder's cost grows with length (the TF-IDF views still see the whole text).
EMBED_MAX_CHARS = 1000

_WORD_PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "lowercase": True,
    "strip_accents": "unicode",
    "dtype": np.float32,
}
_CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
    "lowercase": True,
    "strip_accents": "unicode",
    "min_df": 2,
    "dtype": np.float32,
}
_VOCAB_FILE = "tfidf_vocabulary.json"
_IDF_FILE = "tfidf_idf.npz"


def _vectorizer(params: dict[str, Any], vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    kwargs = {k: v for k, v in params.items() if not (vocabulary is not None and k == "min_df")}
    return TfidfVectorizer(vocabulary=vocabulary, **kwargs)


class TextFeatures:
    """Fits and applies the feature views; the sentence-vector view is optional and weighted."""

    def __init__(
        self,
        *,
        char_ngrams: bool,
        embedder: Embedder | None,
        embedding_weight: float,
    ) -> None:
        self.char_ngrams = char_ngrams
        self.embedder = embedder
        self.embedding_weight = embedding_weight
        self.word = _vectorizer(_WORD_PARAMS)
        self.char: TfidfVectorizer | None = _vectorizer(_CHAR_PARAMS) if char_ngrams else None
        self._word_terms: npt.NDArray[np.str_] | None = None

    def fit(self, texts: Sequence[str]) -> None:
        """Learn the TF-IDF vocabularies and weights (the sentence encoder is pretrained and fixed)."""
        self.word.fit(texts)
        self._word_terms = None
        if self.char is not None:
            self.char.fit(texts)

    def embed(self, texts: Sequence[str], progress: Callable[[str], None] | None = None) -> Vectors | None:
        """Sentence vectors of `texts`, or None when this feature set has no embedding view."""
        if self.embedder is None:
            return None
        if progress is not None:
            progress(f"embedding {len(texts)} texts with {self.embedder.model_id}")
        return self.embedder.encode([t[:EMBED_MAX_CHARS] for t in texts])

    def transform(self, texts: Sequence[str], vectors: Vectors | None) -> sp.csr_matrix:
        """The design matrix: [word TF-IDF | char TF-IDF | weight * sentence vector]."""
        blocks: list[Any] = [self.word.transform(texts)]
        if self.char is not None:
            blocks.append(self.char.transform(texts))
        if vectors is not None:
            blocks.append(sp.csr_matrix(vectors * np.float32(self.embedding_weight)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    @property
    def word_terms(self) -> npt.NDArray[np.str_]:
        """The word n-gram of each of the first `len(word_terms)` columns of the design matrix."""
        if self._word_terms is None:
            self._word_terms = np.asarray(self.word.get_feature_names_out())
        return self._word_terms

    def save(self, directory: Path) -> None:
        """Write the vocabularies (JSON) and IDF weights (npz) into `directory`."""
        vocab = {"word": _plain_vocabulary(self.word)}
        idf = {"word": self.word.idf_.astype(np.float32)}
        if self.char is not None:
            vocab["char"] = _plain_vocabulary(self.char)
            idf["char"] = self.char.idf_.astype(np.float32)
        (directory / _VOCAB_FILE).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(directory / _IDF_FILE, **idf)

    @classmethod
    def load(cls, directory: Path, *, embedder: Embedder | None, embedding_weight: float) -> TextFeatures:
        """Rebuild fitted views from what `save` wrote."""
        vocab = json.loads((directory / _VOCAB_FILE).read_text(encoding="utf-8"))
        with np.load(directory / _IDF_FILE) as idf:
            features = cls(char_ngrams="char" in vocab, embedder=embedder, embedding_weight=embedding_weight)
            features.word = _vectorizer(_WORD_PARAMS, vocab["word"])
            features.word.idf_ = idf["word"]
            if "char" in vocab:
                features.char = _vectorizer(_CHAR_PARAMS, vocab["char"])
                features.char.idf_ = idf["char"]
        return features


def _plain_vocabulary(vectorizer: TfidfVectorizer) -> dict[str, int]:
    return {term: int(index) for term, index in vectorizer.vocabulary_.items()}
