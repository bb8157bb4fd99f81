"""The control API under /__emulator__/ that tests use to steer the emulator."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from emulator_faults import FaultError, parse_faults
from emulator_http import Request, Response, json_response
from emulator_records import generate_backup_configs
from emulator_state import EmulatorState

CONTROL_PREFIX = "/__emulator__"


class ControlApi:
    """Serves the control endpoints; none of them needs authentication."""

    def __init__(self, state: EmulatorState, url: str) -> None:
        self.state = state
        self.url = url
        self.routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/health"): self.health,
            ("GET", "/requests"): self.request_log,
            ("DELETE", "/requests"): self.clear_request_log,
            ("POST", "/reset"): self.reset,
            ("POST", "/backup-configs"): self.replace_backup_configs,
            ("POST", "/backup-configs/generate"): self.generate_backup_configs,
            ("POST", "/backup-logs"): self.replace_backup_logs,
            ("POST", "/sessions/expire"): self.expire_sessions,
            ("GET", "/failed-logins"): self.failed_logins,
            ("GET", "/faults"): self.pending_faults,
            ("POST", "/faults"): self.add_faults,
            ("DELETE", "/faults"): self.clear_faults,
        }

    @staticmethod
    def owns(path: str) -> bool:
        return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")

    def handle(self, request: Request) -> Response:
        route = request.path[len(CONTROL_PREFIX) :].rstrip("/")
        handler = self.routes.get((request.method, route))
        if handler is not None:
            return handler(request)
        if any(key[1] == route for key in self.routes):
            return control_error(
                405, f"{request.method} is not allowed on {request.path}"
            )
        return control_error(404, f"no control endpoint at {request.path}")

    def health(self, request: Request) -> Response:
        document = {"status": "ok", "url": self.url}
        document.update(self.state.counts())
        return json_response(document)

    def request_log(self, request: Request) -> Response:
        return json_response(self.state.request_log())

    def clear_request_log(self, request: Request) -> Response:
        self.state.clear_request_log()
        return json_response({"cleared": True})

    def reset(self, request: Request) -> Response:
        self.state.reset()
        return json_response(self.state.counts())

    def replace_backup_configs(self, request: Request) -> Response:
        # Any JSON values are accepted, so tests can serve a malformed 'data'
        # list whose elements are not objects.
        records = json_body(request)
        if not isinstance(records, list):
            return control_error(400, "expected a JSON list of backup configs")
        self.state.replace_backup_configs(records)
        return json_response({"backup_configs": len(records)})

    def replace_backup_logs(self, request: Request) -> Response:
        records = record_list(request)
        if records is None:
            return control_error(400, "expected a JSON list of backup log objects")
        self.state.replace_backup_logs(records)
        return json_response({"backup_logs": len(records)})

    def generate_backup_configs(self, request: Request) -> Response:
        document = json_body(request)
        if not isinstance(document, dict):
            return control_error(400, 'expected a JSON object such as {"count": 100}')
        count = document.get("count")
        seed = document.get("seed", 0)
        if not isinstance(count, int) or not isinstance(seed, int):
            return control_error(400, "'count' and 'seed' must be integers")
        started = time.monotonic()
        try:
            records = generate_backup_configs(count, seed)
        except ValueError as error:
            return control_error(400, str(error))
        self.state.replace_backup_configs(records)
        elapsed = round(time.monotonic() - started, 3)
        return json_response({"backup_configs": count, "seconds": elapsed})

    def expire_sessions(self, request: Request) -> Response:
        return json_response({"expired": self.state.expire_sessions()})

    def failed_logins(self, request: Request) -> Response:
        return json_response(self.state.failed_login_counts())

    def pending_faults(self, request: Request) -> Response:
        return json_response(self.state.pending_faults())

    def add_faults(self, request: Request) -> Response:
        try:
            faults = parse_faults(json_body(request))
        except FaultError as error:
            return control_error(400, str(error))
        self.state.add_faults(faults)
        return json_response(
            {"queued": len(faults), "pending": self.state.pending_faults()}
        )

    def clear_faults(self, request: Request) -> Response:
        self.state.clear_faults()
        return json_response({"cleared": True})


def json_body(request: Request) -> Any | None:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return None


def record_list(request: Request) -> list[dict[str, Any]] | None:
    document = json_body(request)
    if not isinstance(document, list):
        return None
    if not all(isinstance(item, dict) for item in document):
        return None
    return document


def control_error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)
