"""An HTTP server that emulates the Datafor BI server's backup and login API.

Run it as `python tests/emulator/datafor_emulator.py --data FILE --port 0`.
It prints one line `DATAFOR_EMULATOR_URL=<url>` to stdout, logs requests to
stderr and stops on SIGTERM or SIGINT. README.md beside it documents the data
file, the emulated endpoints and the control API under /__emulator__/.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import select
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from emulator_api import DataforApi
from emulator_control import ControlApi
from emulator_faults import fault_kind
from emulator_http import (
    HTML_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    SERVER_HEADER,
    Request,
    Response,
    encode_json,
    html_error,
    parse_cookie_header,
    parse_query,
    redact_query,
    redirect,
    strip_path_parameters,
)
from emulator_state import DataFileError, EmulatorState

LOG = logging.getLogger("datafor_emulator")

URL_LINE_PREFIX = "DATAFOR_EMULATOR_URL="
# Tomcat closes idle keep-alive connections after 20 seconds by default.
KEEP_ALIVE_SECONDS = 20
TLS_HANDSHAKE_SECONDS = 10
MAX_BODY_BYTES = 256 * 1024 * 1024
# The body a "reset" fault sends before it aborts the connection.
PARTIAL_BODY = b'{"msg":"","data":[{"cron":"{\\"complexJobTrigger'
# A "reset" fault waits this long after the partial body so that a reading
# client receives it before the TCP reset, which may discard unread data.
RESET_PAUSE_SECONDS = 0.1


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that can do the TLS handshake per connection."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, tls_context: ssl.SSLContext | None):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.tls_context = tls_context
        self.stopping = threading.Event()
        self.api: DataforApi | None = None
        self.control: ControlApi | None = None
        self.state: EmulatorState | None = None
        super().__init__((host, port), DataforRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name through DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        # The handshake runs here, in the connection's own thread, so that a
        # client that never completes it cannot block the accepting thread.
        request.settimeout(TLS_HANDSHAKE_SECONDS)
        try:
            tls_socket = self.tls_context.wrap_socket(request, server_side=True)
        except OSError as error:
            LOG.warning("TLS handshake with %s failed: %s", client_address[0], error)
            return
        try:
            self.RequestHandlerClass(tls_socket, client_address, self)
        finally:
            close_quietly(tls_socket)


def close_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_WR)
    connection.close()


class DataforRequestHandler(BaseHTTPRequestHandler):
    """Reads one request, applies a queued fault or routes it, and logs it."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = SERVER_HEADER
    timeout = KEEP_ALIVE_SECONDS

    def version_string(self) -> str:
        return SERVER_HEADER

    def do_GET(self) -> None:
        self.dispatch()

    def do_POST(self) -> None:
        self.dispatch()

    def do_PUT(self) -> None:
        self.dispatch()

    def do_DELETE(self) -> None:
        self.dispatch()

    def do_HEAD(self) -> None:
        self.dispatch()

    def dispatch(self) -> None:
        request = self.read_request()
        if request is None:
            return
        if ControlApi.owns(request.path):
            self.send_control_response(request)
            return
        entry = describe_request(request)
        in_context = self.server.api.in_context(request.path)
        fault = self.server.state.take_fault(request.method, request.path, in_context)
        if fault is not None:
            entry["fault"] = fault_kind(fault)
            if self.break_connection(fault, request, entry):
                return
        response = fault_response(fault) if fault is not None else None
        if response is None:
            response = self.server.api.handle(request)
        entry["status"] = response.status
        entry["user"] = response.user
        self.record(request, entry)
        self.send(response)

    def send_control_response(self, request: Request) -> None:
        response = self.server.control.handle(request)
        if response.status >= 400:
            message = response.body.decode("utf-8", errors="replace")
            LOG.warning(
                "control call %s %s failed with %d: %s",
                request.method,
                request.path,
                response.status,
                message,
            )
        self.send(response)

    def break_connection(
        self, fault: dict[str, Any], request: Request, entry: dict[str, Any]
    ) -> bool:
        """Apply a fault that delays or breaks the connection.

        Returns True when the request is finished, False when it goes on to be
        handled normally (after a "delay").
        """
        action = fault.get("action")
        if action == "delay":
            self.wait_for_peer(float(fault.get("seconds", 30)), stop_on_close=False)
            return False
        if action not in ("hang", "close", "reset"):
            return False
        self.record(request, entry)
        self.close_connection = True
        if action == "hang":
            self.wait_for_peer(float(fault.get("seconds", 30)), stop_on_close=True)
        elif action == "reset":
            self.send_partial_then_reset()
        return True

    def wait_for_peer(self, seconds: float, stop_on_close: bool) -> None:
        """Sleep up to `seconds`, ending early when the emulator stops or, with
        stop_on_close, when the client closes the connection."""
        deadline = time.monotonic() + seconds
        while not self.server.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if not stop_on_close:
                time.sleep(min(remaining, 0.1))
                continue
            ready = select.select([self.connection], [], [], min(remaining, 0.1))
            readable = ready[0]
            if readable and self.peer_closed():
                LOG.info("client closed the connection during a hang fault")
                return

    def peer_closed(self) -> bool:
        try:
            return self.connection.recv(1) == b""
        except OSError:
            return True

    def send_partial_then_reset(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(PARTIAL_BODY) + 4096))
        self.end_headers()
        self.wfile.write(PARTIAL_BODY)
        time.sleep(RESET_PAUSE_SECONDS)
        # SO_LINGER with a zero timeout makes close() send a TCP RST.
        linger = struct.pack("ii", 1, 0)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.connection.close()

    def read_request(self) -> Request | None:
        target = urlsplit(self.path)
        body = self.read_body()
        if body is None:
            return None
        return Request(
            method=self.command,
            path=unquote(strip_path_parameters(target.path)),
            query=parse_query(target.query),
            headers=self.headers,
            body=body,
            secure=self.server.tls_context is not None,
        )

    def read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked_body()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.reject(f"invalid Content-Length {length_header!r}")
            return None
        return self.rfile.read(length)

    def read_chunked_body(self) -> bytes | None:
        chunks = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.reject("invalid chunk size in a chunked request body")
                return None
            total += size
            if total > MAX_BODY_BYTES:
                self.reject("chunked request body too large")
                return None
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
        while self.rfile.readline(1024).strip():
            pass  # Skip trailer fields up to the blank line.
        return b"".join(chunks)

    def reject(self, message: str) -> None:
        LOG.warning("rejected a request from %s: %s", self.client_address[0], message)
        self.close_connection = True
        self.send(html_error(400, message))

    def send(self, response: Response) -> None:
        header_names = {header[0].lower() for header in response.headers}
        self.send_response(response.status)
        if response.content_type and "content-type" not in header_names:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if "content-length" not in header_names:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def record(self, request: Request, entry: dict[str, Any]) -> None:
        self.server.state.record_request(entry)
        query = urlencode(redact_query(request.query))
        target = request.path + ("?" + query if query else "")
        outcome = entry["status"] if entry["status"] is not None else "no response"
        user = f" as {entry['user']}" if entry["user"] else ""
        fault = f" (fault: {entry['fault']})" if entry["fault"] else ""
        LOG.info("%s %s -> %s%s%s", request.method, target, outcome, user, fault)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """Skip http.server's access log, which would print ?token= values."""

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        # http.server reports malformed requests and timeouts here; the
        # request line it may include is not logged because it can hold a token.
        message = format % args
        if self.requestline:
            message = message.replace(self.requestline, "<request line>")
        LOG.warning("%s: %s", self.client_address[0], message)


def fault_response(fault: dict[str, Any]) -> Response | None:
    """Build the response that a fault sends, or return None for actions."""
    if fault.get("action") == "redirect":
        return redirect(fault["location"], int(fault.get("status", 302)))
    if "action" in fault:
        return None
    headers = list(fault.get("headers", {}).items())
    if "json" in fault:
        body = encode_json(fault["json"])
        return Response(int(fault.get("status", 200)), body, JSON_CONTENT_TYPE, headers)
    body = fault.get("body", "").encode("utf-8")
    content_type = fault.get("content_type")
    if content_type is None and body:
        content_type = HTML_CONTENT_TYPE
    return Response(int(fault["status"]), body, content_type, headers)


def describe_request(request: Request) -> dict[str, Any]:
    """Build a request log entry that contains no password, token or cookie value."""
    cookies = parse_cookie_header(request.headers.get("Cookie", ""))
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": request.path,
        "query": [list(pair) for pair in redact_query(request.query)],
        "headers": list(request.headers.keys()),
        "authorization": authorization_kind(request.headers.get("Authorization")),
        "cookies": [cookie[0] for cookie in cookies],
        "content_type": request.headers.get("Content-Type"),
        "body_length": len(request.body),
        "status": None,
        "user": None,
        "fault": None,
    }


def authorization_kind(header: str | None) -> str:
    if header is None:
        return "absent"
    scheme = header.strip().split(" ", 1)[0].lower()
    return scheme if scheme in ("basic", "bearer") else "other"


def loopback_host(value: str) -> str:
    if value == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"invalid IP address {value!r}") from error
    if not address.is_loopback:
        raise argparse.ArgumentTypeError(
            f"{value} is not a loopback address; use 127.0.0.1 or ::1"
        )
    return str(address)


def context_path(value: str) -> str:
    stripped = value.strip("/")
    if any(character in stripped for character in "?#; \t"):
        raise argparse.ArgumentTypeError(f"invalid context path {value!r}")
    normalized = "/" + stripped if stripped else ""
    if ControlApi.owns(normalized):
        raise argparse.ArgumentTypeError("the context path cannot be /__emulator__")
    return normalized


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="JSON data file")

    parser.add_argument(
        "--host",
        type=loopback_host,
        default="127.0.0.1",
        help="loopback address to listen on (default: 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port; 0 picks a free one (default: 0)"
    )
    parser.add_argument(
        "--context-path",
        type=context_path,
        default="/datafor",
        help="path prefix of the web application (default: /datafor)",
    )

    parser.add_argument(
        "--tls-cert", type=Path, help="PEM certificate chain: serve HTTPS"
    )
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")

    parser.add_argument(
        "--session-idle-seconds",
        type=float,
        default=7200.0,
        help="idle seconds after which a session expires (default: 7200)",
    )
    parser.add_argument(
        "--lockout-threshold",
        type=int,
        default=10,
        help="failed logins that lock a user out for 24 hours (default: 10)",
    )
    parser.add_argument("--url-file", type=Path, help="also write the URL to this file")
    return parser


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if (arguments.tls_cert is None) != (arguments.tls_key is None):
        parser.error("--tls-cert and --tls-key must be given together")
    if not 0 <= arguments.port <= 65535:
        parser.error(f"--port must be from 0 to 65535, got {arguments.port}")
    if arguments.session_idle_seconds <= 0:
        parser.error("--session-idle-seconds must be greater than 0")
    if arguments.lockout_threshold < 1:
        parser.error("--lockout-threshold must be at least 1")
    return arguments


def build_tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None or key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


def server_url(server: EmulatorServer, path: str) -> str:
    scheme = "https" if server.tls_context is not None else "http"
    host = server.server_name
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{server.server_port}{path}"


def write_url_file(path: Path, url: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(url + "\n", encoding="utf-8")
    os.replace(temporary, path)


def install_stop_handlers() -> threading.Event:
    """Return an event that SIGTERM and SIGINT set."""
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        LOG.info("received signal %d, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def serve_until(server: EmulatorServer, stop: threading.Event) -> None:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    while not stop.wait(0.5):
        pass
    server.stopping.set()
    server.shutdown()
    server.server_close()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        state = EmulatorState(
            arguments.data, arguments.session_idle_seconds, arguments.lockout_threshold
        )
        tls_context = build_tls_context(arguments.tls_cert, arguments.tls_key)
        server = EmulatorServer(arguments.host, arguments.port, tls_context)
    except (DataFileError, OSError) as error:
        LOG.error("cannot start the emulator: %s", error)
        return 2
    url = server_url(server, arguments.context_path)
    server.state = state
    server.api = DataforApi(state, arguments.context_path)
    server.control = ControlApi(state, url)
    # The handlers go in before the URL is printed, because a caller may send
    # SIGTERM as soon as it has read the URL.
    stop = install_stop_handlers()
    if arguments.url_file is not None:
        write_url_file(arguments.url_file, url)
    print(URL_LINE_PREFIX + url, flush=True)
    LOG.info("listening at %s with data file %s", url, arguments.data)
    serve_until(server, stop)
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
