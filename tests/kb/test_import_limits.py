"""The KB import authorises before it reads the upload, caps files and sizes, and parses front matter in bounds."""

from __future__ import annotations

import time

import pytest

from deskpilot.errors import InvalidInput
from deskpilot.kb import importer
from deskpilot.kb.schemas import MAX_IMPORT_BYTES, MAX_IMPORT_FILE_CHARS, MAX_IMPORT_FILES
from tests.api.conftest import Clients

K = "/api/v1/kb/import"
# A YAML alias bomb: nine levels of ten aliases each expand to a billion strings.
ALIAS_BOMB = "a: &a [\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))


def _markdown(front: str) -> str:
    return f"---\n{front}\n---\n# Title\nBody.\n"


def test_a_requesters_upload_is_refused_before_it_is_read(clients: Clients) -> None:
    # 0.75 MB of flat YAML: tens of seconds of parsing for the pure-Python loader.
    heavy = {"files": [{"filename": "x.md", "content": _markdown("tags: [" + "t, " * 250_000 + "t]")}]}
    started = time.perf_counter()
    refused = clients["alice"].post(K, json=heavy)
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"
    assert time.perf_counter() - started < 5
    not_even_json = clients["alice"].post(K, content=b"{not json", headers={"content-type": "application/json"})
    assert not_even_json.status_code == 403
    assert clients["anonymous"].post(K, content=b"{not json").status_code == 401


def test_an_oversize_upload_or_file_is_refused_with_413(clients: Clients) -> None:
    too_big = clients["carol"].post(K, content=b"x" * (MAX_IMPORT_BYTES + 1),
                                    headers={"content-type": "application/json"})
    assert too_big.status_code == 413 and "at most" in too_big.json()["message"]
    big_file = {"files": [{"filename": "big.md", "content": "# Big\n" + "a" * MAX_IMPORT_FILE_CHARS}]}
    refused = clients["carol"].post(K, json=big_file)
    assert refused.status_code == 413 and "big.md" in refused.json()["message"]


def test_too_many_files_in_one_import_are_refused_with_413(clients: Clients) -> None:
    files = [{"filename": f"a{i}.md", "content": f"# Article {i}\nBody."} for i in range(MAX_IMPORT_FILES + 1)]
    refused = clients["carol"].post(K, json={"files": files})
    assert refused.status_code == 413 and f"at most {MAX_IMPORT_FILES}" in refused.json()["message"]
    assert clients["carol"].get("/api/v1/kb/articles").json()["total"] == 0


def test_a_bad_upload_body_is_a_clear_422(clients: Clients) -> None:
    for body in (b"{not json", b'{"files": []}', b'{"files": [{"filename": "x.md"}]}'):
        response = clients["carol"].post(K, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422 and response.json()["error"] == "invalid_input", response.text


@pytest.mark.parametrize(("front", "problem"), [
    (ALIAS_BOMB, "aliases are not allowed"),
    ("title: " + "[" * 3000 + "]" * 3000, "may be at most 4096 characters"),
    ("title: " + "[" * 50 + "x" + "]" * 50, "nested deeper"),
    ("title: x\n" + "tags: [" + ", ".join(["t"] * 2000) + "]", "may be at most 4096 characters"),
])
def test_pathological_front_matter_is_refused_quickly(front: str, problem: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match=problem):
        importer.parse_file("bomb.md", _markdown(front))
    assert time.perf_counter() - started < 1


def test_front_matter_without_a_close_near_the_top_is_refused_without_scanning_the_file() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="no closing '---' line"):
        importer.parse_file("open.md", "---\ntitle: x\n" + "\n----x" * 150_000 + "\n---\nbody")
    assert time.perf_counter() - started < 1


def test_an_import_larger_than_other_json_bodies_is_accepted(clients: Clients) -> None:
    files = [{"filename": f"guide-{n}.md", "content": f"# Guide {n}\n\n" + "Restart the VPN client. " * 4_000}
             for n in range(14)]
    imported = clients["carol"].post(K, json={"files": files})
    assert imported.status_code == 200, imported.text
    assert len(imported.json()["created"]) == 14


def test_a_deeply_nested_import_is_refused_with_422_after_the_permission_check(clients: Clients) -> None:
    nested = b'{"files": ' + b"[" * 900 + b"]" * 900 + b"}"
    assert clients["alice"].post(K, content=nested, headers={"content-type": "application/json"}).status_code == 403
    refused = clients["carol"].post(K, content=nested, headers={"content-type": "application/json"})
    assert refused.status_code == 422 and "deeper than" in refused.json()["message"]
