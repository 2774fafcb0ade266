"""Importing Markdown, HTML and CSV; a bad file names itself and imports nothing; export round trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.kb import export, importer, service
from deskpilot.kb.enums import KbVersionStatus
from deskpilot.kb.models import KbArticle
from tests.factories import Desk
from tests.kb.conftest import VPN_BODY

MARKDOWN = f"""---
slug: vpn-connect
title: Connect to the VPN
queue: Network
category: Network
tags: [vpn, globalprotect]
owner: dave
---
{VPN_BODY}"""

HTML = """<html><head><title>Printer queue stuck</title></head><body>
<h1>Printer queue stuck</h1><p>Jobs wait forever in <b>NW-FollowMe</b>.</p>
<h2>Steps</h2><ol><li>Open PaperCut.</li><li>Cancel the oldest job.</li></ol>
<ul><li>Works on Windows</li><li>Works on macOS</li></ul></body></html>"""

CSV = 'doc_id,title,text\nmfa-new-phone,Move Okta Verify,"Install Okta Verify.\nScan the QR code."\n'


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(KbArticle)) or 0


def test_imports_markdown_html_and_csv_as_drafts(session: Session, desk: Desk, tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / "printer-queue.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "more.csv").write_text(CSV, encoding="utf-8")
    documents = importer.read_folder(tmp_path)
    result = importer.import_documents(session, actor=Principal.of(desk.carol), documents=documents)
    assert sorted(result.created) == ["mfa-new-phone", "printer-queue", "vpn-connect"]
    vpn = service.get_by_slug(session, actor=Principal.of(desk.carol), slug="vpn-connect")
    assert (vpn.title, vpn.category, vpn.tags, vpn.queue_id, vpn.owner_id) == (
        "Connect to the VPN", "Network", ["vpn", "globalprotect"], desk.network.id, desk.dave.id)
    assert vpn.versions[0].body == VPN_BODY.strip() and vpn.versions[0].status is KbVersionStatus.DRAFT
    printer = service.get_by_slug(session, actor=Principal.of(desk.carol), slug="printer-queue")
    assert printer.title == "Printer queue stuck"
    assert printer.versions[0].body == ("Jobs wait forever in NW-FollowMe.\n\n## Steps\n\n1. Open PaperCut.\n"
                                        "2. Cancel the oldest job.\n\n- Works on Windows\n- Works on macOS")
    mfa = service.get_by_slug(session, actor=Principal.of(desk.carol), slug="mfa-new-phone")
    assert mfa.versions[0].body == "Install Okta Verify.\nScan the QR code."
    assert service.approved_documents(session) == []


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.md", "---\nslug: [unclosed\n---\nbody", "broken.md: the front matter is not valid YAML"),
    ("noclose.md", "---\nslug: x\nbody without end", "noclose.md: the front matter starts with '---'"),
    ("extra.md", "---\nslug: x\nauthor: me\n---\nbody", "extra.md: unknown front-matter fields ['author']"),
    ("queue.md", "---\nslug: x\nqueue: Nowhere\n---\nbody", "queue.md: no queue named 'Nowhere'"),
    ("empty.md", "---\nslug: x\ntitle: Empty\n---\n   \n", "empty.md: body"),
    ("bad.csv", "id,title,text\n1,a,b\n", "bad.csv: the first line must be the header"),
    ("rows.csv", "doc_id,title,text\nok,Fine,Text\nbad,Only two\n", "rows.csv row 3: expected 3 columns"),
    ("notes.txt", "hello", "notes.txt: unsupported file type .txt"),
])
def test_a_malformed_file_is_named_and_nothing_is_imported(session: Session, desk: Desk, tmp_path: Path,
                                                            name: str, content: str, message: str) -> None:
    (tmp_path / "a-good-one.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        importer.import_documents(session, actor=Principal.of(desk.carol), documents=[
            *importer.read_folder(tmp_path / "a-good-one.md"), *importer.parse_file(name, content)])
    assert message in caught.value.message
    assert _count(session) == 0


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("Caf\xe9".encode("latin-1"))
    with pytest.raises(InvalidInput, match="latin1.md: not UTF-8"):
        importer.read_folder(tmp_path)


def test_duplicate_slugs_in_one_batch_are_refused(session: Session, desk: Desk) -> None:
    docs = importer.parse_file("a.md", MARKDOWN) + importer.parse_file("b.csv", "doc_id,title,text\nvpn-connect,X,Y\n")
    with pytest.raises(InvalidInput, match="b.csv row 2: slug 'vpn-connect' also comes from a.md"):
        importer.import_documents(session, actor=Principal.of(desk.carol), documents=docs)
    assert _count(session) == 0


def test_publishing_on_import_is_for_admins_only(session: Session, desk: Desk) -> None:
    docs = importer.parse_file("vpn.md", MARKDOWN)
    with pytest.raises(PermissionDenied):
        importer.import_documents(session, actor=Principal.of(desk.lena), documents=docs, approve=True)
    with pytest.raises(PermissionDenied):
        importer.import_documents(session, actor=Principal.of(desk.alice), documents=docs)
    importer.import_documents(session, actor=Principal.of(desk.adam), documents=docs, approve=True)
    assert [(d.slug, d.version) for d in service.approved_documents(session)] == [("vpn-connect", 1)]


def test_reimport_is_idempotent_and_changes_become_new_versions(session: Session, desk: Desk) -> None:
    adam = Principal.of(desk.adam)
    importer.import_documents(session, actor=adam, documents=importer.parse_file("vpn.md", MARKDOWN), approve=True)
    again = importer.import_documents(session, actor=adam, documents=importer.parse_file("vpn.md", MARKDOWN),
                                      approve=True)
    assert again.unchanged == ["vpn-connect"]
    changed = importer.import_documents(session, actor=adam, approve=True,
                                        documents=importer.parse_file("vpn.md", MARKDOWN + "\nOne more line.\n"))
    assert changed.updated == ["vpn-connect"]
    assert [(d.slug, d.version) for d in service.approved_documents(session)] == [("vpn-connect", 2)]


def test_export_round_trips_through_import(session: Session, desk: Desk, tmp_path: Path) -> None:
    adam = Principal.of(desk.adam)
    documents = importer.parse_file("vpn.md", MARKDOWN) + importer.parse_file("more.csv", CSV)
    importer.import_documents(session, actor=adam, documents=documents, approve=True)
    files = export.markdown_files(session, actor=adam)
    assert [name for name, _ in files] == ["mfa-new-phone.md", "vpn-connect.md"]
    for name, content in files:
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert importer.read_folder(tmp_path) == [
        *importer.parse_file("mfa-new-phone.md", files[0][1]), *importer.parse_file("vpn-connect.md", files[1][1])]
    result = importer.import_documents(session, actor=adam, documents=importer.read_folder(tmp_path), approve=True)
    assert sorted(result.unchanged) == ["mfa-new-phone", "vpn-connect"] and not result.updated
    vpn = next(d for d in importer.read_folder(tmp_path) if d.slug == "vpn-connect")
    assert (vpn.queue, vpn.owner, vpn.tags) == ("Network", "dave", ("vpn", "globalprotect"))

    text = export.csv_text(session, actor=adam)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["doc_id"] for r in rows] == ["mfa-new-phone", "vpn-connect"]
    result = importer.import_documents(session, actor=adam, documents=importer.parse_file("kb.csv", text))
    assert sorted(result.unchanged) == ["mfa-new-phone", "vpn-connect"]
    with pytest.raises(PermissionDenied):
        export.csv_text(session, actor=Principal.of(desk.alice))
