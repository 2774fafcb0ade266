"""`kb reindex` as worker jobs: the texts needing vectors are embedded in batches that several workers take in
parallel, and the index is built once when every batch is done.

- `kb.reindex` (`{"run": id}`) plans: the approved articles with text whose content hash is not in the embedding
  cache (`kb.embedding_batches`), in batches of about `texts_per_batch` texts (1 024 by default), each
  deferred as a `kb.embed` run. The plan is kept with the run's effects, so a plan delivered again (its worker
  was killed) defers the same batches, and its progress row (`/admin/jobs`) counts the batches done.
- `kb.embed` (`{"run", "plan", "batch", "slugs"}`) embeds the batch's texts that the cache does not hold yet into new
  shards (one per `ml.embedding_cache.BATCH` texts, so a batch killed half-way keeps what it saved and its retry
  embeds only the rest), then counts itself done once; the batch that completes the count defers `kb.index`.
- `kb.index` (`{"run": id}`) builds and saves the index as `deskpilot kb reindex` does, from the cache (nothing
  left to embed but the multilingual vectors and the desk's past questions), once per run.

The cache is a directory under DATA_DIR: workers on several machines share it (the same volume), as they share
the index files. On a laptop `deskpilot kb reindex` still does all of it in one process.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from deskpilot.errors import InvalidInput
from deskpilot.jobs.base import JobContext, Payload, job
from deskpilot.jobs.effects import ALREADY_DONE, count_done
from deskpilot.kb import embedding_batches, indexing
from deskpilot.ml.embedding_cache import BATCH
from deskpilot.ml.multilingual import load_multilingual_embedder

log = logging.getLogger(__name__)
PLAN, EMBED, INDEX = "kb.reindex", "kb.embed", "kb.index"


def _run_of(payload: Payload) -> str:
    run = payload.get("run")
    if not isinstance(run, str) or not run:
        raise InvalidInput("A KB reindex job needs the run it belongs to: a payload like {\"run\": \"<id>\"}.")
    return run


def _texts_per_batch(payload: Payload) -> int:
    size = payload.get("texts_per_batch", BATCH)
    if not isinstance(size, int) or size < 1:
        raise InvalidInput(f"texts_per_batch must be a positive whole number, not {size!r}.")
    return size


@job(PLAN)
def plan_reindex(context: JobContext, payload: Payload) -> str:
    """Split the texts needing vectors into batches and defer one `kb.embed` run per batch (or the build)."""
    run, size = _run_of(payload), _texts_per_batch(payload)

    def plan(session: Session) -> str:
        return json.dumps(embedding_batches.embedding_batches(session, index_dir=context.settings.index_dir,
                                                     embedder=context.runtime.embedder, texts_per_batch=size))

    batches: list[list[str]] = json.loads(context.once("plan", plan).removeprefix(ALREADY_DONE))
    context.progress(f"run {run}: embedding {len(batches)} batch(es) of new texts", total=len(batches))
    for number, slugs in enumerate(batches):
        context.defer(EMBED, {"run": run, "plan": context.idempotency_key, "batch": number, "slugs": slugs})
    if not batches:
        context.defer(INDEX, {"run": run})
    return f"run {run}: {len(batches)} batch(es) to embed" if batches else f"run {run}: every text was embedded"


@job(EMBED)
def embed_batch(context: JobContext, payload: Payload) -> str:
    """Embed one batch's uncached texts into the cache, count the batch done, and start the build after the last."""
    run, number, slugs = _run_of(payload), payload.get("batch"), payload.get("slugs")
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        raise InvalidInput("A kb.embed payload names the articles of its batch: {\"slugs\": [...]}.")
    with context.unit_of_work() as session:
        texts = [text for group in embedding_batches.article_texts(session, embedder=context.runtime.embedder,
                                                          slugs=slugs).values() for text in group]

    def saved(done: int, total: int) -> None:
        context.progress(f"run {run}, batch {number}: embedded {done} of {total} texts", done=done, total=total)

    embedded = embedding_batches.fill_embedding_cache(texts, index_dir=context.settings.index_dir,
                                             embedder=context.runtime.embedder, progress=saved)
    plan_key = str(payload.get("plan") or plan_reindex.idempotency_key({"run": run}))

    def count(session: Session) -> str:
        progress = count_done(session, idempotency_key=plan_key, note=f"run {run}: batch {number} embedded")
        if progress.total is not None and progress.done >= progress.total:
            context.defer(INDEX, {"run": run})
            return f"last of {progress.total} batch(es): index build queued"
        return f"{progress.done} of {progress.total} batch(es) done"

    counted = context.once("counted", count)
    return f"run {run}, batch {number}: embedded {embedded} of {len(texts)} texts; {counted}"


@job(INDEX)
def build_index(context: JobContext, payload: Payload) -> str:
    """Build and save the index from the filled cache (as `deskpilot kb reindex`), once per run."""
    run = _run_of(payload)
    settings = context.settings
    context.progress(f"run {run}: building the index")

    def build(session: Session) -> str:
        embedded = [0]

        def saved(done: int, _total: int) -> None:
            embedded[0] = done

        index = indexing.rebuild(session, index_dir=settings.index_dir, embedder=context.runtime.embedder,
                                 multilingual=load_multilingual_embedder(settings.multilingual_model),
                                 ann_min_chunks=settings.ann_min_chunks, progress=saved, multilingual_now=True)
        return (f"run {run}: index built, {len(index)} articles, {len(index.chunks)} chunks, "
                f"{embedded[0]} texts left for the build to embed")

    summary = context.once("build", build)
    context.progress(summary)
    return summary
