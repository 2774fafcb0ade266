"""Article languages: front matter read on import; questions are ranked over the originals and answered from
the translation into their language when there is one."""

from __future__ import annotations

import pytest

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.errors import InvalidInput
from deskpilot.kb.importer import parse_markdown
from deskpilot.runtime import AiRuntime

GERMAN = """---
slug: vpn-de
title: VPN unter Windows
language: de
translation_of: vpn
---
1. GlobalProtect öffnen.
"""


def test_front_matter_names_the_language_and_the_original() -> None:
    document = parse_markdown("vpn-de.md", GERMAN)
    assert (document.slug, document.language, document.translation_of) == ("vpn-de", "de", "vpn")
    assert parse_markdown("vpn.md", "# VPN\n\n1. Open it.").language == "en"
    with pytest.raises(InvalidInput, match="language must be text"):
        parse_markdown("x.md", "---\nlanguage: [de]\n---\nbody")


def test_questions_are_ranked_over_the_originals_and_answered_from_the_translation(ai_runtime: AiRuntime) -> None:
    index = KbIndex(ai_runtime.embedder)
    index.add_documents([
        KbDocument("vpn", 1, "VPN on Windows", "1. Open GlobalProtect."),
        KbDocument("vpn-de", 1, "VPN unter Windows", "1. GlobalProtect öffnen.", language="de", translation_of="vpn"),
        KbDocument("vpn-fr", 1, "VPN sous Windows", "1. Ouvrir GlobalProtect.", language="fr", translation_of="vpn"),
        KbDocument("printer", 1, "Add a printer", "1. Open Company Portal."),
        KbDocument("kantine", 1, "Speiseplan", "1. Intranet öffnen.", language="de"),
    ])
    assert index.originals() == {"vpn", "printer", "kantine"}
    assert index.translation("vpn", "de") == index.documents["vpn-de"]
    assert index.translation("vpn", "es") is None and index.translation("printer", "de") is None
    query = RetrievalQuery("How do I connect the VPN on Windows?")
    hits = HybridRetriever(index).search(query, k=3, language="de").hits
    assert [h.slug for h in hits][:1] == ["vpn-de"] and "vpn" not in [h.slug for h in hits]
    index.remove_documents(["vpn"])
    assert index.originals() == {"vpn-de", "vpn-fr", "printer", "kantine"}
