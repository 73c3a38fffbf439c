"""A real SMTP server in the test process (aiosmtpd), to receive what the portal sends over the wire.

``SmtpServer.replies`` scripts the answers: each entry answers one message, at the stage it names
("MAIL", "RCPT" or "DATA"), e.g. ``[("DATA", "451 4.3.0 Try again later")]``; when the list is used up
every message is accepted. ``hold_after_data`` makes the server keep the client waiting after it has
read the whole message (the moment a crash turns into a duplicate), until ``release()``.
"""

import asyncio
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    def _scripted(self, stage: str) -> str | None:
        with self.server.lock:
            if self.server.replies and self.server.replies[0][0] == stage:
                return self.server.replies.pop(0)[1]
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self._scripted("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._scripted("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        with self.server.lock:
            self.server.received.append(raw)
        self.server.data_event.set()
        if self.server.hold_after_data.is_set():
            while not self.server.released.is_set():
                await asyncio.sleep(0.05)
        return self._scripted("DATA") or "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.replies: list[tuple[str, str]] = []
        self.received: list[bytes] = []
        self.data_event = threading.Event()
        self.hold_after_data = threading.Event()
        self.released = threading.Event()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, decode_data=False)

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._controller.stop()

    def release(self) -> None:
        self.released.set()

    def messages(self) -> list[email.message.EmailMessage]:
        """Every message the server read, parsed from the bytes on the wire."""
        with self.lock:
            return [email.message_from_bytes(raw, policy=policy.default) for raw in self.received]


@pytest.fixture
def smtp_server(settings):
    """The in-process SMTP server, and Django's SMTP backend pointed at it (no TLS, no login)."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()
