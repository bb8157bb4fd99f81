"""Helpers shared by the end-to-end tests: credentials, playbook results, login.

Fixtures live in conftest.py, and this module contains what test files import.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from emulator_process import RunningEmulator  # noqa: E402

ADMIN = {"username": "backup-auditor", "password": "auditor-secret-1"}
ADMIN_TOKEN = "eyJhbGciOiJIUzI1NiJ9.demo.token"
VIEWER = {"username": "viewer", "password": "viewer-secret-1"}
QUERY_PATH = "/datafor/plugin/datafor-backup/api/query"
LOGIN_PATH = "/plugin/datafor/api/extension/auth/login"


@dataclass
class PlaybookRun:
    """The exit code and the combined stdout and stderr of one playbook run."""

    returncode: int
    output: str

    def explain(self) -> str:
        return f"ansible-playbook exited with {self.returncode}:\n{self.output}"


PlaybookRunner = Callable[..., PlaybookRun]


def connection_vars(emulator: RunningEmulator, **more: Any) -> dict[str, Any]:
    """Extra vars every playbook gets: where the emulator and its controls are."""
    values = {
        "datafor_url": emulator.url,
        "control_url": emulator.control_url,
        "admin_username": ADMIN["username"],
        "admin_password": ADMIN["password"],
    }
    values.update(more)
    return values


def log_in(emulator: RunningEmulator, user: dict[str, str]) -> str:
    """Log in through the API's login endpoint and return the JSESSIONID value."""
    body = urllib.parse.urlencode(user).encode("ascii")
    request = urllib.request.Request(emulator.url + LOGIN_PATH, data=body)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
        cookie = response.headers["Set-Cookie"]
    assert answer["success"] is True
    return str(cookie.split(";", 1)[0].split("=", 1)[1])


def api_requests(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """Return the logged requests to the backup config query endpoint."""
    return [entry for entry in emulator.request_log() if entry["path"] == QUERY_PATH]


def run_cases(
    run_playbook: PlaybookRunner,
    emulator: RunningEmulator,
    cases: list[dict[str, Any]],
    **more: Any,
) -> None:
    """Run cases.yml with these cases and fail on the first case that fails."""
    result = run_playbook("cases.yml", connection_vars(emulator, cases=cases, **more))
    assert result.returncode == 0, result.explain()
