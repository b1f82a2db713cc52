"""Real local servers for the tests: an SMTP server (aiosmtpd) and an HTTP server (http.server),
each on a free TCP port of 127.0.0.1, run in a thread of the test process.

Tests (and other apps' tests) send to them over real sockets and read back exactly what arrived::

    with smtp_server() as smtp:
        ... send to smtp.host:smtp.port ...
        [mail] = smtp.messages
        mail.envelope_to, mail.message["Subject"], mail.raw

    with http_server() as http:
        http.script("/robot", [(503, {}), (200, {"errcode": 0})])
        ... POST to http.url("/robot") ...
        [request] = http.requests

Both keep their behaviour in plain attributes, so a test may change it while the server runs.
"""

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    """One message the SMTP server accepted: the envelope and the bytes of DATA."""

    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"] or "")

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(file name, content type, bytes) of each attachment."""
        return [
            (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True))
            for part in self.message.iter_attachments()
        ]


@dataclass
class SmtpServer:
    """The running server and what it is told to do. ``refuse``: addresses answered 550 at RCPT;
    ``busy_rcpt``/``busy_data``: how many more RCPT/DATA commands get 451; ``reject_data``: DATA
    answered 554; ``drop_data``: the connection is closed after the message's bytes arrived,
    with no answer; ``delay``: seconds to wait before answering DATA."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    busy_rcpt: int = 0
    busy_data: int = 0
    reject_data: bool = False
    drop_data: bool = False
    delay: float = 0.0
    credentials: tuple[str, str] | None = None
    logins: list[str] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [mail.message_id for mail in self.messages]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages arrived (or the timeout) and return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)


class _SmtpHandler:
    def __init__(self, state: SmtpServer):
        self.state = state

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.state.lock:
            self.state.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        state = self.state
        with state.lock:
            if address.lower() in {a.lower() for a in state.refuse}:
                return "550 5.1.1 No such user here"
            if state.busy_rcpt > 0:
                state.busy_rcpt -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        state = self.state
        if state.delay:
            await asyncio.sleep(state.delay)
        with state.lock:
            if state.drop_data:
                server.transport.close()
                return "250 OK"  # never reaches the client
            if state.busy_data > 0:
                state.busy_data -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            if state.reject_data:
                return "554 5.6.0 Message refused"
            raw = envelope.original_content or envelope.content
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            state.messages.append(
                ReceivedMail(
                    envelope_from=envelope.mail_from,
                    envelope_to=list(envelope.rcpt_tos),
                    raw=raw,
                    message=parsed,
                )
            )
        return "250 2.0.0 Accepted"


@contextmanager
def smtp_server(**behaviour) -> Iterator[SmtpServer]:
    """An SMTP server on a free port of 127.0.0.1 for the duration of the block. Keyword
    arguments set the attributes of :class:`SmtpServer` (refuse, busy_data, credentials …)."""
    refuse = behaviour.pop("refuse", ())
    state = SmtpServer(host=HOST, port=free_port(), refuse=set(refuse), **behaviour)
    options = {}
    if state.credentials:

        def authenticate(server, session, envelope, mechanism, auth_data):
            login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else ""
            password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else ""
            ok = (login, password) == state.credentials
            if ok:
                state.logins.append(login)
            return AuthResult(success=ok, handled=False)

        options = {"authenticator": authenticate, "auth_require_tls": False}
    controller = Controller(_SmtpHandler(state), hostname=HOST, port=state.port, **options)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    """A scripted answer: status, a JSON-able body (or bytes), seconds to wait first, or
    ``drop`` to close the connection without answering."""

    status: int = 200
    body: object = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    delay: float = 0.0
    drop: bool = False


@dataclass
class HttpServer:
    host: str
    port: int
    requests: list[ReceivedRequest] = field(default_factory=list)
    scripts: dict[str, deque] = field(default_factory=dict)
    default: Reply = field(default_factory=Reply)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, replies) -> None:
        """Answer the next requests to ``path`` (query ignored) in order; each item a
        :class:`Reply` or a (status, body) pair. When used up, the default answer follows."""
        items = deque(r if isinstance(r, Reply) else Reply(*r) for r in replies)
        with self.lock:
            self.scripts[path] = items

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def next_reply(self, path: str) -> Reply:
        with self.lock:
            queue = self.scripts.get(path)
            return queue.popleft() if queue else self.default


def _handler_for(state: HttpServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            with state.lock:
                state.requests.append(
                    ReceivedRequest(
                        method=self.command,
                        path=parts.path,
                        query=parse_qs(parts.query, keep_blank_values=True),
                        headers={k: v for k, v in self.headers.items()},
                        body=body,
                    )
                )
            reply = state.next_reply(parts.path)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(reply.body, bytes | str):
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                content_type = "text/plain; charset=utf-8"
            else:
                payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
                content_type = "application/json; charset=utf-8"
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format, *args):
            pass

    return Handler


@contextmanager
def http_server() -> Iterator[HttpServer]:
    """An HTTP server on a free port of 127.0.0.1, answering every path with the default reply
    (200 ``{"errcode": 0}``) unless scripted, and recording every request."""
    server = ThreadingHTTPServer((HOST, 0), None)
    state = HttpServer(host=HOST, port=server.server_address[1])
    server.RequestHandlerClass = _handler_for(state)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Pointing Huikuan at them ---------------------------------------------------------------------


def use_smtp(settings, smtp: SmtpServer, **overrides) -> None:
    """Make the email channel send to ``smtp`` (``settings`` is pytest-django's fixture)."""
    settings.HUIKUAN_EMAIL_HOST = smtp.host
    settings.HUIKUAN_EMAIL_PORT = smtp.port
    settings.HUIKUAN_EMAIL_SECURITY = "none"
    settings.HUIKUAN_EMAIL_USER = ""
    settings.HUIKUAN_EMAIL_PASSWORD = ""
    settings.HUIKUAN_EMAIL_TIMEOUT = 5
    for name, value in overrides.items():
        setattr(settings, name, value)


def smtp_env(smtp: SmtpServer) -> dict[str, str]:
    """The environment variables that point a ``huikuan`` subprocess at ``smtp``."""
    return {
        "HUIKUAN_EMAIL_HOST": smtp.host,
        "HUIKUAN_EMAIL_PORT": str(smtp.port),
        "HUIKUAN_EMAIL_SECURITY": "none",
        "HUIKUAN_EMAIL_TIMEOUT": "5",
    }
