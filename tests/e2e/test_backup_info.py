"""End-to-end tests: ansible-playbook runs datafor_backup_info against the emulator."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from e2e_helpers import (
    ADMIN,
    ADMIN_TOKEN,
    QUERY_PATH,
    VIEWER,
    api_requests,
    connection_vars,
    log_in,
    run_cases,
)
from emulator_process import DOCUMENTED_EXAMPLE, REALISTIC, running_emulator

BIN_DIR = Path(sys.executable).parent
AUTH_MESSAGE = "Authentication failed: check username and password, or the token"


def test_query_filters_and_check_mode(run_playbook, emulator):
    result = run_playbook("query.yml", connection_vars(emulator))

    assert result.returncode == 0, result.explain()
    assert "failed=0" in result.output


def test_query_only_calls_query_endpoint(run_playbook, emulator):
    run_playbook("query.yml", connection_vars(emulator))
    log = emulator.request_log()

    assert len(log) == 4
    assert {(entry["method"], entry["path"]) for entry in log} == {("POST", QUERY_PATH)}


def test_documented_example_element(run_playbook, emulator):
    data = json.loads(DOCUMENTED_EXAMPLE.read_text(encoding="utf-8"))
    record = data["backup_configs"][0]
    emulator.set_backup_configs([record])

    result = run_playbook(
        "documented_example.yml",
        connection_vars(emulator, documented_record=record),
    )

    assert result.returncode == 0, result.explain()


def test_other_context_path(run_playbook):
    with running_emulator(REALISTIC, context_path="/pentaho") as pentaho:
        cases = [
            {"name": "context path /pentaho", "backups": 10},
            {
                "name": "trailing slash",
                "options": {"url": pentaho.url + "/"},
                "backups": 10,
            },
        ]

        run_cases(run_playbook, pentaho, cases)
        paths = {entry["path"] for entry in pentaho.request_log()}

    assert paths == {"/pentaho/plugin/datafor-backup/api/query"}


def test_ansible_doc_renders(collections_path):
    result = subprocess.run(
        [str(BIN_DIR / "ansible-doc"), "datafor.platform.datafor_backup_info"],
        env={
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
            "ANSIBLE_NOCOLOR": "true",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Reads the backup configs of the Datafor backup plugin" in result.stdout
    assert "RETURN VALUES" in result.stdout
    assert "next_run_epoch" in result.stdout
    assert "session_cookie" in result.stdout


def test_each_auth_method(run_playbook, emulator):
    cookie = log_in(emulator, ADMIN)
    emulator.clear_request_log()
    cases = [
        {"name": "basic", "backups": 10},
        {"name": "token", "options": {"token": ADMIN_TOKEN}, "backups": 10},
        {"name": "bare cookie", "options": {"session_cookie": cookie}, "backups": 10},
        {
            "name": "cookie header",
            "options": {"session_cookie": f"JSESSIONID={cookie}; session-flushed=true"},
            "backups": 10,
        },
    ]

    run_cases(run_playbook, emulator, cases)
    sent = [
        (entry["authorization"], entry["cookies"]) for entry in api_requests(emulator)
    ]

    assert sent == [
        ("basic", []),
        ("bearer", []),
        ("absent", ["JSESSIONID"]),
        ("absent", ["JSESSIONID", "session-flushed"]),
    ]


def test_environment_fallbacks(run_playbook, emulator):
    result = run_playbook(
        "env_fallback.yml", connection_vars(emulator, admin_token=ADMIN_TOKEN)
    )
    sent = [entry["authorization"] for entry in api_requests(emulator)]

    assert result.returncode == 0, result.explain()
    assert sent == ["bearer", "basic"]
    assert [entry["user"] for entry in api_requests(emulator)] == [
        "backup-auditor",
        "backup-auditor",
    ]


def test_wrong_password_sends_one_request(run_playbook, emulator):
    cases = [
        {
            "name": "wrong password",
            "options": {"password": "not-the-password", "retries": 3},
            "fail": True,
            "kind": "authentication",
            "msg_contains": [
                f"POST {emulator.url}/plugin/datafor-backup/api/query failed",
                "HTTP 401 Unauthorized",
                AUTH_MESSAGE,
                "120 idle minutes",
                "not retried",
            ],
        }
    ]

    run_cases(run_playbook, emulator, cases)

    assert len(api_requests(emulator)) == 1
    assert emulator.failed_logins() == {ADMIN["username"]: 1}


def test_expired_session_cookie(run_playbook, emulator):
    cookie = log_in(emulator, ADMIN)
    emulator.expire_sessions()
    cases = [
        {
            "name": "expired session",
            "options": {"session_cookie": cookie},
            "fail": True,
            "kind": "authentication",
            "msg_contains": [
                "HTTP 401",
                "The session cookie was not accepted",
                "120 idle minutes",
            ],
        }
    ]

    run_cases(run_playbook, emulator, cases)

    assert len(api_requests(emulator)) == 1


def test_documented_failures(run_playbook, emulator, closed_port):
    cases = [
        {
            "name": "not an administrator",
            "options": dict(VIEWER),
            "fail": True,
            "kind": "permission",
            "msg_contains": [
                "msg 'no permission', code '403'",
                "The user is not an Administrator",
            ],
        },
        {
            "name": "context path left out",
            "options": {"url": emulator.base},
            "fail": True,
            "kind": "http",
            "msg_contains": [
                f"POST {emulator.base}/plugin/datafor-backup/api/query failed",
                "HTTP 404 Not Found",
                "The response is an HTML page titled 'HTTP Status 404",
                "The url may lack the context path, such as /datafor",
            ],
        },
        {
            "name": "connection refused",
            "options": {"url": f"http://127.0.0.1:{closed_port}/datafor", "retries": 1},
            "fail": True,
            "kind": "connection",
            "msg_contains": [
                "failed after 2 tries",
                f"the connection to 127.0.0.1:{closed_port} was refused",
            ],
        },
        {
            "name": "no credentials",
            "options": {"username": "", "password": ""},
            "fail": True,
            "kind": "options",
            "msg_contains": ["No credentials were given", "DATAFOR_USERNAME"],
        },
        {
            "name": "non-ASCII path in url",
            "options": {"url": emulator.base + "/dätafor"},
            "fail": True,
            "kind": "http",
            "msg_contains": [
                f"POST {emulator.base}/d%C3%A4tafor/plugin/datafor-backup/api/query",
                "HTTP 404 Not Found",
            ],
        },
        {
            "name": "space in url",
            "options": {"url": emulator.url + "/back up"},
            "fail": True,
            "kind": "options",
            "msg_contains": [
                "url contains a space or control character",
                "Percent-encode it, for example a space as %20",
            ],
        },
        {
            "name": "two ways to authenticate",
            "options": {"token": ADMIN_TOKEN, "username": "backup-auditor"},
            "fail": True,
            "kind": "options",
            "msg_contains": ["More than one way to authenticate was given"],
        },
    ]

    run_cases(run_playbook, emulator, cases)


def test_secrets_absent_at_vvvv(run_playbook, emulator):
    cookie = log_in(emulator, ADMIN)
    wrong_password = "wrong-password-for-the-test"
    basic = base64.b64encode(
        f"{ADMIN['username']}:{ADMIN['password']}".encode()
    ).decode()
    cases = [
        {"name": "basic", "backups": 10},
        {"name": "token", "options": {"token": ADMIN_TOKEN}},
        {"name": "cookie", "options": {"session_cookie": cookie}},
        {
            "name": "wrong password",
            "options": {"password": wrong_password},
            "fail": True,
            "kind": "authentication",
        },
        {
            "name": "retry after an answer that repeats the password",
            "faults": [
                {
                    "status": 503,
                    "body": f"login {ADMIN['password']} refused",
                    "content_type": "text/plain",
                }
            ],
            "options": {"retries": 1},
            "backups": 10,
            "warnings_contain": ["try 1 of 2 failed (HTTP 503 Service Unavailable)"],
        },
        {
            "name": "server echoes the Authorization header",
            "faults": [
                {"json": {"success": False, "msg": f"bad header Basic {basic}"}}
            ],
            "fail": True,
            "kind": "api",
            "msg_contains": ["The server returned msg 'bad header ********'"],
        },
        {
            "name": "server echoes the encoded credentials",
            "faults": [{"json": {"success": False, "msg": f"bad auth {basic}"}}],
            "fail": True,
            "kind": "api",
            "msg_contains": ["The server returned msg 'bad auth ********'"],
        },
    ]
    secrets = [ADMIN["password"], ADMIN_TOKEN, cookie, wrong_password, basic]

    result = run_playbook(
        "cases.yml", connection_vars(emulator, cases=cases), verbosity=4
    )

    assert result.returncode == 0, result.explain()
    assert "<127.0.0.1>" in result.output or "ESTABLISH LOCAL" in result.output
    for secret in secrets:
        assert secret not in result.output, f"secret {secret[:4]}... was shown"
