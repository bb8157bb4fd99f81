"""Request and response values and the HTML pages of the Datafor emulator."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
HTML_CONTENT_TYPE = "text/html;charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain;charset=UTF-8"

# Tomcat up to 8.0 sent this Server header by default. Tomcat 8.5 and newer
# send none unless the connector configures one.
SERVER_HEADER = "Apache-Coyote/1.1"

# Query parameters whose values are secrets: kept out of logs and the request log.
SECRET_QUERY_NAMES = frozenset({"token", "password", "jsessionid", "access_token"})
REDACTED = "***"

REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


@dataclass
class Request:
    """One parsed HTTP request, body included."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Message
    body: bytes
    secure: bool

    def query_value(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def cookie(self, name: str) -> str | None:
        for cookie_name, value in parse_cookie_header(self.headers.get("Cookie", "")):
            if cookie_name == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


@dataclass
class Response:
    """An HTTP response to send, plus the authenticated user name for the logs."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    user: str | None = None


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """Split a Cookie header into (name, value) pairs, keeping their order."""
    pairs = []
    for part in header.split(";"):
        name, separator, value = part.strip().partition("=")
        if separator and name:
            pairs.append((name.strip(), value.strip().strip('"')))
    return pairs


def parse_query(query: str) -> list[tuple[str, str]]:
    """Decode a query string or form body the way Tomcat does: '+' becomes a space."""
    return parse_qsl(query, keep_blank_values=True)


def redact_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (name, REDACTED if name.lower() in SECRET_QUERY_NAMES else value)
        for name, value in pairs
    ]


def strip_path_parameters(path: str) -> str:
    """Remove ';jsessionid=...' style path parameters, which carry session ids."""
    segments = [segment.split(";", 1)[0] for segment in path.split("/")]
    return "/".join(segments)


def json_response(document: Any, status: int = 200) -> Response:
    return Response(status, encode_json(document), JSON_CONTENT_TYPE)


def encode_json(document: Any) -> bytes:
    """Encode JSON compactly in UTF-8, as the server's Java JSON writer does."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def error_page(status: int, message: str) -> bytes:
    """Build a Tomcat-style HTML error report page."""
    reason = REASONS.get(status, "Error")
    title = f"HTTP Status {status} \u2013 {reason}"
    page = (
        '<!doctype html><html lang="en"><head>'
        f"<title>{title}</title>"
        '<style type="text/css">body {font-family:Tahoma,Arial,sans-serif;} '
        "h1 {color:white;background-color:#525D76;}</style>"
        "</head><body>"
        f'<h1>{title}</h1><hr class="line" />'
        "<p><b>Type</b> Status Report</p>"
        f"<p><b>Message</b> {html.escape(message)}</p>"
        f"<p><b>Description</b> {html.escape(describe_status(status))}</p>"
        '<hr class="line" /><h3>Apache Tomcat/9.0.98</h3>'
        "</body></html>"
    )
    return page.encode("utf-8")


def describe_status(status: int) -> str:
    descriptions = {
        400: "The request could not be processed because it is malformed.",
        401: "The request requires valid user credentials.",
        404: "Nothing is published at this path.",
        405: "This resource does not accept the request method.",
    }
    return descriptions.get(status, "The server could not complete the request.")


def html_error(
    status: int, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    return Response(
        status, error_page(status, message), HTML_CONTENT_TYPE, headers or []
    )


def login_page(context_path: str) -> Response:
    """Build the HTML login page that the server shows to browsers."""
    action = html.escape(f"{context_path}/j_spring_security_check")
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>Datafor - Login</title></head><body>"
        f'<form method="post" action="{action}">'
        '<input type="text" name="j_username" placeholder="User Name">'
        '<input type="password" name="j_password" placeholder="Password">'
        '<button type="submit">Login</button>'
        "</form></body></html>"
    )
    return Response(200, page.encode("utf-8"), HTML_CONTENT_TYPE)


def redirect(location: str, status: int = 302) -> Response:
    link = html.escape(location)
    page = f'<html><body>Moved to <a href="{link}">here</a>.</body></html>'
    return Response(
        status, page.encode("utf-8"), HTML_CONTENT_TYPE, [("Location", location)]
    )
