"""`deskpilot kb import | export | reindex`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.kb import export, importer, indexing
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


def cmd_kb_reindex(_: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        index = indexing.rebuild(session, index_dir=settings.index_dir,
                                 embedder=load_embedder(settings.embedding_model),
                                 multilingual=load_multilingual_embedder(settings.multilingual_model),
                                 ann_min_chunks=settings.ann_min_chunks, progress=_show_progress)
    # The multilingual vectors too, saved with the index: app processes started after this one load them instead
    # of each computing them at start (a minute or more of CPU per process on a busy machine).
    if index.cross_lingual() is not None:
        indexing.save(index, settings.index_dir)
    print(f"KB index rebuilt in {indexing.index_path(settings.index_dir)}: {len(index)} approved articles, "
          f"{len(index.chunks)} chunks, {len(index.history)} past questions learned from the desk's history")
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
    kb.add_parser("reindex", help="rebuild the retrieval index from the approved versions").set_defaults(
        func=cmd_kb_reindex)
