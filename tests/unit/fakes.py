# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test doubles for the HTTP transport, and the values the unit tests share.

``FakeOpener`` replaces ``ansible.module_utils.urls.open_url``. It records
every call and returns or raises the outcomes queued for it, in order.
``FakeSleep`` records the backoff delays instead of waiting.
"""

from __future__ import annotations

import io
import json
import urllib.error
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import Any

import trustme

from ansible_collections.datafor.platform.plugins.module_utils.connection import (
    ConnectionSettings,
)

FIXTURES_DIR = Path(__file__).parent / "fixtures"

BASE_URL = "https://bi.example.com:28080/datafor"
QUERY_PATH = "plugin/datafor-backup/api/query"
QUERY_URL = BASE_URL + "/" + QUERY_PATH
USER_AGENT = "datafor.platform-ansible-collection"

USERNAME = "backup-auditor"
PASSWORD = "s3cret-Passw0rd"
# base64 of "backup-auditor:s3cret-Passw0rd", the HTTP Basic credentials.
BASIC_VALUE = "YmFja3VwLWF1ZGl0b3I6czNjcmV0LVBhc3N3MHJk"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNlY3JldA"
SESSION_COOKIE = "5E3A7C0FDEADBEEF5E3A7C0FDEADBEEF"

# The ways to authenticate, as module parameters, keyed by auth_method.
AUTH_PARAMS: dict[str, dict[str, str]] = {
    "basic": {"username": USERNAME, "password": PASSWORD},
    "token": {"token": TOKEN},
    "session_cookie": {"session_cookie": SESSION_COOKIE},
}
SECRETS = (PASSWORD, BASIC_VALUE, TOKEN, SESSION_COOKIE)

# The documented normalised element of the example record, without "raw".
DOCUMENTED_ELEMENT_FIELDS = {
    "id": "51b51905fc0b482f995f0f32b48105ba",
    "name": "ll",
    "enabled": True,
    "state": "NORMAL",
    "folder": "backup/",
    "contents": ["upload"],
    "trigger": "0 12 11 */3 * ? *",
    "schedule": {
        "type": "DAILY",
        "start_time": "2024-11-15T11:12:00.000+08:00",
        "end_time": None,
        "repeat_interval": 259200,
        "repeat_count": -1,
        "cron_string": "TO_BE_GENERATED",
    },
    "next_run": "2025-02-28T03:12:00Z",
    "next_run_epoch": 1740712320,
    "last_run": None,
    "last_run_epoch": None,
    "job_id": "admin\tBackupTaskAction\td90a02fa-f4b3-11ef-833b-14755bc39e02",
    "created_by": "admin",
    "created_at": "2024-11-15T11:02:41.876",
    "updated_by": "admin",
    "updated_at": "2025-02-27T10:37:54.827",
}

# The values AnsibleModule gives the connection options that were not set.
CONNECTION_DEFAULTS: dict[str, Any] = {
    "url": BASE_URL,
    "username": None,
    "password": None,
    "token": None,
    "session_cookie": None,
    "validate_certs": True,
    "ca_path": None,
    "timeout": 30,
    "use_proxy": True,
    "retries": 3,
}


def load_fixture(name: str) -> Any:
    """Read a JSON document from tests/unit/fixtures."""
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


def connection_params(auth: str = "basic", **overrides: Any) -> dict[str, Any]:
    """Build the connection parameters AnsibleModule would pass to from_params."""
    params = dict(CONNECTION_DEFAULTS)
    params.update(AUTH_PARAMS[auth])
    params.update(overrides)
    return params


def make_settings(auth: str = "basic", **overrides: Any) -> ConnectionSettings:
    """Build validated settings for one way to authenticate."""
    return ConnectionSettings.from_params(connection_params(auth, **overrides))


def make_headers(headers: dict[str, str] | None = None) -> HTTPMessage:
    """Build the case-insensitive header object that urllib responses carry."""
    message = HTTPMessage()
    for name, value in (headers or {}).items():
        message[name] = value
    return message


class FakeResponse:
    """A 2xx response as open_url returns it: status, headers and a body.

    ``body`` may be an exception, which ``read()`` then raises, as a connection
    that breaks in the middle of the body does.
    """

    def __init__(
        self,
        status: int,
        body: bytes | BaseException,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.headers = make_headers(headers)
        self._body = body

    def read(self) -> bytes:
        if isinstance(self._body, BaseException):
            raise self._body
        return self._body


def json_response(payload: Any, status: int = 200) -> FakeResponse:
    """Build a JSON response with the content type Datafor sends."""
    body = json.dumps(payload).encode("utf-8")
    return FakeResponse(
        status, body, {"Content-Type": "application/json;charset=UTF-8"}
    )


def raw_response(
    body: bytes | str, content_type: str | None, status: int = 200
) -> FakeResponse:
    """Build a response with any body and content type, or with none."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {"Content-Type": content_type} if content_type else {}
    return FakeResponse(status, body, headers)


def http_error(
    status: int,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    reason: str = "",
) -> urllib.error.HTTPError:
    """Build the HTTPError that open_url raises for a non-2xx response."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return urllib.error.HTTPError(
        QUERY_URL, status, reason, make_headers(headers), io.BytesIO(body)
    )


def success_envelope(data: Any) -> dict[str, Any]:
    """Wrap ``data`` in the envelope of a successful Datafor response."""
    return {"success": True, "msg": "", "data": data}


@dataclass
class Call:
    """One call to the opener: the URL and the keyword arguments."""

    url: str
    kwargs: dict[str, Any]


class FakeOpener:
    """Replacement for open_url that returns or raises queued outcomes in order."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[Call] = []

    def __call__(self, url: str, **kwargs: Any) -> Any:
        self.calls.append(Call(url, kwargs))
        if not self.outcomes:
            raise AssertionError(f"unexpected request number {len(self.calls)}")
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class FakeSleep:
    """Replacement for time.sleep that records the delays in seconds."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


# Every keyword argument the client passes to open_url for a default request.
DEFAULT_OPEN_URL_KWARGS = {
    "data": b"{}",
    "headers": {
        "Accept": "application/json",
        "Authorization": "Basic " + BASIC_VALUE,
        "Content-Type": "application/json",
    },
    "method": "POST",
    "use_proxy": True,
    "timeout": 30,
    "validate_certs": True,
    "ca_path": None,
    "http_agent": USER_AGENT,
    "follow_redirects": "none",
    "force_basic_auth": False,
    "use_netrc": False,
    "use_gssapi": False,
}


def write_ca_file(directory: Path) -> Path:
    """Write the PEM certificate of a new private CA and return its path."""
    ca_file = directory / "company-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    return ca_file
