"""Tests of the Datafor emulator, run as a real process and reached over TCP."""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from emulator_process import (
    DATA_DIR,
    DOCUMENTED_EXAMPLE,
    EMULATOR_SCRIPT,
    RunningEmulator,
    running_emulator,
    stop_process,
)

ADMIN = ("admin", "password")
ADMIN_TOKEN = "eyJhbGciOiJIUzI1NiJ9.admin.token"
VIEWER = ("viewer", "viewer-secret-1")
AUDITOR = ("backup-auditor", "auditor-secret-1")
QUERY = "/plugin/datafor-backup/api/query"
LOG_QUERY = "/plugin/datafor-backup/api/log/query"
DOWNLOAD = "/plugin/datafor-backup/api/log/download"
LOGIN = "/plugin/datafor/api/extension/auth/login"
LOGOUT = "/plugin/datafor/api/extension/auth/logout"
FETCH_USER = "/plugin/datafor/api/extension/auth/fetchUser"
EXAMPLE_ID = "51b51905fc0b482f995f0f32b48105ba"
EXAMPLE_LOG_ID = "Backup_2025.02.26-11.12.00.205+0800"
NIGHTLY_FULL_ID = "a3c9e1f04b7d4e2c8f5a6b1d2e3f4051"
NO_PERMISSION = {
    "success": False,
    "code": 403,
    "msg": "no permission",
    "data": None,
    "type": "1",
}
LOGIN_FAILED = {
    "success": False,
    "data": "0",
    "msg": "wrong password",
    "needCaptcha": True,
}
SCHEDULE_KINDS = {
    "RUN_ONCE",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAILY",
    "WEEKLY",
    "MONTHLY",
    "YEARLY",
    "CRON",
}
TIMEOUT = 10


def load_data(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def query(emulator: RunningEmulator, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return requests.post(emulator.url + QUERY, **kwargs)


def login(
    emulator: RunningEmulator, username: str, password: str, **kwargs: Any
) -> requests.Response:
    form = {"username": username, "password": password}
    return requests.post(emulator.url + LOGIN, data=form, timeout=TIMEOUT, **kwargs)


def session_id(emulator: RunningEmulator, credentials: tuple[str, str]) -> str:
    response = login(emulator, *credentials)
    return str(response.cookies["JSESSIONID"])


def basic_header(username: str, password: str) -> str:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {encoded}"


def fail_logins(emulator: RunningEmulator, username: str, count: int) -> None:
    for _attempt in range(count):
        query(emulator, auth=(username, "wrong-password"))


def schedule_kind(record: dict[str, Any]) -> str:
    trigger = json.loads(record["cron"])
    return str(next(iter(trigger.values()))["uiPassParam"])


# Backup config query


def test_query_returns_documented_example(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, auth=ADMIN)
    assert response.json() == load_data("documented-query-backup-configs.json")


def test_query_content_type_is_json(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_query_server_header_is_tomcat(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Server"] == "Apache-Coyote/1.1"


def test_query_form_without_id_returns_all(realistic: RunningEmulator) -> None:
    response = query(realistic, data={}, auth=AUDITOR)
    assert len(response.json()["data"]) == len(
        load_data("realistic.json")["backup_configs"]
    )


def test_query_form_id_filters(realistic: RunningEmulator) -> None:
    response = query(realistic, data={"id": NIGHTLY_FULL_ID}, auth=AUDITOR)
    assert [item["name"] for item in response.json()["data"]] == ["nightly-full"]


def test_query_json_id_filters(realistic: RunningEmulator) -> None:
    response = query(realistic, json={"id": NIGHTLY_FULL_ID}, auth=AUDITOR)
    assert [item["name"] for item in response.json()["data"]] == ["nightly-full"]


def test_query_unknown_id_returns_empty(emulator: RunningEmulator) -> None:
    response = query(emulator, data={"id": "0" * 32}, auth=ADMIN)
    assert response.json() == {"msg": "", "data": [], "success": True}


def test_query_invalid_json_is_400(emulator: RunningEmulator) -> None:
    headers = {"Content-Type": "application/json"}
    response = query(emulator, data=b"{not json", headers=headers, auth=ADMIN)
    assert response.status_code == 400


def test_query_get_is_405(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + QUERY, auth=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 405


def test_query_keeps_non_ascii_names(realistic: RunningEmulator) -> None:
    response = query(realistic, json={}, auth=AUDITOR)
    names = [item["name"] for item in response.json()["data"]]
    expected = [item["name"] for item in load_data("realistic.json")["backup_configs"]]
    assert names == expected


# Backup logs and downloads


def test_log_query_returns_documented_example(emulator: RunningEmulator) -> None:
    response = requests.post(emulator.url + LOG_QUERY, json={}, auth=ADMIN, timeout=10)
    assert response.json() == load_data("documented-query-backup-logs.json")


def test_log_query_filters_by_config(realistic: RunningEmulator) -> None:
    url = realistic.url + LOG_QUERY
    response = requests.post(
        url, data={"id": NIGHTLY_FULL_ID}, auth=AUDITOR, timeout=10
    )
    backup_ids = {item["backupid"] for item in response.json()["data"]}
    assert backup_ids == {NIGHTLY_FULL_ID}


def test_log_query_non_admin_gets_403(emulator: RunningEmulator) -> None:
    response = requests.post(emulator.url + LOG_QUERY, json={}, auth=VIEWER, timeout=10)
    assert response.json() == NO_PERMISSION


def test_download_returns_zip(emulator: RunningEmulator) -> None:
    url = emulator.url + DOWNLOAD
    params = {"id": EXAMPLE_LOG_ID}  # requests sends "+" as %2B
    response = requests.get(url, params=params, auth=ADMIN, timeout=TIMEOUT)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None


def test_download_names_the_zip(emulator: RunningEmulator) -> None:
    url = emulator.url + DOWNLOAD
    params = {"id": EXAMPLE_LOG_ID}
    response = requests.get(url, params=params, auth=ADMIN, timeout=TIMEOUT)
    expected = f'attachment; filename="{EXAMPLE_LOG_ID}.zip"'
    assert response.headers["Content-Disposition"] == expected


def test_download_raw_plus_is_not_found(emulator: RunningEmulator) -> None:
    # Tomcat decodes an unescaped "+" as a space, so this id does not match.
    url = f"{emulator.url}{DOWNLOAD}?id={EXAMPLE_LOG_ID}"
    response = requests.get(url, auth=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 404


def test_download_unknown_id_is_404(emulator: RunningEmulator) -> None:
    url = emulator.url + DOWNLOAD
    response = requests.get(url, params={"id": "nope"}, auth=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 404


def test_download_non_admin_gets_info_txt(emulator: RunningEmulator) -> None:
    url = emulator.url + DOWNLOAD
    params = {"id": EXAMPLE_LOG_ID}
    response = requests.get(url, params=params, auth=VIEWER, timeout=TIMEOUT)
    assert response.text == "no permission"


# Authentication


def test_anonymous_gets_401(emulator: RunningEmulator) -> None:
    assert query(emulator, json={}).status_code == 401


def test_anonymous_401_names_realm(emulator: RunningEmulator) -> None:
    response = query(emulator, json={})
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Pentaho Realm"'


def test_anonymous_401_is_html(emulator: RunningEmulator) -> None:
    response = query(emulator, json={})
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_basic_auth_accepted(emulator: RunningEmulator) -> None:
    assert query(emulator, json={}, auth=ADMIN).json()["success"] is True


def test_wrong_basic_gets_401(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, auth=("admin", "wrong"))
    assert response.status_code == 401


def test_wrong_basic_401_names_realm(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, auth=("admin", "wrong"))
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Pentaho Realm"'


def test_malformed_basic_gets_401(emulator: RunningEmulator) -> None:
    headers = {"Authorization": "Basic not-base64!"}
    assert query(emulator, json={}, headers=headers).status_code == 401


def test_bearer_token_accepted(emulator: RunningEmulator) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert query(emulator, json={}, headers=headers).json()["success"] is True


def test_unknown_bearer_gets_401(emulator: RunningEmulator) -> None:
    headers = {"Authorization": "Bearer not.a.token"}
    assert query(emulator, json={}, headers=headers).status_code == 401


def test_query_string_token_accepted(emulator: RunningEmulator) -> None:
    response = query(emulator, json={}, params={"token": ADMIN_TOKEN})
    assert response.json()["success"] is True


def test_session_cookie_accepted(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    assert query(emulator, json={}, cookies=cookies).json()["success"] is True


def test_non_admin_gets_200(emulator: RunningEmulator) -> None:
    assert query(emulator, json={}, auth=VIEWER).status_code == 200


def test_non_admin_gets_403_envelope(emulator: RunningEmulator) -> None:
    assert query(emulator, json={}, auth=VIEWER).json() == NO_PERMISSION


def test_unknown_plugin_path_needs_auth(emulator: RunningEmulator) -> None:
    url = emulator.url + "/plugin/other/api/x"
    assert requests.get(url, timeout=TIMEOUT).status_code == 401


# Login, logout and fetchUser


def test_login_success_body(emulator: RunningEmulator) -> None:
    body = login(emulator, *ADMIN).json()
    assert {key: body[key] for key in ("success", "msg", "data")} == {
        "success": True,
        "msg": "login success",
        "data": "1",
    }


def test_login_body_names_cookie(emulator: RunningEmulator) -> None:
    response = login(emulator, *ADMIN)
    assert response.json()["jsessionid"] == response.cookies["JSESSIONID"]


def test_login_cookie_path_is_context(emulator: RunningEmulator) -> None:
    response = login(emulator, *ADMIN)
    assert "; Path=/datafor; HttpOnly" in response.headers["Set-Cookie"]


def test_login_cookie_is_32_hex(emulator: RunningEmulator) -> None:
    assert re.fullmatch("[0-9A-F]{32}", session_id(emulator, ADMIN))


def test_login_again_returns_2(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    assert login(emulator, *ADMIN, cookies=cookies).json()["data"] == "2"


def test_login_with_stale_cookie_returns_1(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": "0" * 32}
    assert login(emulator, *ADMIN, cookies=cookies).json()["data"] == "1"


def test_login_wrong_password_body(emulator: RunningEmulator) -> None:
    assert login(emulator, "admin", "wrong").json() == LOGIN_FAILED


def test_login_wrong_password_counts(emulator: RunningEmulator) -> None:
    login(emulator, "admin", "wrong")
    assert emulator.failed_logins() == {"admin": 1}


def test_login_get_is_405(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + LOGIN, timeout=TIMEOUT)
    assert response.status_code == 405


def test_logout_body(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    response = requests.get(emulator.url + LOGOUT, cookies=cookies, timeout=TIMEOUT)
    assert response.json() == {"success": True, "code": "200", "data": "1"}


def test_logout_ends_session(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    requests.get(emulator.url + LOGOUT, cookies=cookies, timeout=TIMEOUT)
    assert query(emulator, json={}, cookies=cookies).status_code == 401


def test_fetch_user_anonymous(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + FETCH_USER, timeout=TIMEOUT)
    assert response.json()["islogged"] is False


def test_fetch_user_lists_backup_plugin(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + FETCH_USER, timeout=TIMEOUT)
    assert "datafor-backup" in response.json()["plugins"]


def test_fetch_user_admin_can_administer(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + FETCH_USER, auth=ADMIN, timeout=TIMEOUT)
    assert response.json()["canAdminister"] is True


def test_fetch_user_viewer_cannot_administer(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + FETCH_USER, auth=VIEWER, timeout=TIMEOUT)
    assert "canAdminister" not in response.json()


def test_fetch_user_has_no_envelope(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + FETCH_USER, auth=ADMIN, timeout=TIMEOUT)
    assert "success" not in response.json()


# Sessions


def test_expired_session_gets_401(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    emulator.expire_sessions()
    assert query(emulator, json={}, cookies=cookies).status_code == 401


def test_stale_cookie_beats_basic(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(emulator, ADMIN)}
    emulator.expire_sessions()
    response = query(emulator, json={}, cookies=cookies, auth=ADMIN)
    assert response.status_code == 401


def test_unknown_cookie_beats_basic(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": "ABCDEF0123456789ABCDEF0123456789"}
    response = query(emulator, json={}, cookies=cookies, auth=ADMIN)
    assert response.status_code == 401


def test_session_survives_while_used(short_limits: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(short_limits, ADMIN)}
    statuses = []
    for _attempt in range(3):
        time.sleep(0.6)
        statuses.append(query(short_limits, json={}, cookies=cookies).status_code)
    assert statuses == [200, 200, 200]


def test_session_expires_when_idle(short_limits: RunningEmulator) -> None:
    cookies = {"JSESSIONID": session_id(short_limits, ADMIN)}
    time.sleep(1.5)
    assert query(short_limits, json={}, cookies=cookies).status_code == 401


# Lockout


def test_lockout_rejects_right_password(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 10)
    assert query(emulator, json={}, auth=ADMIN).status_code == 401


def test_nine_failures_do_not_lock(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 9)
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_success_resets_failure_count(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 9)
    query(emulator, json={}, auth=ADMIN)
    fail_logins(emulator, "admin", 9)
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_lockout_rejects_token(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 10)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert query(emulator, json={}, headers=headers).status_code == 401


def test_lockout_rejects_login(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 10)
    assert login(emulator, *ADMIN).json() == LOGIN_FAILED


def test_lockout_spares_other_users(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 10)
    assert query(emulator, json={}, auth=VIEWER).status_code == 200


def test_login_failures_count_to_lockout(emulator: RunningEmulator) -> None:
    for _attempt in range(10):
        login(emulator, "admin", "wrong")
    assert query(emulator, json={}, auth=ADMIN).status_code == 401


def test_lockout_threshold_option(short_limits: RunningEmulator) -> None:
    fail_logins(short_limits, "admin", 3)
    assert query(short_limits, json={}, auth=ADMIN).status_code == 401


def test_reset_clears_lockout(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 10)
    emulator.reset()
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


# Paths outside the API


def test_unknown_path_is_404(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + "/api/nothing", timeout=TIMEOUT)
    assert response.status_code == 404


def test_unknown_path_404_is_html(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.url + "/api/nothing", timeout=TIMEOUT)
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_path_without_context_is_404(emulator: RunningEmulator) -> None:
    response = query_without_context(emulator)
    assert response.status_code == 404


def test_path_without_context_is_html(emulator: RunningEmulator) -> None:
    response = query_without_context(emulator)
    assert response.text.startswith("<!doctype html>")


def query_without_context(emulator: RunningEmulator) -> requests.Response:
    url = emulator.base + QUERY
    return requests.post(url, json={}, auth=ADMIN, timeout=TIMEOUT)


def test_root_serves_login_page(emulator: RunningEmulator) -> None:
    response = requests.get(emulator.base + "/", timeout=TIMEOUT)
    assert "j_password" in response.text


def test_home_redirects_to_login(emulator: RunningEmulator) -> None:
    url = emulator.url + "/Home"
    response = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert response.headers["Location"] == "/datafor/Login"


def test_other_context_path_serves_api() -> None:
    with running_emulator(DOCUMENTED_EXAMPLE, context_path="/pentaho") as server:
        response = query(server, json={}, auth=ADMIN)
    assert response.json()["data"][0]["id"] == EXAMPLE_ID


def test_context_path_is_normalized() -> None:
    with running_emulator(DOCUMENTED_EXAMPLE, context_path="pentaho/") as server:
        assert server.url == server.base + "/pentaho"


def test_other_context_path_rejects_datafor() -> None:
    with running_emulator(DOCUMENTED_EXAMPLE, context_path="/pentaho") as server:
        url = server.base + "/datafor" + QUERY
        response = requests.post(url, json={}, auth=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 404


# TLS


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    files = {
        "ca": directory / "ca.pem",
        "cert": directory / "cert.pem",
        "key": directory / "key.pem",
    }
    authority.cert_pem.write_to_path(str(files["ca"]))
    for index, pem in enumerate(issued.cert_chain_pems):
        pem.write_to_path(str(files["cert"]), append=index > 0)
    issued.private_key_pem.write_to_path(str(files["key"]))
    return files


@pytest.fixture(scope="module")
def tls_server(tls_files: dict[str, Path]) -> Iterator[RunningEmulator]:
    tls = (tls_files["cert"], tls_files["key"])
    with running_emulator(
        DOCUMENTED_EXAMPLE, tls=tls, ca_file=tls_files["ca"]
    ) as server:
        yield server


def test_tls_url_is_https(tls_server: RunningEmulator) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")


def test_tls_trusted_ca_works(
    tls_server: RunningEmulator, tls_files: dict[str, Path]
) -> None:
    response = query(tls_server, json={}, auth=ADMIN, verify=str(tls_files["ca"]))
    assert response.json()["data"][0]["id"] == EXAMPLE_ID


def test_tls_untrusted_ca_fails(tls_server: RunningEmulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        query(tls_server, json={}, auth=ADMIN)


def test_tls_server_survives_failed_handshake(
    tls_server: RunningEmulator, tls_files: dict[str, Path]
) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        query(tls_server, json={}, auth=ADMIN)
    response = query(tls_server, json={}, auth=ADMIN, verify=str(tls_files["ca"]))
    assert response.status_code == 200


def test_tls_cookie_is_secure(
    tls_server: RunningEmulator, tls_files: dict[str, Path]
) -> None:
    response = login(tls_server, *ADMIN, verify=str(tls_files["ca"]))
    assert response.headers["Set-Cookie"].endswith("; HttpOnly; Secure")


# Faults


def test_fault_503_with_retry_after(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503, "headers": {"Retry-After": "2"}}])
    response = query(emulator, json={}, auth=ADMIN)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")


def test_fault_429_with_http_date(emulator: RunningEmulator) -> None:
    when = format_datetime(datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc), True)
    emulator.add_faults([{"status": 429, "headers": {"Retry-After": when}}])
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Retry-After"] == "Fri, 04 Dec 2026 12:00:00 GMT"


def test_fault_500_html_body(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 500, "body": "<html>boom</html>"}])
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_fault_200_empty_body(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 200, "body": ""}])
    assert query(emulator, json={}, auth=ADMIN).content == b""


def test_fault_truncated_json(emulator: RunningEmulator) -> None:
    fault = {"status": 200, "body": '{"msg":"","da', "content_type": "application/json"}
    emulator.add_faults([fault])
    with pytest.raises(ValueError):
        query(emulator, json={}, auth=ADMIN).json()


def test_fault_custom_content_type(emulator: RunningEmulator) -> None:
    fault = {"status": 200, "body": "{}", "content_type": "text/plain"}
    emulator.add_faults([fault])
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Content-Type"] == "text/plain"


def test_fault_json_shorthand(emulator: RunningEmulator) -> None:
    document = {"success": False, "code": "500", "type": "1"}
    emulator.add_faults([{"json": document}])
    assert query(emulator, json={}, auth=ADMIN).json() == document


def test_fault_json_not_an_object(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"json": [1, 2, 3]}])
    assert query(emulator, json={}, auth=ADMIN).json() == [1, 2, 3]


def test_fault_json_content_type(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"json": {"success": True}}])
    response = query(emulator, json={}, auth=ADMIN)
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_fault_hang_times_out_client(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "hang", "seconds": 10}])
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        query(emulator, json={}, auth=ADMIN, timeout=0.5)
    assert time.monotonic() - started < 5


def test_fault_hang_does_not_block_others(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "hang", "seconds": 10}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        query(emulator, json={}, auth=ADMIN, timeout=0.5)
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_fault_hang_notices_client_close(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "hang", "seconds": 10}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        query(emulator, json={}, auth=ADMIN, timeout=0.3)
    time.sleep(0.5)
    assert "client closed the connection during a hang fault" in emulator.read_log()


def test_fault_hang_ends_without_response(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "hang", "seconds": 0.3}])
    with pytest.raises(requests.exceptions.ConnectionError):
        query(emulator, json={}, auth=ADMIN)


def test_fault_delay_then_answers(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "delay", "seconds": 0.5}])
    started = time.monotonic()
    query(emulator, json={}, auth=ADMIN)
    assert time.monotonic() - started >= 0.5


def test_fault_reset_breaks_body(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "reset"}])
    broken = (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
    )
    with pytest.raises(broken):
        query(emulator, json={}, auth=ADMIN)


def test_fault_reset_sends_rst(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "reset"}])
    received, error = raw_exchange(emulator)
    assert (received.startswith(b"HTTP/1.1 200"), type(error)) == (
        True,
        ConnectionResetError,
    )


def raw_exchange(emulator: RunningEmulator) -> tuple[bytes, OSError | None]:
    """Send a bare request over a socket and read until the connection ends.

    Returns the bytes read and the error that ended the read, which is None
    after a clean end of stream.
    """
    host, port = emulator.base.rsplit("/", 1)[1].rsplit(":", 1)
    received = b""
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as connection:
        request = f"GET /datafor{FETCH_USER} HTTP/1.1\r\nHost: {host}\r\n\r\n"
        connection.sendall(request.encode())
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return received, None
                received += chunk
        except OSError as error:
            return received, error


def test_fault_close_sends_nothing(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "close"}])
    assert raw_exchange(emulator) == (b"", None)


def test_fault_close_fails_request(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "close"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        query(emulator, json={}, auth=ADMIN)


def test_fault_redirect(emulator: RunningEmulator) -> None:
    location = "http://127.0.0.2:9/x"
    emulator.add_faults([{"action": "redirect", "status": 302, "location": location}])
    response = query(emulator, json={}, auth=ADMIN, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302, location)


def test_fault_is_one_shot(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503}])
    query(emulator, json={}, auth=ADMIN)
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_fault_times_repeats(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 502, "times": 2}])
    statuses = [
        query(emulator, json={}, auth=ADMIN).status_code for _attempt in range(3)
    ]
    assert statuses == [502, 502, 200]


def test_faults_apply_in_order(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 502}, {"status": 504}])
    statuses = [
        query(emulator, json={}, auth=ADMIN).status_code for _attempt in range(3)
    ]
    assert statuses == [502, 504, 200]


def test_fault_path_filter_skips_others(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503, "path": "/log/query"}])
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_fault_path_filter_matches(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503, "path": "/log/query"}])
    url = emulator.url + LOG_QUERY
    assert requests.post(url, json={}, auth=ADMIN, timeout=10).status_code == 503


def test_fault_default_skips_outside_context(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503}])
    requests.get(emulator.base + "/", timeout=TIMEOUT)
    assert query(emulator, json={}, auth=ADMIN).status_code == 503


def test_fault_ignores_credentials(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503}])
    assert query(emulator, json={}).status_code == 503


def test_fault_does_not_count_login(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503}])
    query(emulator, json={}, auth=("admin", "wrong"))
    assert emulator.failed_logins() == {}


def test_fault_delete_clears_queue(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503}])
    emulator.clear_faults()
    assert query(emulator, json={}, auth=ADMIN).status_code == 200


def test_fault_invalid_is_rejected(emulator: RunningEmulator) -> None:
    url = emulator.control_url + "/faults"
    response = requests.post(url, json=[{"action": "explode"}], timeout=TIMEOUT)
    assert response.status_code == 400


def test_fault_queue_is_listed(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"status": 503, "times": 2}])
    response = requests.get(emulator.control_url + "/faults", timeout=TIMEOUT)
    assert response.json() == [{"status": 503, "times": 2}]


# Request log


def test_request_log_holds_no_secrets(emulator: RunningEmulator) -> None:
    cookie = session_id(emulator, ADMIN)
    query(emulator, json={}, auth=ADMIN)
    query(emulator, json={}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    query(emulator, json={}, params={"token": ADMIN_TOKEN})
    query(emulator, json={}, cookies={"JSESSIONID": cookie})
    text = json.dumps(emulator.request_log())
    leaked = [
        secret
        for secret in (ADMIN[1], ADMIN_TOKEN, cookie, basic_header(*ADMIN))
        if secret in text
    ]
    assert leaked == []


def test_stderr_log_holds_no_secrets(emulator: RunningEmulator) -> None:
    cookie = session_id(emulator, ADMIN)
    query(emulator, json={}, params={"token": ADMIN_TOKEN})
    query(emulator, json={}, cookies={"JSESSIONID": cookie})
    query(emulator, json={}, auth=("admin", "typo-secret"))
    log = emulator.read_log()
    leaked = [
        secret for secret in (ADMIN_TOKEN, cookie, "typo-secret") if secret in log
    ]
    assert leaked == []


def test_request_log_authorization_kinds(emulator: RunningEmulator) -> None:
    emulator.clear_request_log()
    query(emulator, json={}, auth=ADMIN)
    query(emulator, json={}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    query(emulator, json={})
    kinds = [entry["authorization"] for entry in emulator.request_log()]
    assert kinds == ["basic", "bearer", "absent"]


def test_request_log_cookie_names(emulator: RunningEmulator) -> None:
    cookies = {"JSESSIONID": "X" * 32, "server-time": "1"}
    query(emulator, json={}, cookies=cookies)
    assert emulator.request_log()[-1]["cookies"] == ["JSESSIONID", "server-time"]


def test_request_log_redacts_token_query(emulator: RunningEmulator) -> None:
    query(emulator, json={}, params={"token": ADMIN_TOKEN, "id": "x"})
    assert emulator.request_log()[-1]["query"] == [["token", "***"], ["id", "x"]]


def test_request_log_body_length(emulator: RunningEmulator) -> None:
    query(emulator, data=b'{"id":"x"}', auth=ADMIN)
    assert emulator.request_log()[-1]["body_length"] == 10


def test_request_log_header_names(emulator: RunningEmulator) -> None:
    query(emulator, json={}, auth=ADMIN)
    assert "Authorization" in emulator.request_log()[-1]["headers"]


def test_request_log_status_and_user(emulator: RunningEmulator) -> None:
    query(emulator, json={}, auth=ADMIN)
    entry = emulator.request_log()[-1]
    assert (entry["status"], entry["user"]) == (200, "admin")


def test_request_log_names_fault(emulator: RunningEmulator) -> None:
    emulator.add_faults([{"action": "close"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        query(emulator, json={})
    assert emulator.request_log()[-1]["fault"] == "close"


def test_request_log_skips_control_calls(emulator: RunningEmulator) -> None:
    emulator.health()
    assert emulator.request_log() == []


def test_request_log_clear(emulator: RunningEmulator) -> None:
    query(emulator, json={})
    emulator.clear_request_log()
    assert emulator.request_log() == []


# Control API


def test_health_reports_counts(emulator: RunningEmulator) -> None:
    health = emulator.health()
    assert (health["status"], health["backup_configs"]) == ("ok", 1)


def test_replace_backup_configs(emulator: RunningEmulator) -> None:
    record = {"id": "f" * 32, "name": "replacement"}
    emulator.set_backup_configs([record])
    assert query(emulator, json={}, auth=ADMIN).json()["data"] == [record]


def test_replace_serves_non_object_elements(emulator: RunningEmulator) -> None:
    record = {"id": "f" * 32, "name": "replacement"}
    emulator.set_backup_configs(["text", 42, record])
    assert query(emulator, json={}, auth=ADMIN).json()["data"] == ["text", 42, record]
    filtered = query(emulator, json={"id": "f" * 32}, auth=ADMIN).json()["data"]
    assert filtered == [record]


def test_replace_rejects_non_list(emulator: RunningEmulator) -> None:
    url = emulator.control_url + "/backup-configs"
    response = requests.post(url, json={"id": "x"}, timeout=TIMEOUT)
    assert response.status_code == 400


def test_replace_backup_logs(emulator: RunningEmulator) -> None:
    record = {"id": "Backup_x", "backupid": EXAMPLE_ID, "status": "2"}
    emulator.set_backup_logs([record])
    url = emulator.url + LOG_QUERY
    response = requests.post(url, json={}, auth=ADMIN, timeout=TIMEOUT)
    assert response.json()["data"] == [record]


def test_reset_restores_backup_configs(emulator: RunningEmulator) -> None:
    emulator.set_backup_configs([])
    emulator.reset()
    assert query(emulator, json={}, auth=ADMIN).json()["data"][0]["id"] == EXAMPLE_ID


def test_generate_100000_configs(emulator: RunningEmulator) -> None:
    started = time.monotonic()
    emulator.generate_backup_configs(100_000)
    records = query(emulator, json={}, auth=ADMIN, timeout=60).json()["data"]
    elapsed = time.monotonic() - started
    assert len({record["id"] for record in records}) == 100_000
    # Measured at about 1.2 seconds on a 2-core machine. The limit leaves room
    # for slower CI machines.
    assert elapsed < 20


def test_generate_covers_schedule_kinds(emulator: RunningEmulator) -> None:
    emulator.generate_backup_configs(8)
    records = query(emulator, json={}, auth=ADMIN).json()["data"]
    assert {schedule_kind(record) for record in records} == {
        "DAILY",
        "WEEKLY",
        "HOURS",
        "CRON",
    }


def test_generate_rejects_bad_count(emulator: RunningEmulator) -> None:
    url = emulator.control_url + "/backup-configs/generate"
    response = requests.post(url, json={"count": -1}, timeout=TIMEOUT)
    assert response.status_code == 400


def test_sessions_expire_counts(emulator: RunningEmulator) -> None:
    session_id(emulator, ADMIN)
    session_id(emulator, VIEWER)
    assert emulator.expire_sessions() == 2


def test_failed_logins_per_user(emulator: RunningEmulator) -> None:
    fail_logins(emulator, "admin", 2)
    fail_logins(emulator, "viewer", 1)
    assert emulator.failed_logins() == {"admin": 2, "viewer": 1}


def test_unknown_control_path_is_404(emulator: RunningEmulator) -> None:
    url = emulator.control_url + "/nothing"
    assert requests.get(url, timeout=TIMEOUT).status_code == 404


# The realistic data file


def test_realistic_demo_backups(realistic: RunningEmulator) -> None:
    records = query(realistic, json={}, auth=AUDITOR).json()["data"]
    enabled = {record["name"]: record["enable"] for record in records}
    expected = {"nightly-full": "1", "weekly-content": "1", "legacy-export": "0"}
    assert {name: enabled.get(name) for name in expected} == expected


def test_realistic_covers_schedule_kinds(realistic: RunningEmulator) -> None:
    records = query(realistic, json={}, auth=AUDITOR).json()["data"]
    assert {schedule_kind(record) for record in records} == SCHEDULE_KINDS


def test_realistic_has_paused_config(realistic: RunningEmulator) -> None:
    records = query(realistic, json={}, auth=AUDITOR).json()["data"]
    assert "PAUSED" in {record["state"] for record in records}


def test_realistic_lacks_some_optional_fields(realistic: RunningEmulator) -> None:
    records = query(realistic, json={}, auth=AUDITOR).json()["data"]
    missing = {
        field
        for record in records
        for field in ("lastRun", "nextRun", "update_time")
        if field not in record
    }
    assert missing == {"lastRun", "nextRun", "update_time"}


def test_realistic_log_statuses(realistic: RunningEmulator) -> None:
    url = realistic.url + LOG_QUERY
    records = requests.post(url, json={}, auth=AUDITOR, timeout=10).json()["data"]
    assert {record["status"] for record in records} == {"0", "1", "2"}


def test_realistic_demo_token(realistic: RunningEmulator) -> None:
    headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.demo.token"}
    assert query(realistic, json={}, headers=headers).json()["success"] is True


def test_realistic_viewer_gets_403(realistic: RunningEmulator) -> None:
    response = query(realistic, json={}, auth=("viewer", "viewer-secret-1"))
    assert response.json() == NO_PERMISSION


# Command line


def run_emulator_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(EMULATOR_SCRIPT), *arguments]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=30, check=False
    )


def test_cli_writes_url_file(tmp_path: Path) -> None:
    url_file = tmp_path / "url.txt"
    arguments = ["--url-file", str(url_file)]
    with running_emulator(DOCUMENTED_EXAMPLE, extra_args=arguments) as server:
        assert url_file.read_text(encoding="utf-8") == server.url + "\n"


def test_cli_sigterm_exits_zero() -> None:
    with running_emulator(DOCUMENTED_EXAMPLE) as server:
        process = server.process
        assert stop_process(process) == 0


def test_cli_logs_stop() -> None:
    with running_emulator(DOCUMENTED_EXAMPLE) as server:
        stop_process(server.process)
        assert server.read_log().rstrip().endswith("stopped")


def test_cli_rejects_public_host() -> None:
    result = run_emulator_command(
        "--data", str(DOCUMENTED_EXAMPLE), "--host", "192.0.2.1"
    )
    assert result.returncode == 2


def test_cli_rejects_missing_data_file(tmp_path: Path) -> None:
    result = run_emulator_command("--data", str(tmp_path / "missing.json"))
    assert result.returncode == 2


def test_cli_rejects_malformed_data_file(tmp_path: Path) -> None:
    data_file = tmp_path / "bad.json"
    data_file.write_text('{"users": [{"username": "x"}]}', encoding="utf-8")
    result = run_emulator_command("--data", str(data_file))
    assert "'password' must be a string" in result.stderr


def test_cli_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6 support")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("::1 is not configured on this machine")
    with running_emulator(DOCUMENTED_EXAMPLE, host="::1") as server:
        response = query(server, json={}, auth=ADMIN)
    assert response.json()["data"][0]["id"] == EXAMPLE_ID
