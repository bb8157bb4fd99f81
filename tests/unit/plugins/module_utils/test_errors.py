# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforAPIError,
    DataforAuthenticationError,
    DataforConnectionError,
    DataforError,
    DataforHTTPError,
    DataforOptionsError,
    DataforPermissionError,
    DataforRedirectError,
    DataforResponseError,
    DataforTimeoutError,
    DataforTLSError,
    excerpt,
)

QUERY_URL = "https://bi.example.com:28080/datafor/plugin/datafor-backup/api/query"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, None),
        (b"", None),
        ("   \n\t ", None),
        (b'{"success": false}', '{"success": false}'),
        ("line one\n   line two\r\n\tline three", "line one line two line three"),
        (b"caf\xc3\xa9", "café"),
        (b"bad \xff byte", "bad \ufffd byte"),
        ("x" * 200, "x" * 200),
        ("x" * 201, "x" * 200 + "..."),
    ],
)
def test_excerpt_shortens_body(body, expected):
    assert excerpt(body) == expected


def test_excerpt_honours_limit():
    assert excerpt("abcdef", limit=3) == "abc..."


def test_message_with_request_and_server_fields():
    error = DataforAPIError(
        "the server reported a failure (success: false)",
        hint="Check the Datafor server log for the cause",
        method="POST",
        url=QUERY_URL,
        status=200,
        server_msg="backup plugin not licensed",
        server_code="500",
    )

    assert str(error) == (
        f"POST {QUERY_URL} failed: the server reported a failure (success: false). "
        "The server returned msg 'backup plugin not licensed', code '500'. "
        "Check the Datafor server log for the cause."
    )


def test_message_names_tries_after_retries():
    error = DataforHTTPError(
        "HTTP 503 Service Unavailable", method="POST", url=QUERY_URL, tries=4
    )

    assert str(error) == (
        f"POST {QUERY_URL} failed after 4 tries: HTTP 503 Service Unavailable."
    )


def test_message_omits_tries_for_single_try():
    error = DataforHTTPError(
        "HTTP 503 Service Unavailable", method="POST", url=QUERY_URL, tries=1
    )

    assert str(error) == f"POST {QUERY_URL} failed: HTTP 503 Service Unavailable."


def test_message_without_request():
    error = DataforOptionsError("No credentials were given", hint="Set a token")

    assert str(error) == "No credentials were given. Set a token."


def test_message_with_body_excerpt():
    error = DataforResponseError(
        "the JSON body is a list, not an object",
        method="POST",
        url=QUERY_URL,
        body_excerpt="[1, 2]",
    )

    assert str(error) == (
        f"POST {QUERY_URL} failed: the JSON body is a list, not an object. "
        "The response body begins: [1, 2]."
    )


def test_message_with_page_title():
    error = DataforResponseError(
        "the server returned HTTP 200 with an HTML page",
        method="POST",
        url=QUERY_URL,
        page_title="Datafor Login",
    )

    assert str(error) == (
        f"POST {QUERY_URL} failed: the server returned HTTP 200 with an HTML page. "
        "The response is an HTML page titled 'Datafor Login'."
    )


def test_details_lists_request_fields():
    error = DataforHTTPError(
        "HTTP 500 Internal Server Error",
        method="POST",
        url=QUERY_URL,
        status=500,
        server_msg="NullPointerException",
        server_code="500",
        body_excerpt="ignored in details",
        tries=2,
    )

    assert error.details() == {
        "kind": "http",
        "method": "POST",
        "url": QUERY_URL,
        "status": 500,
        "server_msg": "NullPointerException",
        "server_code": "500",
        "tries": 2,
    }


@pytest.mark.parametrize(
    ("error_class", "kind", "base"),
    [
        (DataforError, "error", Exception),
        (DataforOptionsError, "options", DataforError),
        (DataforConnectionError, "connection", DataforError),
        (DataforTimeoutError, "timeout", DataforConnectionError),
        (DataforTLSError, "tls", DataforConnectionError),
        (DataforHTTPError, "http", DataforError),
        (DataforAuthenticationError, "authentication", DataforHTTPError),
        (DataforRedirectError, "redirect", DataforHTTPError),
        (DataforResponseError, "response", DataforError),
        (DataforAPIError, "api", DataforError),
        (DataforPermissionError, "permission", DataforAPIError),
    ],
)
def test_error_class_kind_and_base(error_class, kind, base):
    error = error_class("cause")

    assert error.details()["kind"] == kind
    assert isinstance(error, base)
