# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Exception types of the datafor.platform collection.

Code in module_utils raises these and never calls ``fail_json``. A module turns
them into one failure message at its boundary: ``str(error)`` is that message
and ``error.details()`` the structured fields. No attribute ever contains a
password, token or cookie value, and URLs are stored without credentials or
query strings.
"""

from __future__ import annotations

from typing import Any

BODY_EXCERPT_CHARS = 200


def excerpt(body: bytes | str | None, limit: int = BODY_EXCERPT_CHARS) -> str | None:
    """Shorten a response body to one line of at most ``limit`` characters."""
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    text = " ".join(body.split())
    if len(text) > limit:
        text = text[:limit] + "..."
    return printable(text) or None


def printable(text: str) -> str:
    """Escape control characters, so that server text cannot fake output lines."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class DataforError(Exception):
    """Base of every error the collection raises; ``str()`` is the user message.

    ``cause`` states what went wrong and ``hint`` what to do next. The request
    fields are filled in when the error concerns an HTTP request; an HTML
    response is summarised by its ``page_title``, any other by ``body_excerpt``.
    """

    kind = "error"

    def __init__(
        self,
        cause: str,
        *,
        hint: str | None = None,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        server_msg: str | None = None,
        server_code: str | None = None,
        body_excerpt: str | None = None,
        page_title: str | None = None,
        tries: int | None = None,
    ) -> None:
        self.cause = cause
        self.hint = hint
        self.method = method
        self.url = url
        self.status = status
        self.server_msg = server_msg
        self.server_code = server_code
        self.body_excerpt = body_excerpt
        self.page_title = page_title
        self.tries = tries
        super().__init__(self.message())

    def message(self) -> str:
        """Compose the one-paragraph message: request, cause, server text, hint."""
        parts = []
        if self.method and self.url:
            request = f"{self.method} {self.url} failed"
            if self.tries and self.tries > 1:
                request += f" after {self.tries} tries"
            parts.append(request + ":")
        parts.append(_sentence(self.cause))
        server = []
        # Server text is already one printable line (see excerpt), so it is
        # quoted as it is; repr() would escape its backslashes a second time.
        if self.server_msg:
            server.append(f"msg '{printable(self.server_msg)}'")
        if self.server_code is not None:
            server.append(f"code '{printable(self.server_code)}'")
        if server:
            parts.append("The server returned " + ", ".join(server) + ".")
        if self.page_title:
            parts.append(f"The response is an HTML page titled '{self.page_title}'.")
        elif self.body_excerpt:
            parts.append(_sentence(f"The response body begins: {self.body_excerpt}"))
        if self.hint:
            parts.append(_sentence(self.hint))
        return " ".join(parts)

    def redact(self, secrets: list[str]) -> DataforError:
        """Mask secrets that a server echoed into the message, and return self.

        A server may repeat a cookie or header in its ``msg`` or error page.
        """
        self.cause = redact(self.cause, secrets) or ""
        self.hint = redact(self.hint, secrets)
        self.server_msg = redact(self.server_msg, secrets)
        self.server_code = redact(self.server_code, secrets)
        self.body_excerpt = redact(self.body_excerpt, secrets)
        self.page_title = redact(self.page_title, secrets)
        self.args = (self.message(),)
        return self

    def details(self) -> dict[str, Any]:
        """Return the structured fields that a module adds to its failure result."""
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "server_msg": self.server_msg,
            "server_code": self.server_code,
            "tries": self.tries,
        }


class DataforOptionsError(DataforError):
    """Invalid or contradictory module options, found before any request."""

    kind = "options"


class DataforConnectionError(DataforError):
    """No HTTP answer: refused connection, DNS failure, reset or proxy failure."""

    kind = "connection"


class DataforTimeoutError(DataforConnectionError):
    """The server accepted the connection but did not respond within the timeout."""

    kind = "timeout"


class DataforTLSError(DataforConnectionError):
    """The TLS handshake failed, usually on certificate verification."""

    kind = "tls"


class DataforHTTPError(DataforError):
    """The server responded with an HTTP status other than 2xx."""

    kind = "http"


class DataforAuthenticationError(DataforHTTPError):
    """HTTP 401: the credentials, token or session cookie were not accepted."""

    kind = "authentication"


class DataforRedirectError(DataforHTTPError):
    """The server responded with a redirect, which the collection never follows."""

    kind = "redirect"


class DataforResponseError(DataforError):
    """The body is not the JSON document the API documents."""

    kind = "response"


class DataforAPIError(DataforError):
    """The server returned ``success: false`` in the response envelope."""

    kind = "api"


class DataforPermissionError(DataforAPIError):
    """The server returned ``no permission``: the user is not an Administrator."""

    kind = "permission"


def _sentence(text: str) -> str:
    """End a clause with a full stop; the case of option names stays as written."""
    text = text.strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


def json_type_name(value: Any) -> str:
    """Name the JSON type of a decoded value: null, boolean, number, string, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def redact(text: str | None, secrets: list[str]) -> str | None:
    """Replace every secret value in ``text`` with ``********``."""
    if text is None:
        return None
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "********")
    return text
