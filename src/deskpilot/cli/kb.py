"""`deskpilot kb import | export | reindex`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.errors import InvalidInput
from deskpilot.jobs.kb_reindex import PLAN
from deskpilot.jobs.procrastinate_queue import ProcrastinateQueue
from deskpilot.jobs.registry import load_jobs
from deskpilot.kb import export, importer, indexing
from deskpilot.ml.embedding_cache import BATCH
from deskpilot.ml.embeddings import load_embedder
from deskpilot.ml.multilingual import load_multilingual_embedder

CLI = Principal.system("cli")


def cmd_kb_import(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        result = importer.import_documents(session, actor=CLI, documents=importer.read_folder(Path(args.path)),
                                           approve=args.approve)
    state = "approved" if args.approve else "drafts"
    print(f"imported: {len(result.created)} new, {len(result.updated)} new versions ({state}), "
          f"{len(result.unchanged)} unchanged")
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    out = Path(args.output)
    with database(load_settings()) as session:
        if args.format == "csv":
            out.write_text(export.csv_text(session, actor=CLI), encoding="utf-8")
            print(f"approved articles written to {out}")
            return 0
        out.mkdir(parents=True, exist_ok=True)
        files = export.markdown_files(session, actor=CLI)
        for name, content in files:
            (out / name).write_text(content, encoding="utf-8")
    print(f"{len(files)} approved articles written to {out}/")
    return 0


def _show_progress(done: int, total: int) -> None:
    print(f"embedded {done}/{total} new texts (chunks, titles)", flush=True)


def cmd_kb_reindex(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.queue:
        return _queue_reindex(settings, texts_per_batch=args.texts_per_batch)
    multilingual = load_multilingual_embedder(settings.multilingual_model)
    if multilingual is not None:
        print(f"the multilingual vectors ({multilingual.model_id}) are computed too, for questions not in English",
              flush=True)
    with database(settings) as session:
        index = indexing.rebuild(session, index_dir=settings.index_dir,
                                 embedder=load_embedder(settings.embedding_model), multilingual=multilingual,
                                 ann_min_chunks=settings.ann_min_chunks, progress=_show_progress,
                                 multilingual_now=True)
    print(f"KB index rebuilt in {indexing.index_path(settings.index_dir)}: {len(index)} approved articles, "
          f"{len(index.chunks)} chunks, {len(index.history)} past questions learned from the desk's history")
    return 0


def _queue_reindex(settings: Settings, *, texts_per_batch: int) -> int:
    """Hand the rebuild to the workers (`jobs.kb_reindex`): they embed its batches in parallel and build the index."""
    if texts_per_batch < 1:
        raise InvalidInput(f"--texts-per-batch must be at least 1, not {texts_per_batch}.")
    engine = make_engine(settings.resolved_database_url)
    try:
        if engine.dialect.name != "postgresql":
            raise InvalidInput("`kb reindex --queue` hands the rebuild to the workers' queue on PostgreSQL; on SQLite "
                               "the worker's queue lives in its own process: run `deskpilot kb reindex` instead.")
        queue = ProcrastinateQueue(jobs=load_jobs(), settings=settings, runtime=None, sessions=session_factory(engine))
        run = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        queue.enqueue(PLAN, {"run": run, "texts_per_batch": texts_per_batch})
    finally:
        engine.dispose()
    print(f"KB reindex run {run} queued: the workers embed its batches and build the index; its progress is on "
          "/admin/jobs", flush=True)
    return 0


def register(sub: Sub) -> None:
    kb = sub.add_parser("kb", help="knowledge base: import, export, reindex").add_subparsers(dest="kb_cmd",
                                                                                          required=True)
    imp = kb.add_parser("import", help="import Markdown/HTML/PDF/CSV files (a folder or one file); all or nothing")
    imp.add_argument("path")
    imp.add_argument("--approve", action="store_true", help="publish at once instead of importing drafts")
    imp.set_defaults(func=cmd_kb_import)
    exp = kb.add_parser("export", help="write the approved articles as Markdown files or one CSV")
    exp.add_argument("output", help="a folder (markdown) or a file (csv)")
    exp.add_argument("--format", choices=["markdown", "csv"], default="markdown")
    exp.set_defaults(func=cmd_kb_export)
    reindex = kb.add_parser("reindex", help="rebuild the retrieval index from the approved versions")
    reindex.add_argument("--queue", action="store_true",
                         help="on PostgreSQL: queue the rebuild for `deskpilot worker` processes, which embed its "
                              "batches in parallel (progress on /admin/jobs), instead of doing it here")
    reindex.add_argument("--texts-per-batch", type=int, default=BATCH,
                         help=f"with --queue: about this many texts to embed per worker job (default {BATCH})")
    reindex.set_defaults(func=cmd_kb_reindex)
