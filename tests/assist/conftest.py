"""A small IT knowledge base (Markdown articles) and the real offline embedder, shared by assist tests."""

from __future__ import annotations

import pytest

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.ml.embeddings import MODEL_ID, MiniLmEmbedder, load_embedder

ARTICLES = [
    KbDocument(
        "vpn-reset",
        3,
        "Reset your VPN token",
        "# VPN\n## Reset your VPN token\nTo reset the token:\n1. Open the self-service portal.\n"
        "2. Choose Security, then Reset VPN token.\n3. Scan the new QR code with the authenticator app.\n\n"
        "The old token stops working at once.",
        "https://kb.example/vpn-reset",
    ),
    KbDocument(
        "printer-jam",
        1,
        "Clear a paper jam",
        "Open the front cover of the printer and pull the jammed paper out slowly. "
        "Close the cover and print a test page. If the jam light stays on, call the service desk.",
    ),
    KbDocument(
        "password-expired",
        2,
        "Change an expired password",
        "Your Windows password expires every 90 days. Press Ctrl+Alt+Del and choose Change a password. "
        "The new password needs 12 characters and may not repeat your last five passwords.",
    ),
    KbDocument(
        "mailbox-full",
        1,
        "Mailbox is full",
        "When Outlook says your mailbox is full, archive old mail or empty the Deleted Items folder. "
        "Large attachments can be saved to OneDrive instead of being kept in mail.",
    ),
    KbDocument(
        "wifi-guest",
        1,
        "Guest Wi-Fi access",
        "Visitors connect to the Guest network. Reception prints a voucher with a code valid for one day.",
    ),
    KbDocument(
        "laptop-slow",
        1,
        "A slow laptop",
        "Restart the laptop at least once a week so updates finish installing. "
        "Close browser tabs you do not need, and check that the disk has 10 GB free.",
    ),
]


@pytest.fixture(scope="session")
def embedder() -> MiniLmEmbedder:
    return load_embedder(MODEL_ID)


@pytest.fixture()
def kb_index(embedder: MiniLmEmbedder) -> KbIndex:
    index = KbIndex(embedder)
    index.add_documents(ARTICLES)
    return index
