"""Issue 14 (low): the SMTP backend uses TLS and login and sends no unredacted free text.

A real SMTP server (aiosmtpd) on loopback that offers STARTTLS with a certificate made here,
requires TLS before AUTH, and accepts one user; the portal's backend trusts that certificate
only. Security settings of this portal, not a source report's rules."""
from __future__ import annotations

import datetime as dt
import socket
import ssl
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.notify import SMTPBackend, SMTPSettingError

USER, PASSWORD = "portal-mailer", "mail-secret-2026"


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class _Inbox:
    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((session.ssl is not None, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def mail_server(tmp_path):
    cert_file, key_file = _certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    inbox = _Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        inbox.logins.append(ok)
        return AuthResult(success=ok)

    with socket.socket() as probe:  # a free loopback port (aiosmtpd checks readiness on the port it is given)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=authenticate, auth_required=True, auth_require_tls=True)
    controller.start()
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    client_tls.check_hostname = False  # the certificate names localhost, the test connects by address
    try:
        yield SimpleNamespace(port=port, inbox=inbox, tls=client_tls)
    finally:
        controller.stop()


def _staff(email="clerk@example.invalid"):
    return SimpleNamespace(email=email, username="a-clerk")


def test_the_smtp_backend_logs_in_over_starttls_and_redacts_the_body(mail_server):
    backend = SMTPBackend("127.0.0.1", mail_server.port, "starttls", USER, PASSWORD, ssl_context=mail_server.tls)
    backend.send(_staff(), "[BJ-2026-0001] answered", "BJ-2026-0001\n请回电 13912345678，身份证 110101199003071234")
    assert mail_server.inbox.logins == [True]
    [(over_tls, content)] = mail_server.inbox.messages
    assert over_tls
    assert "13912345678" not in content and "110101199003071234" not in content
    assert "BJ-2026-0001" in content


def test_a_wrong_smtp_password_is_refused_and_nothing_is_sent(mail_server):
    import smtplib

    backend = SMTPBackend("127.0.0.1", mail_server.port, "starttls", USER, "wrong", ssl_context=mail_server.tls,
                          timeout=2)
    # refused (smtplib then tries its next mechanism, which this server lets time out): an error, no mail
    with pytest.raises(smtplib.SMTPException):
        backend.send(_staff(), "subject", "body")
    assert mail_server.inbox.messages == [] and mail_server.inbox.logins[0] is False


def test_plain_text_mail_to_another_machine_is_refused():
    with pytest.raises(SMTPSettingError, match="without TLS"):
        SMTPBackend("mail.example.invalid", 25, "none")
    SMTPBackend("127.0.0.1", 25, "none")  # a relay on this machine may take plain text
    with pytest.raises(SMTPSettingError):
        SMTPBackend("mail.example.invalid", 587, "tls-maybe")
