"""The demo loader publishes the Northwind articles as approved version 1, once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.demo import KB_DIR
from deskpilot.demo.loader import LOADER
from deskpilot.kb import importer, service


def test_demo_articles_are_loaded_approved_and_only_once(demo_session: Session) -> None:
    # `demo_session` holds the demo loaded once for the test session (tests/conftest.py).
    again = importer.import_documents(demo_session, actor=LOADER, documents=importer.read_folder(KB_DIR),
                                      approve=True)
    assert len(again.unchanged) == 67 and not again.created and not again.updated
    documents = service.approved_documents(demo_session)
    assert len(documents) == len(list(KB_DIR.glob("*.md"))) == 67  # 56 in English, 7 in German, 4 in French
    assert {d.version for d in documents} == {1}
    vpn = next(d for d in documents if d.slug == "vpn-error-codes")
    assert vpn.title == "GlobalProtect VPN error messages and fixes" and vpn.text.startswith("**Applies to:**")
    assert vpn.category == "Network & VPN" and "globalprotect" in vpn.tags and vpn.queue_id is not None
    assert (vpn.language, vpn.translation_of) == ("en", None)
    german = next(d for d in documents if d.slug == "vpn-connect-windows-de")
    assert (german.language, german.translation_of) == ("de", "vpn-connect-windows")
