"""Outbound TLS is verified by default: an IMAP server whose certificate no trusted CA signed is refused, and
the same server is accepted once its CA is configured (a real TLS server on loopback, a real certificate)."""

from __future__ import annotations

import datetime
import imaplib
import socket
import ssl
import threading
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deskpilot.channels.email.imap import connect
from deskpilot.config import MailboxSettings
from deskpilot.errors import ProviderError


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def imaps_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An IMAPS greeter on loopback that refuses every login; yields its port and its certificate."""
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        for _ in range(2):
            try:
                raw, _ = listener.accept()
                with context.wrap_socket(raw, server_side=True) as tls:
                    tls.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
                    tag = tls.recv(1024).split(b" ", 1)[0]
                    tls.sendall(tag + b" NO [AUTHENTICATIONFAILED] nope\r\n")
            except (OSError, ssl.SSLError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert_file
    listener.close()
    thread.join(timeout=5)


def test_imap_refuses_an_untrusted_certificate_and_accepts_it_with_its_ca(imaps_server: tuple[int, Path]) -> None:
    port, cert_file = imaps_server
    mailbox = MailboxSettings(name="it", host="127.0.0.1", port=port, username="desk", password="pw", ssl=True)
    with pytest.raises(ProviderError) as untrusted:
        connect(mailbox, timeout=5)
    assert isinstance(untrusted.value.__cause__, ssl.SSLCertVerificationError)
    with pytest.raises(ProviderError) as refused_login:
        connect(mailbox.model_copy(update={"tls_ca_file": str(cert_file)}), timeout=5)
    assert isinstance(refused_login.value.__cause__, imaplib.IMAP4.error)
