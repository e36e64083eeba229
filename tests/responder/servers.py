"""Loopback servers the notification tests start: a tiny SMTP server and an HTTP webhook receiver."""

from __future__ import annotations

import json
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass
class Inbox:
    """What a server received."""

    messages: list[Any] = field(default_factory=list)
    event: threading.Event = field(default_factory=threading.Event)

    def add(self, item: Any) -> None:
        self.messages.append(item)
        self.event.set()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT (no TLS, no AUTH)."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))
        self.wfile.flush()

    def handle(self) -> None:
        inbox: Inbox = self.server.inbox  # type: ignore[attr-defined]
        self._reply("220 localhost test SMTP")
        mail_from = ""
        rcpt: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                self.wfile.flush()
            elif verb == "HELO":
                self._reply("250 localhost")
            elif verb == "MAIL":
                mail_from, rcpt = line[10:].split(" ")[0].strip("<>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                rcpt.append(line[8:].split(" ")[0].strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                chunks: list[bytes] = []
                while True:
                    data_line = self.rfile.readline()
                    if data_line in (b".\r\n", b".\n", b""):
                        break
                    if data_line.startswith(b".."):
                        data_line = data_line[1:]
                    chunks.append(data_line)
                msg = message_from_bytes(b"".join(chunks), policy=policy.default)
                assert isinstance(msg, EmailMessage)
                inbox.add({"from": mail_from, "to": rcpt, "message": msg})
                self._reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _ThreadingTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPServer:
    """A real SMTP server on 127.0.0.1 (random port) collecting messages in `inbox`."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self._server = _ThreadingTCP(("127.0.0.1", 0), _SMTPHandler)
        self._server.inbox = self.inbox  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.inbox.add(  # type: ignore[attr-defined]
            {"path": self.path, "headers": dict(self.headers), "body": body, "json": _maybe_json(body)}
        )
        statuses: list[int] = self.server.statuses  # type: ignore[attr-defined]
        self.send_response(statuses.pop(0) if len(statuses) > 1 else statuses[0])
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, format: str, *args: Any) -> None:  # silence test output
        return


def _maybe_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return None


class _ThreadingHTTP(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


class WebhookServer:
    """A real HTTP receiver on 127.0.0.1 answering POSTs with the given statuses and keeping what arrived."""

    def __init__(self, *statuses: int) -> None:
        self.inbox = Inbox()
        self._server = _ThreadingHTTP(("127.0.0.1", 0), _HookHandler)
        self._server.inbox = self.inbox  # type: ignore[attr-defined]
        # Answers in order; the last status repeats (e.g. 500, 200 = fail once, then succeed).
        self._server.statuses = list(statuses or (200,))  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers (a hung endpoint)."""

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
