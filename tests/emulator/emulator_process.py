"""Start and stop the Datafor emulator as a subprocess, for tests and tools.

    from emulator_process import REALISTIC, running_emulator

    with running_emulator(REALISTIC) as emulator:
        print(emulator.url)  # http://127.0.0.1:PORT/datafor
        emulator.add_faults([{"status": 503, "headers": {"Retry-After": "1"}}])

Only the standard library is used, so Ansible test code can import it too.
This module works on POSIX systems only, because it reads the emulator's
output pipe with select().
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union
from urllib.parse import urlsplit

EMULATOR_DIR = Path(__file__).resolve().parent
EMULATOR_SCRIPT = EMULATOR_DIR / "datafor_emulator.py"
DATA_DIR = EMULATOR_DIR / "data"
DOCUMENTED_EXAMPLE = DATA_DIR / "documented-example.json"
REALISTIC = DATA_DIR / "realistic.json"
URL_LINE_PREFIX = "DATAFOR_EMULATOR_URL="
CONTROL_PREFIX = "/__emulator__"
CONTROL_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 10

PathLike = Union[str, "os.PathLike[str]"]


class EmulatorError(RuntimeError):
    """The emulator failed to start, stopped early or rejected a control call."""


@dataclass
class RunningEmulator:
    """A started emulator process and the URLs to reach it."""

    url: str
    base: str
    control_url: str
    context_path: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ca_file: str | None = None

    def control(self, method: str, path: str, document: Any = None) -> Any:
        """Call a control endpoint, such as ("POST", "/reset"), and decode its JSON."""
        body = None if document is None else json.dumps(document).encode("utf-8")
        connection = self._connection()
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, CONTROL_PREFIX + path, body, headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            text = payload.decode("utf-8", errors="replace")
            raise EmulatorError(
                f"{method} {CONTROL_PREFIX}{path}: {response.status} {text}"
            )
        return json.loads(payload.decode("utf-8"))

    def _connection(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.base)
        host = parts.hostname or "127.0.0.1"
        if parts.scheme == "http":
            return http.client.HTTPConnection(
                host, parts.port, timeout=CONTROL_TIMEOUT_SECONDS
            )
        if self.ca_file is not None:
            context = ssl.create_default_context(cafile=self.ca_file)
        else:
            # NOTE: without ca_file, control calls skip certificate checks;
            # they only ever go to this emulator on a loopback address.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(
            host, parts.port, timeout=CONTROL_TIMEOUT_SECONDS, context=context
        )

    def health(self) -> dict[str, Any]:
        return self.control("GET", "/health")

    def reset(self) -> None:
        self.control("POST", "/reset")

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        self.control("POST", "/faults", faults)

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def request_log(self) -> list[dict[str, Any]]:
        return self.control("GET", "/requests")

    def clear_request_log(self) -> None:
        self.control("DELETE", "/requests")

    def set_backup_configs(self, records: list[dict[str, Any]]) -> None:
        self.control("POST", "/backup-configs", records)

    def set_backup_logs(self, records: list[dict[str, Any]]) -> None:
        self.control("POST", "/backup-logs", records)

    def generate_backup_configs(self, count: int, seed: int = 0) -> None:
        self.control("POST", "/backup-configs/generate", {"count": count, "seed": seed})

    def expire_sessions(self) -> int:
        return int(self.control("POST", "/sessions/expire")["expired"])

    def failed_logins(self) -> dict[str, int]:
        return self.control("GET", "/failed-logins")

    def read_log(self) -> str:
        """Return what the emulator has logged to stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_emulator(
    data_file: PathLike = DOCUMENTED_EXAMPLE,
    *,
    tls: tuple[PathLike, PathLike] | None = None,
    ca_file: PathLike | None = None,
    context_path: str = "/datafor",
    host: str = "127.0.0.1",
    extra_args: Sequence[str] = (),
    startup_timeout: float = 20.0,
) -> Iterator[RunningEmulator]:
    """Start the emulator on a free port, yield it, then stop it.

    `tls` is a (certificate, private key) pair of PEM files and makes it serve
    HTTPS; `ca_file` is the CA that the control calls trust. `extra_args` go to
    the command line, e.g. ["--session-idle-seconds", "1"]. The stderr log is
    kept in a temporary file, removed when the emulator stops.
    """
    command = [
        sys.executable,
        str(EMULATOR_SCRIPT),
        "--data",
        str(data_file),
        "--host",
        host,
        "--port",
        "0",
        "--context-path",
        context_path,
    ]
    if tls is not None:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    command += list(extra_args)
    with tempfile.TemporaryDirectory(prefix="datafor-emulator-") as directory:
        log_path = Path(directory) / "emulator.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log_file,
                stdin=subprocess.DEVNULL,
            )
        try:
            url = read_url_line(process, startup_timeout, log_path)
            yield build_running_emulator(url, process, log_path, ca_file)
        finally:
            stop_process(process)


def build_running_emulator(
    url: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    ca_file: PathLike | None,
) -> RunningEmulator:
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    return RunningEmulator(
        url=url,
        base=base,
        control_url=base + CONTROL_PREFIX,
        context_path=parts.path,
        process=process,
        log_path=log_path,
        ca_file=None if ca_file is None else str(ca_file),
    )


def read_url_line(
    process: subprocess.Popen[bytes], timeout: float, log_path: Path
) -> str:
    """Read the DATAFOR_EMULATOR_URL= line that the emulator prints on start."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    output = b""
    while b"\n" not in output:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EmulatorError(
                f"the emulator printed no URL within {timeout} seconds; see {log_path}"
            )
        readable = select.select([descriptor], [], [], remaining)[0]
        if not readable:
            continue
        chunk = os.read(descriptor, 4096)
        if not chunk:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            raise EmulatorError(
                f"the emulator exited with code {process.wait()} before it printed "
                f"its URL; its log:\n{log}"
            )
        output += chunk
    line = output.split(b"\n", 1)[0].decode("utf-8").strip()
    if not line.startswith(URL_LINE_PREFIX):
        raise EmulatorError(f"expected {URL_LINE_PREFIX}<url> first, got {line!r}")
    return line[len(URL_LINE_PREFIX) :]


def stop_process(process: subprocess.Popen[bytes]) -> int:
    """Stop the emulator with SIGTERM, killing it if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode
