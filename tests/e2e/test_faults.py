"""End-to-end tests of every fault a Datafor server or the network can produce.

Each case queues faults in the emulator, runs datafor_backup_info through
ansible-playbook and checks the whole message, so a user sees the cause and
the next step for each.
"""

from __future__ import annotations

import email.utils
import shutil
import subprocess
import time
from typing import Any

import pytest
import trustme
from e2e_helpers import (
    ADMIN,
    ADMIN_TOKEN,
    api_requests,
    connection_vars,
    log_in,
    run_cases,
)
from emulator_process import REALISTIC, running_emulator

TOMCAT_500_TITLE = "HTTP Status 500 \N{EN DASH} Internal Server Error"
TOMCAT_500 = (
    f"<!doctype html><html><head><title>{TOMCAT_500_TITLE}</title></head>"
    f"<body><h1>{TOMCAT_500_TITLE}</h1>"
    "<p>java.lang.NullPointerException</p></body></html>"
)
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Datafor Login</title></head>"
    "<body><form action='j_spring_security_check'></form></body></html>"
)
RETRY_HINT = (
    "The server reported a temporary failure. Try again later, or raise retries"
)
CONTEXT_HINT = "JSON was expected. The url may lack the context path"


def failing(name: str, faults: list[dict[str, Any]], kind: str, *msg: str, **options):
    """Build a case that must fail with error.kind and these message parts."""
    case: dict[str, Any] = {"name": name, "fail": True, "kind": kind}
    case["msg_contains"] = list(msg)
    if faults:
        case["faults"] = faults
    if options:
        case["options"] = options
    return case


def test_server_error_statuses(run_playbook, emulator):
    cases = [
        failing(
            "HTTP 500 with an HTML page",
            [{"status": 500, "body": TOMCAT_500, "content_type": "text/html"}],
            "http",
            "HTTP 500 Internal Server Error.",
            f"The response is an HTML page titled '{TOMCAT_500_TITLE}'.",
            "Check the Datafor server log for the cause.",
        ),
        failing(
            "HTTP 502",
            [{"status": 502, "body": "<html><title>502 Bad Gateway</title></html>"}],
            "http",
            "HTTP 502 Bad Gateway.",
            "titled '502 Bad Gateway'",
            RETRY_HINT,
        ),
        failing(
            "HTTP 503",
            [
                {
                    "status": 503,
                    "body": "Service Unavailable",
                    "content_type": "text/plain",
                }
            ],
            "http",
            "HTTP 503 Service Unavailable.",
            "The response body begins: Service Unavailable.",
            RETRY_HINT,
        ),
        failing(
            "HTTP 504",
            [{"status": 504}],
            "http",
            "HTTP 504 Gateway Timeout.",
            RETRY_HINT,
        ),
        failing(
            "HTTP 429 without Retry-After",
            [{"status": 429}],
            "http",
            "HTTP 429 Too Many Requests.",
            RETRY_HINT,
        ),
        failing(
            "HTTP 401 from a proxy",
            [{"status": 401, "body": "<html><title>Unauthorized</title></html>"}],
            "authentication",
            "HTTP 401 Unauthorized.",
            "Authentication failed",
        ),
        failing(
            "HTTP 503 on every try",
            [{"status": 503, "times": 3}],
            "http",
            "failed after 3 tries: HTTP 503 Service Unavailable.",
            retries=2,
        ),
    ]

    run_cases(run_playbook, emulator, cases)

    assert len(api_requests(emulator)) == 9


def test_retries_then_success(run_playbook, emulator):
    in_five_seconds = email.utils.formatdate(time.time() + 5, usegmt=True)
    cases = [
        {
            "name": "HTTP 503 once",
            "faults": [{"status": 503}],
            "options": {"retries": 2},
            "backups": 10,
            "warnings_contain": [
                "try 1 of 3 failed (HTTP 503 Service Unavailable); retrying in 1 s"
            ],
        },
        {
            "name": "HTTP 502 then 504",
            "faults": [{"status": 502}, {"status": 504}],
            "options": {"retries": 2},
            "backups": 10,
            "warnings_contain": [
                "try 1 of 3 failed (HTTP 502 Bad Gateway); retrying in 1 s",
                "try 2 of 3 failed (HTTP 504 Gateway Timeout); retrying in 2 s",
            ],
        },
        {
            "name": "HTTP 429 with Retry-After in seconds",
            "faults": [{"status": 429, "headers": {"Retry-After": "3"}}],
            "options": {"retries": 1},
            "backups": 10,
            "warnings_contain": [
                "try 1 of 2 failed (HTTP 429 Too Many Requests); retrying in 3 s"
            ],
        },
        {
            "name": "HTTP 429 with Retry-After as an HTTP-date",
            "faults": [{"status": 429, "headers": {"Retry-After": in_five_seconds}}],
            "options": {"retries": 1},
            "backups": 10,
            "warnings_contain": ["try 1 of 2 failed (HTTP 429 Too Many Requests)"],
        },
    ]

    started = time.monotonic()
    run_cases(run_playbook, emulator, cases)
    elapsed = time.monotonic() - started

    assert len(api_requests(emulator)) == 9
    # 1 + 1 + 2 + 3 seconds of backoff, plus up to 5 for the HTTP-date.
    assert elapsed >= 7


def test_bodies_that_are_not_the_envelope(run_playbook, emulator):
    cases = [
        failing(
            "HTTP 200 with a login page",
            [{"status": 200, "body": LOGIN_PAGE, "content_type": "text/html"}],
            "response",
            "the server returned HTTP 200 with an HTML page.",
            "The response is an HTML page titled 'Datafor Login'.",
            CONTEXT_HINT,
        ),
        failing(
            "HTTP 200 with an empty body",
            [{"status": 200, "body": ""}],
            "response",
            "the server returned HTTP 200 with an empty body.",
            CONTEXT_HINT,
        ),
        failing(
            "truncated JSON",
            [
                {
                    "status": 200,
                    "body": '{"msg": "", "data": [{"id": "51b5',
                    "content_type": "application/json",
                }
            ],
            "response",
            "the body is not valid JSON",
            "The body was cut off or damaged, usually because the connection broke",
            'The response body begins: {"msg": "", "data": [{"id": "51b5.',
        ),
        failing(
            "JSON list",
            [{"json": [{"id": "51b51905fc0b482f995f0f32b48105ba"}]}],
            "response",
            "the JSON body is a list, not an object.",
        ),
        failing(
            "JSON string",
            [{"json": "ok"}],
            "response",
            "the JSON body is a string, not an object.",
        ),
        failing(
            "no success field",
            [{"json": {"data": []}}],
            "response",
            "the JSON body has no 'success' field",
        ),
        failing(
            "success false without msg",
            [{"json": {"success": False}}],
            "api",
            "the server reported a failure (success: false) without a message.",
            "Check the Datafor server log for the cause.",
        ),
        failing(
            "success false with msg and numeric code",
            [{"json": {"success": False, "code": 500, "msg": "backup service down"}}],
            "api",
            "The server returned msg 'backup service down', code '500'.",
        ),
        failing(
            "success false with string code 403 and no msg",
            [{"json": {"success": False, "code": "403", "type": "1"}}],
            "permission",
            "The server returned code '403'.",
            "The user is not an Administrator",
        ),
        failing(
            "success false with numeric code 403",
            [{"json": {"success": False, "code": 403, "msg": "no permission"}}],
            "permission",
            "The server returned msg 'no permission', code '403'.",
            "The user is not an Administrator",
        ),
        failing(
            "data missing",
            [{"json": {"success": True, "msg": ""}}],
            "response",
            "the response has success: true but no 'data' field.",
        ),
        failing(
            "data not a list",
            [{"json": {"success": True, "data": {"id": "x"}}}],
            "response",
            "'data' is a JSON object, not the documented list of backup configs.",
        ),
        {
            "name": "data null",
            "faults": [{"json": {"success": True, "data": None}}],
            "backups": 0,
            "warnings_contain": [
                "The server answered 'data: null', which is read as no backup configs."
            ],
        },
    ]

    run_cases(run_playbook, emulator, cases)

    assert len(api_requests(emulator)) == len(cases)


def test_network_faults(run_playbook, emulator):
    where = emulator.base.split("//", 1)[1]
    cases = [
        failing(
            "connection reset mid-body",
            [{"action": "reset", "times": 2}],
            "connection",
            "failed after 2 tries:",
            f"the connection to {where} broke before the answer was complete.",
            retries=1,
        ),
        failing(
            "connection closed without an answer",
            [{"action": "close"}],
            "connection",
            f"the connection to {where} broke before the answer was complete.",
        ),
        failing(
            "server never answers",
            [{"action": "hang", "seconds": 60, "times": 2}],
            "timeout",
            "failed after 2 tries:",
            f"the request to {where} timed out after 2 s.",
            "raise timeout (seconds per request)",
            retries=1,
            timeout=2,
        ),
    ]

    started = time.monotonic()
    run_cases(run_playbook, emulator, cases)
    elapsed = time.monotonic() - started

    # The hang costs two 2-second timeouts and a 1-second backoff, and the
    # reset one backoff. A client that ignored timeout would wait out both
    # 60-second hangs; the upper bound leaves room for a loaded machine.
    assert 6 <= elapsed < 90


def test_dns_failure(run_playbook, emulator, tmp_path):
    unshare = shutil.which("unshare")
    isolated = unshare and subprocess.run(
        [unshare, "--user", "--map-root-user", "--net", "true"], check=False
    )
    if not isolated or isolated.returncode != 0:
        # NOTE: the unit tests still cover the DNS failure message.
        pytest.skip(
            "unshare cannot create a network namespace here; the DNS test runs "
            "the module without network access so that no resolver is queried"
        )
    cases = [
        failing(
            "unknown host",
            [],
            "connection",
            "failed after 2 tries:",
            "the host name 'datafor.invalid' could not be resolved",
            "Check that the host name and port in url are right",
            url="http://datafor.invalid:28080/datafor",
            retries=1,
        )
    ]

    result = run_playbook(
        "cases.yml",
        connection_vars(emulator, cases=cases),
        wrapper=[unshare, "--user", "--map-root-user", "--net"],
    )

    assert result.returncode == 0, result.explain()


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_emulator(certificate_authority, tmp_path_factory):
    """An emulator that serves HTTPS with a certificate from a private CA."""
    directory = tmp_path_factory.mktemp("tls")
    server = certificate_authority.issue_cert("127.0.0.1", "localhost")
    cert = directory / "server.pem"
    key = directory / "server.key"
    ca_file = directory / "ca.pem"
    server.cert_chain_pems[0].write_to_path(cert)
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(cert, append=True)
    server.private_key_pem.write_to_path(key)
    certificate_authority.cert_pem.write_to_path(ca_file)
    with running_emulator(REALISTIC, tls=(cert, key), ca_file=ca_file) as emulator:
        yield emulator


def test_tls_certificates(run_playbook, tls_emulator, emulator, tmp_path):
    where = tls_emulator.base.split("//", 1)[1]
    plain_where = emulator.base.split("//", 1)[1]
    cases = [
        failing(
            "private CA, default settings",
            [],
            "tls",
            f"TLS certificate verification for {where} failed",
            "Point ca_path at a PEM file of the CA that signed it",
            "set validate_certs to false",
        ),
        {
            "name": "private CA with ca_path",
            "options": {"ca_path": tls_emulator.ca_file},
            "backups": 10,
        },
        {
            "name": "validate_certs false",
            "options": {"validate_certs": False},
            "backups": 10,
        },
        failing(
            "https to a plain HTTP server",
            [],
            "tls",
            f"the TLS handshake with {plain_where} failed",
            "Check that the url scheme matches the server (http or https)",
            url=emulator.url.replace("http://", "https://"),
        ),
        failing(
            "ca_path that does not exist",
            [],
            "options",
            f"ca_path '{tmp_path}/missing-ca.pem' is not a file.",
            ca_path=f"{tmp_path}/missing-ca.pem",
        ),
    ]

    result = run_playbook(
        "cases.yml",
        connection_vars(tls_emulator, cases=cases),
    )

    assert result.returncode == 0, result.explain()
    assert len(api_requests(tls_emulator)) == 2


@pytest.mark.parametrize(
    ("auth", "status"),
    [("basic", 302), ("token", 307), ("session_cookie", 301)],
)
def test_redirect_carries_no_credentials(run_playbook, emulator, auth, status):
    with running_emulator(REALISTIC, host="127.0.0.2") as other_host:
        target = other_host.url + "/plugin/datafor-backup/api/query"
        options: dict[str, Any] = {}
        if auth == "token":
            options["token"] = ADMIN_TOKEN
        if auth == "session_cookie":
            options["session_cookie"] = log_in(emulator, ADMIN)
        cases = [
            failing(
                f"redirect with {auth}",
                [{"action": "redirect", "status": status, "location": target}],
                "redirect",
                f"HTTP {status} redirect to {target}.",
                "Redirects are never followed, so credentials cannot leak",
                **options,
            )
        ]

        run_cases(run_playbook, emulator, cases)

        assert other_host.request_log() == []
    assert len(api_requests(emulator)) == 1
