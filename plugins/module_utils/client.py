# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one way the collection talks HTTP to a Datafor server.

``DataforClient.request()`` applies the TLS, timeout, proxy, retry and
authentication settings, sends the request with ``ansible.module_utils.urls``
and passes every response through one gate that checks the HTTP status, the
content type, the JSON body and the ``success`` envelope. It raises the
collection's own exceptions and never calls ``fail_json``.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import socket
import ssl
import time
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.datafor.platform.plugins.module_utils.connection import (
    ConnectionSettings,
)
from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforAPIError,
    DataforAuthenticationError,
    DataforConnectionError,
    DataforError,
    DataforHTTPError,
    DataforPermissionError,
    DataforRedirectError,
    DataforResponseError,
    DataforTimeoutError,
    DataforTLSError,
    excerpt,
    json_type_name,
    printable,
    redact,
)

USER_AGENT = "datafor.platform-ansible-collection"
# A server's msg can be of any length; messages quote at most this much.
SERVER_TEXT_CHARS = 300
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Backoff before retry n (1-based) is BACKOFF_BASE * 2 ** (n - 1), capped.
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
# A server may ask for any Retry-After; waiting longer than this in an
# unattended run is worse than failing with a clear message.
RETRY_AFTER_MAX = 60.0

HINT_AUTH = (
    "Authentication failed: check username and password, or the token. A "
    "session cookie expires after 120 idle minutes, so log in again for a new "
    "one. The request was not retried, because 10 failed logins lock a Datafor "
    "account for 24 hours"
)
HINT_STALE_COOKIE = (
    "The session cookie was not accepted: it has expired (sessions end after "
    "120 idle minutes) or belongs to another server. Log in again for a new "
    "JSESSIONID, or use username and password instead"
)
HINT_PERMISSION = (
    "The user is not an Administrator: the backup plugin answers only to "
    "members of the Administrator role. Use an administrator account"
)
HINT_CONTEXT_PATH = (
    "JSON was expected. The url may lack the context path, such as /datafor in "
    "https://bi.example.com:28080/datafor, or a proxy answered instead of Datafor"
)
HINT_TLS = (
    "The server certificate could not be verified. Point ca_path at a PEM file "
    "of the CA that signed it or, knowing the risk, set validate_certs to false"
)
HINT_NETWORK = (
    "Check that the host name and port in url are right, that the server is "
    "running and reachable from the Ansible controller or managed node that "
    "runs the module, and the use_proxy setting"
)
HINT_TIMEOUT = (
    "The server accepted the connection but did not respond in time. Check the "
    "server's health, or raise timeout (seconds per request)"
)
HINT_RETRY = (
    "The server reported a temporary failure. Try again later, or raise retries "
    "so that the module waits and tries again"
)
HINT_BROKEN_JSON = (
    "The body was cut off or damaged, usually because the connection broke or a "
    "proxy changed it. Try again, and check the Datafor server log"
)
HINT_REDIRECT = (
    "Redirects are never followed, so credentials cannot leak to another host. "
    "A redirect to a login page usually means the url lacks the context path, "
    "such as /datafor, or the credentials were not accepted. Use the final URL"
)


@dataclass(frozen=True)
class Response:
    """A checked API response: the status and the decoded JSON object."""

    status: int
    data: dict[str, Any]


class _Retryable(Exception):
    """Internal: one try failed in a way that another try may fix."""

    def __init__(self, error: DataforError, retry_after: float | None = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


Opener = Callable[..., Any]


class DataforClient:
    """HTTP client for the Datafor API, one instance per module run.

    ``opener`` and ``sleep`` exist so that unit tests can replace the
    transport and the clock; modules use the defaults.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        opener: Opener = open_url,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._opener = opener
        self._sleep = sleep
        self.retry_notes: list[str] = []

    def url_for(self, path: str) -> str:
        """Join the base URL, which keeps the context path, and an API path."""
        return self.settings.base_url + "/" + path.lstrip("/")

    def post_json(self, path: str, payload: Mapping[str, Any]) -> Response:
        """POST a JSON body and return the checked envelope."""
        body = json.dumps(payload).encode("utf-8")
        return self.request("POST", path, body, "application/json")

    def post_form(self, path: str, fields: Mapping[str, str]) -> Response:
        """POST a form body and return the checked envelope."""
        body = urlencode(fields).encode("utf-8")
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Response:
        """Send one API request, retrying temporary failures, and check the response.

        Raises a DataforError subclass on any failure. Authentication failures
        are never retried.
        """
        url = self.url_for(path)
        max_tries = self.settings.retries + 1

        for attempt in range(1, max_tries + 1):
            try:
                status, headers, raw = self._send_once(method, url, body, content_type)
                secrets = self.settings.secrets()
                return check_response(method, url, status, headers, raw, secrets)
            except DataforError as final_error:
                raise final_error.redact(self.settings.secrets()) from None
            except _Retryable as retryable:
                failure = retryable.error.redact(self.settings.secrets())
                if attempt == max_tries:
                    raise _with_tries(failure, attempt) from None
                delay = backoff_delay(attempt, retryable.retry_after)
                self.retry_notes.append(
                    f"try {attempt} of {max_tries} failed ({failure.cause}); "
                    f"retrying in {delay:g} s"
                )
                self._sleep(delay)

        raise AssertionError("unreachable: the loop returns or raises")

    def _send_once(
        self, method: str, url: str, body: bytes | None, content_type: str | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"Accept": "application/json"}
        headers.update(self.settings.auth_headers())
        if content_type:
            headers["Content-Type"] = content_type

        settings = self.settings
        try:
            response = self._opener(
                url,
                data=body,
                headers=headers,
                method=method,
                use_proxy=settings.use_proxy,
                timeout=settings.timeout,
                validate_certs=settings.validate_certs,
                ca_path=settings.ca_path,
                http_agent=USER_AGENT,
                # Never follow: a redirect must not carry credentials elsewhere.
                follow_redirects="none",
                # The credentials are set in the headers above. Without these,
                # urllib would respond to a 401 challenge with a second try, and a
                # second wrong password counts toward the login lockout.
                force_basic_auth=False,
                use_netrc=False,
                use_gssapi=False,
            )
            raw = response.read()
            return _status_of(response), response.headers, raw
        except urllib.error.HTTPError as http_error:
            raise _http_error(
                method, url, http_error, settings.auth_method, settings.secrets()
            ) from None
        except (
            urllib.error.URLError,
            OSError,
            http.client.HTTPException,
            UrlsConnectionError,
        ) as error:
            raise _network_error(method, url, error, settings) from None


def check_response(
    method: str,
    url: str,
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    secrets: Sequence[str] = (),
) -> Response:
    """Check a 2xx response: content type, JSON object and ``success`` envelope.

    Datafor reports most errors as HTTP 200 with ``success: false``, so the
    envelope, not the status, is the truth. ``secrets`` are masked in the body
    before any of it is quoted in an error.
    """
    context: dict[str, Any] = {"method": method, "url": url, "status": status}
    content_type = (headers.get("Content-Type") or "").lower()
    # utf-8-sig also drops a byte order mark, which some proxies prepend.
    text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()

    if "html" in content_type or stripped[:1] == "<":
        raise DataforResponseError(
            f"the server returned HTTP {status} with an HTML page",
            hint=HINT_CONTEXT_PATH,
            **_body_summary(_masked(text, secrets), headers),
            **context,
        )
    if not stripped:
        raise DataforResponseError(
            f"the server returned HTTP {status} with an empty body",
            hint=HINT_CONTEXT_PATH,
            **context,
        )
    try:
        data = json.loads(text)
    except RecursionError:
        raise DataforResponseError(
            "the JSON body is nested too deeply to decode",
            hint="Check the Datafor server log, or a proxy in front of Datafor",
            body_excerpt=excerpt(_masked(text, secrets)),
            **context,
        ) from None
    except ValueError as error:
        raise DataforResponseError(
            f"the body is not valid JSON ({error.__class__.__name__}: {error}); "
            f"content type {content_type or 'not given'!r}",
            hint=HINT_BROKEN_JSON if "json" in content_type else HINT_CONTEXT_PATH,
            body_excerpt=excerpt(_masked(text, secrets)),
            **context,
        ) from None
    if not isinstance(data, dict):
        raise DataforResponseError(
            f"the JSON body is a {json_type_name(data)}, not an object",
            hint=HINT_CONTEXT_PATH,
            body_excerpt=excerpt(_masked(text, secrets)),
            **context,
        )

    _check_envelope(data, context, text, secrets)
    return Response(status=status, data=data)


def _check_envelope(
    data: dict[str, Any], context: dict[str, Any], text: str, secrets: Sequence[str]
) -> None:
    success = data.get("success")
    if _is_json_flag(success, True):
        return

    server_msg = _server_text(data.get("msg"), secrets)
    server_code = _server_text(data.get("code"), secrets)
    if "success" not in data:
        raise DataforResponseError(
            "the JSON body has no 'success' field, so it is not a Datafor API response",
            hint=HINT_CONTEXT_PATH,
            body_excerpt=excerpt(_masked(text, secrets)),
            **context,
        )
    if not _is_json_flag(success, False):
        raise DataforResponseError(
            f"the 'success' field is {excerpt(json.dumps(success), 40)}, neither "
            "true nor false",
            body_excerpt=excerpt(_masked(text, secrets)),
            **context,
        )
    if server_code == "403" or "no permission" in (server_msg or "").lower():
        raise DataforPermissionError(
            "the server rejected the request (success: false)",
            hint=HINT_PERMISSION,
            server_msg=server_msg,
            server_code=server_code,
            **context,
        )
    if server_code == "401":
        raise DataforAPIError(
            "the server did not accept the credentials (success: false)",
            hint=HINT_AUTH,
            server_msg=server_msg,
            server_code=server_code,
            **context,
        )
    raise DataforAPIError(
        "the server reported a failure (success: false)"
        + ("" if server_msg else " without a message"),
        hint="Check the Datafor server log for the cause",
        server_msg=server_msg,
        server_code=server_code,
        **context,
    )


def _http_error(
    method: str,
    url: str,
    error: urllib.error.HTTPError,
    auth_method: str,
    secrets: Sequence[str] = (),
) -> Exception:
    status = error.code
    # HTTPError.headers is an email.message.Message, which reads like a Mapping.
    headers: Any = error.headers or {}
    try:
        raw = error.read() or b""
    except (OSError, http.client.HTTPException):
        raw = b""
    text = _masked(raw.decode("utf-8-sig", errors="replace"), secrets)
    server_msg, server_code = _server_fields(text, secrets)
    context: dict[str, Any] = {
        "method": method,
        "url": url,
        "status": status,
        "server_msg": server_msg,
        "server_code": server_code,
    }

    if status == 401:
        hint = HINT_STALE_COOKIE if auth_method == "session_cookie" else HINT_AUTH
        return DataforAuthenticationError("HTTP 401 Unauthorized", hint=hint, **context)
    if 300 <= status < 400:
        location = _safe_location(headers.get("Location"))
        return DataforRedirectError(
            f"HTTP {status} redirect to {location}",
            hint=HINT_REDIRECT,
            **context,
        )

    reason = http.client.responses.get(status, "")
    cause = f"HTTP {status} {reason}".strip()
    summary: dict[str, Any] = {} if server_msg else _body_summary(text, headers)
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return _Retryable(
            DataforHTTPError(cause, hint=HINT_RETRY, **summary, **context),
            retry_after=retry_after,
        )
    hint = "Check the Datafor server log for the cause"
    if status == 404:
        hint = HINT_CONTEXT_PATH.replace("JSON was expected. ", "")
    if status == 403:
        hint = HINT_PERMISSION + ", and check any proxy in front of Datafor"
    return DataforHTTPError(cause, hint=hint, **summary, **context)


def _network_error(
    method: str, url: str, error: BaseException, settings: ConnectionSettings
) -> Exception:
    reason: Any = error.reason if isinstance(error, urllib.error.URLError) else error
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    context: dict[str, Any] = {"method": method, "url": url}

    if isinstance(reason, ssl.SSLCertVerificationError) or (
        isinstance(reason, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(reason)
    ):
        detail = getattr(reason, "verify_message", None) or str(reason)
        return DataforTLSError(
            f"TLS certificate verification for {where} failed: {detail}",
            hint=HINT_TLS,
            **context,
        )
    if isinstance(reason, ssl.SSLError):
        return DataforTLSError(
            f"the TLS handshake with {where} failed: {reason}",
            hint="Check that the url scheme matches the server (http or https)",
            **context,
        )
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return _Retryable(
            DataforTimeoutError(
                f"the request to {where} timed out after {settings.timeout} s",
                hint=HINT_TIMEOUT,
                **context,
            )
        )
    if isinstance(reason, socket.gaierror):
        return _Retryable(
            DataforConnectionError(
                f"the host name {parts.hostname!r} could not be resolved ({reason})",
                hint=HINT_NETWORK,
                **context,
            )
        )
    if isinstance(reason, ConnectionRefusedError):
        cause = f"the connection to {where} was refused"
    elif isinstance(reason, (ConnectionResetError, http.client.HTTPException)):
        cause = f"the connection to {where} broke before the answer was complete"
    else:
        cause = f"the connection to {where} failed ({reason})"
    return _Retryable(DataforConnectionError(cause, hint=HINT_NETWORK, **context))


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Return the seconds to wait before the next try.

    ``Retry-After`` wins when the server sends it, capped at RETRY_AFTER_MAX;
    otherwise the delay doubles with each try up to BACKOFF_MAX.
    """
    if retry_after is not None:
        return max(0.0, min(retry_after, RETRY_AFTER_MAX))
    return float(min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP-date; None when unusable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def _with_tries(error: DataforError, tries: int) -> DataforError:
    """Rebuild the error's message so that it states how many tries were made."""
    error.tries = tries
    error.args = (error.message(),)
    return error


def _status_of(response: Any) -> int:
    status = getattr(response, "status", None)
    if status is None:
        status = response.getcode()
    return int(status)


def _server_fields(text: str, secrets: Sequence[str]) -> tuple[str | None, str | None]:
    """Read ``msg`` and ``code`` from a JSON error body, if it is one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    return _server_text(data.get("msg"), secrets), _server_text(
        data.get("code"), secrets
    )


def _masked(text: str, secrets: Sequence[str]) -> str:
    return redact(text, list(secrets)) or ""


def _server_text(value: Any, secrets: Sequence[str]) -> str | None:
    """Quote a server's ``msg`` or ``code``: masked, one line, of bounded length."""
    text = _text_or_none(value)
    if text is None:
        return None
    return excerpt(_masked(text, secrets), SERVER_TEXT_CHARS)


def _body_summary(text: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """Summarise a body for a message: an HTML page by its title, text by excerpt."""
    content_type = (headers.get("Content-Type") or "").lower()
    if "html" in content_type or text.lstrip()[:1] == "<":
        title = _html_title(text)
        if title:
            return {"page_title": title}
    return {"body_excerpt": excerpt(text)}


def _html_title(text: str) -> str | None:
    """Return the page's title or first heading, which is clearer than its markup."""
    lowered = text.lower()
    for tag in ("title", "h1"):
        start = lowered.find(f"<{tag}")
        if start == -1:
            continue
        start = lowered.find(">", start) + 1
        end = lowered.find(f"</{tag}>", start)
        if start > 0 and end > start:
            title = excerpt(text[start:end])
            if title:
                return title
    return None


def _safe_location(location: str | None) -> str:
    """Show a redirect target without userinfo, path parameters or query."""
    if not location:
        return "an unnamed location"
    try:
        parts = urlsplit(location)
    except ValueError:
        return "an unparsable location"
    netloc = parts.netloc.rpartition("@")[2]
    # Path parameters such as Tomcat's ;jsessionid=... may carry a session.
    path = parts.path.split(";", 1)[0]
    shown = f"{parts.scheme}://{netloc}{path}" if netloc else path
    return printable(shown) or "an unnamed location"


def _is_json_flag(value: Any, flag: bool) -> bool:
    """Match a JSON boolean, also sent as "true"/"false" or 1/0 by some pages."""
    if isinstance(value, bool):
        return value is flag
    if isinstance(value, int):
        return value == int(flag)
    return isinstance(value, str) and value == ("true" if flag else "false")


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
