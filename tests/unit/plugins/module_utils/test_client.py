# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError

from ansible_collections.datafor.platform.plugins.module_utils.client import (
    DataforClient,
    Response,
    backoff_delay,
    check_response,
    parse_retry_after,
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
)
from ansible_collections.datafor.platform.tests.unit.fakes import (
    BASIC_VALUE,
    DEFAULT_OPEN_URL_KWARGS,
    PASSWORD,
    QUERY_PATH,
    QUERY_URL,
    SECRETS,
    SESSION_COOKIE,
    TOKEN,
    FakeOpener,
    FakeResponse,
    FakeSleep,
    http_error,
    json_response,
    make_headers,
    make_settings,
    raw_response,
    success_envelope,
    write_ca_file,
)

OK_ENVELOPE = success_envelope([])
TOMCAT_404_PAGE = (
    "<!doctype html><html lang='en'><head><title>HTTP Status 404 \N{EN DASH} Not Found"
    "</title></head><body><h1>HTTP Status 404 \N{EN DASH} Not Found</h1></body></html>"
)
TOMCAT_500_PAGE = (
    "<html><head><title>Apache Tomcat/9.0.83 - Error report</title></head>"
    "<body><h1>HTTP Status 500 \N{EN DASH} Internal Server Error</h1>"
    "<p>java.lang.NullPointerException</p></body></html>"
)
LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head>\n  <TITLE>\n  Datafor  Login\n  </TITLE>"
    "</head><body><form action='j_spring_security_check'></form></body></html>"
)
PERMISSION_MESSAGE = (
    f"POST {QUERY_URL} failed: the server rejected the request (success: false). "
    "The server returned msg 'no permission', code '403'. The user is not an "
    "Administrator: the backup plugin answers only to members of the "
    "Administrator role. Use an administrator account."
)


def make_client(*outcomes, auth="basic", **overrides):
    opener = FakeOpener(*outcomes)
    sleep = FakeSleep()
    client = DataforClient(make_settings(auth, **overrides), opener=opener, sleep=sleep)
    return client, opener, sleep


def query_error(*outcomes, auth="basic", **overrides):
    """Send the backup config query and return the error, opener and sleep."""
    client, opener, sleep = make_client(*outcomes, auth=auth, **overrides)
    with pytest.raises(DataforError) as caught:
        client.post_json(QUERY_PATH, {})
    return caught.value, opener, sleep


def gate_error(body, content_type="application/json", status=200):
    """Pass one response through check_response and return the error it raises."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = make_headers({"Content-Type": content_type} if content_type else {})
    with pytest.raises(DataforError) as caught:
        check_response("POST", QUERY_URL, status, headers, body)
    return caught.value


def envelope_error(envelope):
    return gate_error(json_response(envelope).read())


# The request


def test_post_json_basic_request():
    client, opener, _unused = make_client(json_response(OK_ENVELOPE))

    client.post_json(QUERY_PATH, {})
    call = opener.calls[0]

    assert len(opener.calls) == 1
    assert call.url == QUERY_URL
    assert call.kwargs["method"] == "POST"
    assert call.kwargs["headers"] == {
        "Accept": "application/json",
        "Authorization": "Basic " + BASIC_VALUE,
        "Content-Type": "application/json",
    }
    assert call.kwargs["data"] == b"{}"
    assert call.kwargs == DEFAULT_OPEN_URL_KWARGS


def test_post_json_token_headers():
    client, opener, _unused = make_client(json_response(OK_ENVELOPE), auth="token")

    client.post_json(QUERY_PATH, {})

    assert opener.calls[0].kwargs["headers"] == {
        "Accept": "application/json",
        "Authorization": "Bearer " + TOKEN,
        "Content-Type": "application/json",
    }


def test_post_json_cookie_headers():
    client, opener, _unused = make_client(
        json_response(OK_ENVELOPE), auth="session_cookie"
    )

    client.post_json(QUERY_PATH, {})

    assert opener.calls[0].kwargs["headers"] == {
        "Accept": "application/json",
        "Cookie": "JSESSIONID=" + SESSION_COOKIE,
        "Content-Type": "application/json",
    }


def test_post_json_encodes_payload():
    client, opener, _unused = make_client(json_response(OK_ENVELOPE))

    client.post_json(QUERY_PATH, {"id": "51b51905fc0b482f995f0f32b48105ba"})

    assert opener.calls[0].kwargs["data"] == (
        b'{"id": "51b51905fc0b482f995f0f32b48105ba"}'
    )


def test_post_json_passes_settings(tmp_path):
    ca_file = write_ca_file(tmp_path)
    client, opener, _unused = make_client(
        json_response(OK_ENVELOPE),
        validate_certs=False,
        ca_path=str(ca_file),
        timeout=5,
        use_proxy=False,
    )

    client.post_json(QUERY_PATH, {})
    kwargs = opener.calls[0].kwargs

    assert kwargs["validate_certs"] is False
    assert kwargs["ca_path"] == str(ca_file)
    assert kwargs["timeout"] == 5
    assert kwargs["use_proxy"] is False


def test_post_json_keeps_context_path():
    client, opener, _unused = make_client(
        json_response(OK_ENVELOPE), url="http://localhost:8080/pentaho/"
    )

    client.post_json("/" + QUERY_PATH, {})

    assert opener.calls[0].url == (
        "http://localhost:8080/pentaho/plugin/datafor-backup/api/query"
    )


def test_post_json_returns_response():
    client, _opener, _unused = make_client(json_response(OK_ENVELOPE))

    response = client.post_json(QUERY_PATH, {})

    assert response == Response(status=200, data=OK_ENVELOPE)


def test_post_form_request():
    client, opener, _unused = make_client(json_response(OK_ENVELOPE))

    client.post_form(QUERY_PATH, {"id": "51b51905fc0b482f995f0f32b48105ba"})
    call = opener.calls[0]

    assert call.url == QUERY_URL
    assert call.kwargs["method"] == "POST"
    assert call.kwargs["headers"] == {
        "Accept": "application/json",
        "Authorization": "Basic " + BASIC_VALUE,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert call.kwargs["data"] == b"id=51b51905fc0b482f995f0f32b48105ba"


def test_request_without_body():
    client, opener, _unused = make_client(json_response(OK_ENVELOPE))

    client.request("GET", "plugin/datafor/api/extension/auth/logout")
    call = opener.calls[0]

    assert call.kwargs["data"] is None
    assert "Content-Type" not in call.kwargs["headers"]


# The gate: check_response


def test_check_response_accepts_envelope():
    envelope = success_envelope([{"id": "a"}])
    headers = make_headers({"Content-Type": "application/json;charset=UTF-8"})
    body = json_response(envelope).read()

    response = check_response("POST", QUERY_URL, 200, headers, body)

    assert response == Response(status=200, data=envelope)


@pytest.mark.parametrize("success", ["true", 1])
def test_check_response_accepts_success_forms(success):
    body = json.dumps({"success": success, "data": []}).encode()

    response = check_response("POST", QUERY_URL, 200, make_headers({}), body)

    assert response.data["data"] == []


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_check_response_accepts_json_any_type(content_type):
    headers = make_headers({"Content-Type": content_type} if content_type else {})

    response = check_response("POST", QUERY_URL, 200, headers, b'{"success": true}')

    assert response.data == {"success": True}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html;charset=UTF-8", LOGIN_PAGE),
        ("TEXT/HTML", LOGIN_PAGE),
        ("application/xhtml+xml", LOGIN_PAGE),
        ("application/json", LOGIN_PAGE),
        ("application/json", "\n\n   " + LOGIN_PAGE),
        (None, LOGIN_PAGE),
    ],
)
def test_check_response_rejects_html(content_type, body):
    error = gate_error(body, content_type)

    assert error.kind == DataforResponseError.kind
    assert error.cause == "the server returned HTTP 200 with an HTML page"
    assert error.page_title == "Datafor Login"
    assert error.status == 200
    assert "The url may lack the context path, such as /datafor" in str(error)


def test_check_response_html_heading():
    error = gate_error("<html><body><h1>Proxy Error</h1></body></html>", "text/html")

    assert error.page_title == "Proxy Error"


def test_check_response_html_untitled():
    error = gate_error("<p>maintenance</p>", "text/html")

    assert error.body_excerpt == "<p>maintenance</p>"


@pytest.mark.parametrize("body", [b"", b"   \r\n\t"])
def test_check_response_rejects_empty(body):
    error = gate_error(body)

    assert error.kind == DataforResponseError.kind
    assert error.cause == "the server returned HTTP 200 with an empty body"
    assert "context path" in str(error)


def test_check_response_rejects_truncated():
    body = '{"success": true, "data": [{"id": "51b51905fc0b'

    error = gate_error(body, "application/json;charset=UTF-8")

    assert error.kind == DataforResponseError.kind
    assert error.cause.startswith("the body is not valid JSON (JSONDecodeError: ")
    assert error.cause.endswith("; content type 'application/json;charset=utf-8'")
    assert error.body_excerpt == body
    assert "The body was cut off or damaged" in str(error)


def test_check_response_truncated_untyped_hint():
    error = gate_error('{"success": true, "data": [', "text/plain")

    assert "JSON was expected. The url may lack the context path" in str(error)


def test_check_response_not_json_untyped():
    error = gate_error("OK", None)

    assert error.cause.endswith("; content type 'not given'")


@pytest.mark.parametrize(
    ("body", "json_type"),
    [
        ('[{"id": "51b51905fc0b482f995f0f32b48105ba"}]', "list"),
        ('"success"', "string"),
        ("42", "number"),
        ("4.5", "number"),
        ("true", "boolean"),
        ("null", "null"),
    ],
)
def test_check_response_rejects_non_object(body, json_type):
    error = gate_error(body)

    assert error.kind == DataforResponseError.kind
    assert error.cause == f"the JSON body is a {json_type}, not an object"
    assert error.body_excerpt == body


def test_check_response_rejects_missing_success():
    error = envelope_error({"data": [], "msg": ""})

    assert error.kind == DataforResponseError.kind
    assert error.cause == (
        "the JSON body has no 'success' field, so it is not a Datafor API response"
    )


@pytest.mark.parametrize(
    ("success", "shown"),
    [
        ("yes", '"yes"'),
        (None, "null"),
        (2, "2"),
        ([], "[]"),
        ("0", '"0"'),
        (2.5, "2.5"),
    ],
)
def test_check_response_rejects_odd_success(success, shown):
    error = envelope_error({"success": success, "data": []})

    assert error.kind == DataforResponseError.kind
    assert error.cause == f"the 'success' field is {shown}, neither true nor false"


@pytest.mark.parametrize(
    "envelope",
    [
        {"success": False, "code": 403, "msg": "no permission"},
        {"success": False, "code": "403", "msg": "no permission", "type": "1"},
        {"success": "false", "code": "403", "msg": "no permission"},
        {"success": 0, "code": 403, "msg": "no permission"},
    ],
)
def test_check_response_permission_message(envelope):
    error = envelope_error(envelope)

    assert str(error) == PERMISSION_MESSAGE


@pytest.mark.parametrize(
    ("envelope", "server_msg", "server_code"),
    [
        ({"success": False, "code": 403, "msg": ""}, None, "403"),
        ({"success": False, "code": "403"}, None, "403"),
        ({"success": False, "code": " 403 ", "msg": "denied"}, "denied", "403"),
        ({"success": False, "msg": "No Permission"}, "No Permission", None),
        (
            {"success": False, "code": "1", "msg": "error: no permission for user"},
            "error: no permission for user",
            "1",
        ),
    ],
)
def test_check_response_permission_variants(envelope, server_msg, server_code):
    error = envelope_error(envelope)

    assert error.kind == DataforPermissionError.kind
    assert error.server_msg == server_msg
    assert error.server_code == server_code
    assert "not an Administrator" in str(error)


def test_check_response_failure_with_msg():
    error = envelope_error(
        {"success": False, "code": "500", "msg": "backup plugin not licensed"}
    )

    assert error.kind == DataforAPIError.kind
    assert str(error) == (
        f"POST {QUERY_URL} failed: the server reported a failure (success: false). "
        "The server returned msg 'backup plugin not licensed', code '500'. "
        "Check the Datafor server log for the cause."
    )


@pytest.mark.parametrize(
    "envelope",
    [
        {"success": False},
        {"success": False, "msg": ""},
        {"success": False, "msg": "   ", "code": None},
    ],
)
def test_check_response_failure_without_msg(envelope):
    error = envelope_error(envelope)

    assert error.kind == DataforAPIError.kind
    assert (
        error.cause
        == "the server reported a failure (success: false) without a message"
    )
    assert error.server_msg is None
    assert error.server_code is None


def test_check_response_failure_code_only():
    error = envelope_error({"success": False, "code": 500, "type": "1"})

    assert error.kind == DataforAPIError.kind
    assert error.server_code == "500"
    assert "The server returned code '500'." in str(error)


def test_check_response_failure_code_401():
    error = envelope_error({"success": False, "code": "401", "msg": "not logged in"})

    assert error.kind == DataforAPIError.kind
    assert error.cause == "the server did not accept the credentials (success: false)"
    assert "10 failed logins lock a Datafor account for 24 hours" in str(error)


def test_check_response_through_client():
    error, opener, sleep = query_error(
        json_response({"success": False, "code": 403, "msg": "no permission"})
    )

    assert error.kind == DataforPermissionError.kind
    assert len(opener.calls) == 1
    assert sleep.delays == []


# HTTP errors


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_http_401_not_retried(auth):
    error, opener, sleep = query_error(
        http_error(401, headers={"WWW-Authenticate": 'Basic realm="Pentaho Realm"'}),
        auth=auth,
        retries=3,
    )

    assert error.kind == DataforAuthenticationError.kind
    assert len(opener.calls) == 1
    assert sleep.delays == []
    assert error.status == 401
    assert error.tries is None
    assert str(error) == (
        f"POST {QUERY_URL} failed: HTTP 401 Unauthorized. Authentication failed: "
        "check username and password, or the token. A session cookie expires "
        "after 120 idle minutes, so log in again for a new one. The request was "
        "not retried, because 10 failed logins lock a Datafor account for 24 hours."
    )


def test_http_401_cookie_hint():
    error, opener, _unused = query_error(
        http_error(401), auth="session_cookie", retries=3
    )

    assert len(opener.calls) == 1
    assert error.hint == (
        "The session cookie was not accepted: it has expired (sessions end after "
        "120 idle minutes) or belongs to another server. Log in again for a new "
        "JSESSIONID, or use username and password instead"
    )


def test_http_401_server_fields():
    error, _opener, _unused = query_error(
        http_error(401, '{"success": false, "code": "401", "msg": "Bad credentials"}')
    )

    assert error.server_msg == "Bad credentials"
    assert error.server_code == "401"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_http_redirect_not_followed(status):
    location = (
        "https://admin:hunter2@bi.example.com:28080/datafor/Login?token=qs-secret#frag"
    )

    error, opener, sleep = query_error(
        http_error(status, headers={"Location": location})
    )

    assert error.kind == DataforRedirectError.kind
    assert len(opener.calls) == 1
    assert sleep.delays == []
    assert error.cause == (
        f"HTTP {status} redirect to https://bi.example.com:28080/datafor/Login"
    )
    assert "hunter2" not in str(error)
    assert "qs-secret" not in str(error)
    assert "Redirects are never followed" in str(error)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("/datafor/Login?session=qs-secret", "/datafor/Login"),
        (None, "an unnamed location"),
        ("", "an unnamed location"),
        ("?only=qs-secret", "an unnamed location"),
        ("http://[broken/Login", "an unparsable location"),
    ],
)
def test_http_redirect_location_forms(location, shown):
    headers = {"Location": location} if location is not None else {}

    error, _opener, _unused = query_error(http_error(302, headers=headers))

    assert error.cause == f"HTTP 302 redirect to {shown}"


def test_http_404_tomcat_page():
    error, opener, _unused = query_error(
        http_error(404, TOMCAT_404_PAGE, {"Content-Type": "text/html;charset=utf-8"})
    )

    assert error.kind == DataforHTTPError.kind
    assert len(opener.calls) == 1
    assert str(error) == (
        f"POST {QUERY_URL} failed: HTTP 404 Not Found. The response is an HTML "
        "page titled 'HTTP Status 404 \N{EN DASH} Not Found'. The url may lack the "
        "context path, such as /datafor in https://bi.example.com:28080/datafor, "
        "or a proxy answered instead of Datafor."
    )


def test_http_500_html_title():
    error, opener, _unused = query_error(
        http_error(500, TOMCAT_500_PAGE, {"Content-Type": "text/html"})
    )

    assert error.kind == DataforHTTPError.kind
    assert len(opener.calls) == 1
    assert error.cause == "HTTP 500 Internal Server Error"
    assert error.page_title == "Apache Tomcat/9.0.83 - Error report"
    assert "Check the Datafor server log for the cause." in str(error)


def test_http_500_json_msg():
    error, _opener, _unused = query_error(
        http_error(500, '{"success": false, "code": "500", "msg": "NPE in query"}')
    )

    assert error.server_msg == "NPE in query"
    assert error.server_code == "500"
    assert error.body_excerpt is None


def test_http_400_text_body():
    error, _opener, _unused = query_error(
        http_error(
            400, "Required request body is missing", {"Content-Type": "text/plain"}
        )
    )

    assert error.cause == "HTTP 400 Bad Request"
    assert error.body_excerpt == "Required request body is missing"


def test_http_403_hint():
    error, _opener, _unused = query_error(http_error(403))

    assert error.kind == DataforHTTPError.kind
    assert error.hint == (
        "The user is not an Administrator: the backup plugin answers only to "
        "members of the Administrator role. Use an administrator account, and "
        "check any proxy in front of Datafor"
    )


def test_http_unknown_status():
    error, _opener, _unused = query_error(http_error(599))

    assert error.cause == "HTTP 599"


# Retries


RETRIED_STATUSES = [
    (429, "Too Many Requests"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
]


@pytest.mark.parametrize(("status", "reason"), RETRIED_STATUSES)
def test_retry_status_exhausted(status, reason):
    error, opener, sleep = query_error(
        *[http_error(status) for _attempt in range(4)], retries=3
    )

    assert error.kind == DataforHTTPError.kind
    assert len(opener.calls) == 4
    assert sleep.delays == [1.0, 2.0, 4.0]
    assert error.tries == 4
    assert error.details()["tries"] == 4
    assert str(error) == (
        f"POST {QUERY_URL} failed after 4 tries: HTTP {status} {reason}. "
        "The server reported a temporary failure. Try again later, or raise "
        "retries so that the module waits and tries again."
    )


def test_retry_then_success():
    client, opener, sleep = make_client(
        http_error(503), http_error(502), json_response(OK_ENVELOPE), retries=3
    )

    response = client.post_json(QUERY_PATH, {})

    assert response.data == OK_ENVELOPE
    assert len(opener.calls) == 3
    assert sleep.delays == [1.0, 2.0]
    assert client.retry_notes == [
        "try 1 of 4 failed (HTTP 503 Service Unavailable); retrying in 1 s",
        "try 2 of 4 failed (HTTP 502 Bad Gateway); retrying in 2 s",
    ]


def test_retry_sends_same_request():
    client, opener, _unused = make_client(http_error(503), json_response(OK_ENVELOPE))

    client.post_json(QUERY_PATH, {})

    assert opener.calls[0] == opener.calls[1]


def test_retry_backoff_capped():
    error, opener, sleep = query_error(
        *[http_error(503) for _attempt in range(11)], retries=10
    )

    assert len(opener.calls) == 11
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0, 30.0]
    assert error.tries == 11


def test_retry_disabled():
    error, opener, sleep = query_error(http_error(503), retries=0)

    assert len(opener.calls) == 1
    assert sleep.delays == []
    assert error.tries == 1
    assert str(error).startswith(f"POST {QUERY_URL} failed: HTTP 503")


def test_retry_stops_at_401():
    error, opener, sleep = query_error(http_error(503), http_error(401), retries=3)

    assert error.kind == DataforAuthenticationError.kind
    assert len(opener.calls) == 2
    assert sleep.delays == [1.0]


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("60", 60.0),
        ("120", 60.0),
        ("99999999999999999999", 60.0),
        ("Fri, 31 Dec 2100 23:59:59 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", 1.0),
        ("-5", 1.0),
        ("2.5", 1.0),
    ],
)
def test_retry_after_honoured(retry_after, delay):
    client, _opener, sleep = make_client(
        http_error(429, headers={"Retry-After": retry_after}),
        json_response(OK_ENVELOPE),
    )

    client.post_json(QUERY_PATH, {})

    assert sleep.delays == [delay]


def test_retry_after_per_try():
    error, _opener, sleep = query_error(
        http_error(503, headers={"Retry-After": "5"}),
        http_error(503),
        http_error(503, headers={"Retry-After": "90"}),
        retries=2,
    )

    assert sleep.delays == [5.0, 2.0]
    assert error.tries == 3


# Connection errors


def refused():
    return urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))


def dns_failure():
    return urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))


def cert_failure():
    error = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to "
        "get local issuer certificate (_ssl.c:1010)",
    )
    error.verify_code = 20
    error.verify_message = "unable to get local issuer certificate"
    return urllib.error.URLError(error)


NETWORK_FAILURES = {
    "refused": (
        refused,
        DataforConnectionError,
        "the connection to bi.example.com:28080 was refused",
    ),
    "refused_bare": (
        lambda: ConnectionRefusedError(111, "Connection refused"),
        DataforConnectionError,
        "the connection to bi.example.com:28080 was refused",
    ),
    "dns": (
        dns_failure,
        DataforConnectionError,
        "the host name 'bi.example.com' could not be resolved "
        "([Errno -2] Name or service not known)",
    ),
    "timeout_wrapped": (
        lambda: urllib.error.URLError(TimeoutError("timed out")),
        DataforTimeoutError,
        "the request to bi.example.com:28080 timed out after 30 s",
    ),
    "timeout_bare": (
        lambda: TimeoutError("timed out"),
        DataforTimeoutError,
        "the request to bi.example.com:28080 timed out after 30 s",
    ),
    "socket_timeout": (
        lambda: socket.timeout("timed out"),
        DataforTimeoutError,
        "the request to bi.example.com:28080 timed out after 30 s",
    ),
    "reset": (
        lambda: ConnectionResetError(104, "Connection reset by peer"),
        DataforConnectionError,
        "the connection to bi.example.com:28080 broke before the answer was complete",
    ),
    "remote_disconnected": (
        lambda: http.client.RemoteDisconnected("Remote end closed connection"),
        DataforConnectionError,
        "the connection to bi.example.com:28080 broke before the answer was complete",
    ),
    "incomplete_read": (
        lambda: FakeResponse(
            200, http.client.IncompleteRead(b'{"success": tr', 100), {}
        ),
        DataforConnectionError,
        "the connection to bi.example.com:28080 broke before the answer was complete",
    ),
    "unreachable": (
        lambda: urllib.error.URLError(OSError(101, "Network is unreachable")),
        DataforConnectionError,
        "the connection to bi.example.com:28080 failed "
        "([Errno 101] Network is unreachable)",
    ),
    "proxy": (
        lambda: UrlsConnectionError(
            "Failed to connect to proxy.example.com at port 3128"
        ),
        DataforConnectionError,
        "the connection to bi.example.com:28080 failed "
        "(Failed to connect to proxy.example.com at port 3128)",
    ),
}


@pytest.mark.parametrize("name", sorted(NETWORK_FAILURES))
def test_network_failure_retried(name):
    make_failure, error_class, cause = NETWORK_FAILURES[name]

    error, opener, sleep = query_error(
        *[make_failure() for _attempt in range(4)], retries=3
    )

    assert error.kind == error_class.kind
    assert error.cause == cause
    assert len(opener.calls) == 4
    assert sleep.delays == [1.0, 2.0, 4.0]
    assert error.tries == 4
    assert str(error).startswith(f"POST {QUERY_URL} failed after 4 tries: ")
    assert error.status is None


def test_network_failure_hint():
    error, _opener, _unused = query_error(refused(), retries=0)

    assert error.hint == (
        "Check that the host name and port in url are right, that the server is "
        "running and reachable from the Ansible controller or managed node that "
        "runs the module, and the use_proxy setting"
    )


def test_timeout_names_setting():
    error, _opener, _unused = query_error(
        TimeoutError("timed out"), retries=0, timeout=7
    )

    assert error.cause == "the request to bi.example.com:28080 timed out after 7 s"
    assert "raise timeout (seconds per request)" in str(error)


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("http://bi.example.com/datafor", "bi.example.com:80"),
        ("https://bi.example.com/datafor", "bi.example.com:443"),
        ("http://[2001:db8::1]:28080/datafor", "[2001:db8::1]:28080"),
    ],
)
def test_network_failure_default_port(url, where):
    error, _opener, _unused = query_error(refused(), retries=0, url=url)

    assert error.cause == f"the connection to {where} was refused"


def test_network_then_success():
    client, _opener, sleep = make_client(dns_failure(), json_response(OK_ENVELOPE))

    client.post_json(QUERY_PATH, {})

    assert sleep.delays == [1.0]
    assert client.retry_notes == [
        "try 1 of 4 failed (the host name 'bi.example.com' could not be resolved "
        "([Errno -2] Name or service not known)); retrying in 1 s"
    ]


def test_tls_cert_not_retried():
    error, opener, sleep = query_error(cert_failure(), retries=3)

    assert error.kind == DataforTLSError.kind
    assert len(opener.calls) == 1
    assert sleep.delays == []
    assert error.cause == (
        "TLS certificate verification for bi.example.com:28080 failed: "
        "unable to get local issuer certificate"
    )
    assert "ca_path" in str(error)
    assert "validate_certs" in str(error)


def test_tls_cert_without_verify_message():
    reason = ssl.SSLError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )

    error, opener, _unused = query_error(urllib.error.URLError(reason))

    assert error.kind == DataforTLSError.kind
    assert len(opener.calls) == 1
    assert "ca_path" in str(error)
    assert "validate_certs" in str(error)


def test_tls_handshake_not_retried():
    reason = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")

    error, opener, _unused = query_error(urllib.error.URLError(reason), retries=3)

    assert error.kind == DataforTLSError.kind
    assert len(opener.calls) == 1
    assert error.cause.startswith(
        "the TLS handshake with bi.example.com:28080 failed: "
    )
    assert error.hint == (
        "Check that the url scheme matches the server (http or https)"
    )


# No secret in any error


ERROR_OUTCOMES = {
    "http_401": lambda: [http_error(401)],
    "http_403": lambda: [http_error(403, "Forbidden")],
    "http_302": lambda: [http_error(302, headers={"Location": "/datafor/Login"})],
    "http_404": lambda: [
        http_error(404, TOMCAT_404_PAGE, {"Content-Type": "text/html"})
    ],
    "http_500": lambda: [
        http_error(500, TOMCAT_500_PAGE, {"Content-Type": "text/html"})
    ],
    "http_503_exhausted": lambda: [http_error(503) for _attempt in range(4)],
    "refused": lambda: [refused() for _attempt in range(4)],
    "dns": lambda: [dns_failure() for _attempt in range(4)],
    "timeout": lambda: [TimeoutError("timed out") for _attempt in range(4)],
    "reset": lambda: [ConnectionResetError(104, "reset") for _attempt in range(4)],
    "incomplete_read": lambda: [
        FakeResponse(200, http.client.IncompleteRead(b"{", 9), {})
        for _attempt in range(4)
    ],
    "tls_cert": lambda: [cert_failure()],
    "html_200": lambda: [raw_response(LOGIN_PAGE, "text/html")],
    "empty_200": lambda: [raw_response(b"", "application/json")],
    "truncated_json": lambda: [raw_response('{"success": tr', "application/json")],
    "json_list": lambda: [json_response([1, 2])],
    "no_success": lambda: [json_response({"data": []})],
    "permission": lambda: [
        json_response({"success": False, "code": 403, "msg": "no permission"})
    ],
    "api_failure": lambda: [json_response({"success": False, "msg": "failed"})],
    "api_401": lambda: [json_response({"success": False, "code": "401"})],
}


@pytest.mark.parametrize("auth", ["basic", "token", "session_cookie"])
@pytest.mark.parametrize("kind", sorted(ERROR_OUTCOMES))
def test_errors_hide_secrets(kind, auth):
    client, _opener, _unused = make_client(
        *ERROR_OUTCOMES[kind](), auth=auth, retries=3
    )

    with pytest.raises(DataforError) as caught:
        client.post_json(QUERY_PATH, {})
    error = caught.value
    texts = [str(error), repr(error.details()), repr(error.args), *client.retry_notes]

    for secret in SECRETS + tuple(client.settings.secrets()):
        for text in texts:
            assert secret not in text


@pytest.mark.parametrize(
    "outcome",
    [
        lambda: json_response(
            {"success": False, "msg": f"invalid session JSESSIONID={SESSION_COOKIE}"}
        ),
        lambda: http_error(
            500, f"Cookie: JSESSIONID={SESSION_COOKIE}", {"Content-Type": "text/plain"}
        ),
    ],
    ids=["envelope_msg", "http_body"],
)
def test_errors_mask_echoed_secret(outcome):
    error, _opener, _unused = query_error(outcome(), auth="session_cookie")

    assert SESSION_COOKIE not in str(error)
    assert SESSION_COOKIE not in repr(error.details())


@pytest.mark.parametrize(
    ("auth", "session_cookie", "outcome"),
    [
        (
            "basic",
            None,
            lambda: json_response({"success": False, "msg": f"bad {BASIC_VALUE}"}),
        ),
        (
            "basic",
            None,
            lambda: http_error(500, f"<title>auth {BASIC_VALUE}</title>"),
        ),
        (
            "basic",
            None,
            lambda: http_error(302, "", {"Location": f"http://other/{BASIC_VALUE}"}),
        ),
        (
            "session_cookie",
            f"JSESSIONID={SESSION_COOKIE}; session-flushed=true",
            lambda: json_response({"success": False, "msg": f"bad {SESSION_COOKIE}"}),
        ),
    ],
    ids=["basic_in_msg", "basic_in_title", "basic_in_location", "cookie_in_header"],
)
def test_errors_mask_encoded_secret(auth, session_cookie, outcome):
    overrides = {"session_cookie": session_cookie} if session_cookie else {}

    error, _opener, _unused = query_error(outcome(), auth=auth, **overrides)

    assert BASIC_VALUE not in str(error)
    assert SESSION_COOKIE not in str(error)
    assert "********" in str(error)


def test_errors_mask_secret_at_excerpt_end():
    body = "x" * 190 + " " + PASSWORD

    error, _opener, _unused = query_error(
        http_error(500, body, {"Content-Type": "text/plain"})
    )

    assert PASSWORD[:6] not in str(error)
    assert "x ********" in str(error)


def test_errors_mask_secret_with_runs_of_spaces():
    password = "two  spaces\u00a0here"

    error, _opener, _unused = query_error(
        http_error(500, f"password was {password}", {"Content-Type": "text/plain"}),
        password=password,
    )

    assert "two spaces" not in str(error)
    assert "password was ********" in str(error)


def test_server_msg_length_limited():
    error, _opener, _unused = query_error(
        json_response({"success": False, "code": 500, "msg": "A" * 200_000})
    )

    assert len(error.server_msg) == 303
    assert len(str(error)) < 1000


def test_redirect_hides_path_session():
    location = "http://127.0.0.1:8080/datafor/Login;jsessionid=0A1B2C3D4E5F6071"

    error, _opener, _unused = query_error(http_error(302, "", {"Location": location}))

    assert "0A1B2C3D4E5F6071" not in str(error)
    assert "redirect to http://127.0.0.1:8080/datafor/Login." in str(error)


def test_errors_escape_control_characters():
    error, _opener, _unused = query_error(
        http_error(500, "\x1b[31mRED\x1b[0m text", {"Content-Type": "text/plain"})
    )

    assert "\x1b" not in str(error)
    assert "\\x1b[31mRED" in str(error)


def test_check_response_accepts_byte_order_mark():
    body = b"\xef\xbb\xbf" + json.dumps({"success": True, "data": []}).encode()

    response = check_response("POST", QUERY_URL, 200, make_headers({}), body)

    assert response.data == {"success": True, "data": []}


def test_password_absent_from_basic_error():
    error, _opener, _unused = query_error(http_error(401))

    assert PASSWORD not in str(error)
    assert BASIC_VALUE not in str(error)


# parse_retry_after and backoff_delay

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("5", 5.0),
        (" 12 ", 12.0),
        ("120", 120.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Fri, 04 Dec 2026 12:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 13:00:00 +0100", 0.0),
        ("Fri, 04 Dec 2026 12:02:00 +0000", 120.0),
        ("Fri, 04 Dec 2026 11:59:00 GMT", 0.0),
        ("Fri, 04 Dec 2026 12:00:30 -0000", None),
        ("Fri, 04 Dec 2026 12:00:30", None),
        ("Fri, 32 Dec 2026 12:00:30 GMT", None),
    ],
)
def test_parse_retry_after_table(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_uses_clock():
    moment = datetime.fromtimestamp(NOW + 3600 * 24 * 365 * 100, tz=timezone.utc)

    assert parse_retry_after(format_datetime(moment, usegmt=True)) > 60


@pytest.mark.parametrize("value", ["\xb2", "\xb3", "1\xb9"])
def test_parse_retry_after_unicode_digits(value):
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (1, None, 1.0),
        (2, None, 2.0),
        (3, None, 4.0),
        (4, None, 8.0),
        (5, None, 16.0),
        (6, None, 30.0),
        (10, None, 30.0),
        (100, None, 30.0),
        (1, 0.0, 0.0),
        (3, 7.0, 7.0),
        (1, 60.0, 60.0),
        (1, 61.0, 60.0),
        (1, 1e12, 60.0),
        (1, -3.0, 0.0),
    ],
)
def test_backoff_delay_table(attempt, retry_after, expected):
    assert backoff_delay(attempt, retry_after) == expected


def test_backoff_delay_is_float():
    assert isinstance(backoff_delay(2, None), float)


def test_retry_after_unicode_header():
    client, _opener, sleep = make_client(
        http_error(503, headers={"Retry-After": "\xb2"}), json_response(OK_ENVELOPE)
    )

    client.post_json(QUERY_PATH, {})

    assert sleep.delays == [1.0]


def test_check_response_rejects_deep_nesting():
    error = gate_error("[" * 100_000 + "]" * 100_000)

    assert error.kind == DataforResponseError.kind
