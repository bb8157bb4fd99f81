# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafor.platform.plugins.module_utils.client import (
    DataforClient,
)
from ansible_collections.datafor.platform.plugins.modules import datafor_backup_info
from ansible_collections.datafor.platform.tests.unit.fakes import (
    AUTH_PARAMS,
    BASE_URL,
    BASIC_VALUE,
    DEFAULT_OPEN_URL_KWARGS,
    DOCUMENTED_ELEMENT_FIELDS,
    PASSWORD,
    QUERY_URL,
    SECRETS,
    TOKEN,
    FakeOpener,
    FakeSleep,
    http_error,
    json_response,
    load_fixture,
    raw_response,
    success_envelope,
    write_ca_file,
)

EXAMPLE_ID = "51b51905fc0b482f995f0f32b48105ba"


class ModuleExit(Exception):
    """Raised by the patched exit_json and fail_json to end main()."""

    def __init__(self, failed: bool, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.failed = failed
        self.result = result


@dataclass
class ModuleRun:
    """What one run of main() returned, warned and sent."""

    failed: bool
    result: dict[str, Any]
    warnings: list[str]
    opener: FakeOpener
    sleep: FakeSleep = field(repr=False)


def example_envelope():
    return load_fixture("query-backup-configs.json")


def example_record():
    return copy.deepcopy(example_envelope()["data"][0])


def expected_element(record):
    return {**DOCUMENTED_ELEMENT_FIELDS, "raw": record}


def record_with(record_id, name, **fields):
    record = example_record()
    record.update(id=record_id, name=name, **fields)
    return record


@pytest.fixture
def run_module(monkeypatch, set_module_args):
    """Return a function that runs main() with arguments and queued responses."""

    def run(args: dict[str, Any], *outcomes: Any) -> ModuleRun:
        opener = FakeOpener(*outcomes)
        sleep = FakeSleep()
        warnings: list[str] = []

        def exit_json(module, **result):
            raise ModuleExit(False, result)

        def fail_json(module, **result):
            raise ModuleExit(True, result)

        def warn(module, warning, **kwargs):
            warnings.append(warning)

        monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
        monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
        monkeypatch.setattr(AnsibleModule, "warn", warn)
        # DataforClient binds open_url as a default argument when the class is
        # defined, so patching open_url in the client module would not reach
        # it. The module's DataforClient is replaced instead.
        monkeypatch.setattr(
            datafor_backup_info,
            "DataforClient",
            functools.partial(DataforClient, opener=opener, sleep=sleep),
        )
        set_module_args(args)

        with pytest.raises(ModuleExit) as caught:
            datafor_backup_info.main()
        return ModuleRun(
            caught.value.failed, caught.value.result, warnings, opener, sleep
        )

    return run


def module_args(auth="basic", **options):
    args = {"url": BASE_URL, **AUTH_PARAMS[auth]}
    args.update(options)
    return args


# Success


def test_all_backups_result(run_module):
    envelope = example_envelope()

    run = run_module(module_args(), json_response(envelope))

    assert run.failed is False
    assert run.result == {
        "changed": False,
        "backups": [expected_element(envelope["data"][0])],
    }
    assert run.warnings == []


def test_request_sent(run_module):
    run = run_module(module_args(), json_response(example_envelope()))
    call = run.opener.calls[0]

    assert len(run.opener.calls) == 1
    assert call.url == QUERY_URL
    assert call.kwargs == DEFAULT_OPEN_URL_KWARGS


def test_check_mode_same_result(run_module):
    normal = run_module(module_args(), json_response(example_envelope()))
    checked = run_module(
        module_args(_ansible_check_mode=True), json_response(example_envelope())
    )

    assert checked.failed is False
    assert checked.result == normal.result
    assert checked.opener.calls == normal.opener.calls


def test_empty_list_result(run_module):
    run = run_module(module_args(), json_response(success_envelope([])))

    assert run.result == {"changed": False, "backups": []}


def test_connection_options_sent(run_module, tmp_path):
    ca_file = write_ca_file(tmp_path)
    args = module_args(
        "token",
        url="http://bi.internal:8080/pentaho/",
        validate_certs=False,
        ca_path=str(ca_file),
        timeout=5,
        use_proxy=False,
    )

    run = run_module(args, json_response(success_envelope([])))
    call = run.opener.calls[0]

    assert call.url == "http://bi.internal:8080/pentaho/plugin/datafor-backup/api/query"
    assert call.kwargs["headers"]["Authorization"] == "Bearer " + TOKEN
    assert call.kwargs["validate_certs"] is False
    assert call.kwargs["ca_path"] == str(ca_file)
    assert call.kwargs["timeout"] == 5
    assert call.kwargs["use_proxy"] is False


def test_environment_fallbacks(run_module, monkeypatch):
    monkeypatch.setenv("DATAFOR_URL", "https://env.example.com/datafor")
    monkeypatch.setenv("DATAFOR_TOKEN", TOKEN)

    run = run_module({}, json_response(success_envelope([])))
    call = run.opener.calls[0]

    assert run.failed is False
    assert call.url == "https://env.example.com/datafor/plugin/datafor-backup/api/query"
    assert call.kwargs["headers"]["Authorization"] == "Bearer " + TOKEN


def test_environment_basic_credentials(run_module, monkeypatch):
    monkeypatch.setenv("DATAFOR_USERNAME", "backup-auditor")
    monkeypatch.setenv("DATAFOR_PASSWORD", PASSWORD)

    run = run_module({"url": BASE_URL}, json_response(success_envelope([])))

    assert run.opener.calls[0].kwargs["headers"]["Authorization"] == (
        "Basic " + BASIC_VALUE
    )


# Filters


def filtered_envelope():
    return success_envelope(
        [
            record_with("a1", "nightly-full"),
            record_with("b2", "weekly-content"),
            record_with("c3", "nightly-full"),
        ]
    )


def test_filter_by_name(run_module):
    envelope = filtered_envelope()

    run = run_module(
        module_args(name=["nightly-full", "yearly"]), json_response(envelope)
    )

    assert [backup["id"] for backup in run.result["backups"]] == ["a1", "c3"]
    assert run.result["missing"] == ["yearly"]
    assert run.result["changed"] is False


def test_filter_by_id(run_module):
    run = run_module(
        module_args(id=["c3", "b2", "zz"]), json_response(filtered_envelope())
    )

    assert [backup["id"] for backup in run.result["backups"]] == ["b2", "c3"]
    assert run.result["missing"] == ["zz"]


def test_filter_name_or_id(run_module):
    run = run_module(
        module_args(name=["weekly-content"], id=["a1"]),
        json_response(filtered_envelope()),
    )

    assert [backup["id"] for backup in run.result["backups"]] == ["a1", "b2"]
    assert run.result["missing"] == []


def test_filter_all_found(run_module):
    run = run_module(module_args(name=["ll"]), json_response(example_envelope()))

    assert run.result["missing"] == []
    assert len(run.result["backups"]) == 1


def test_filter_nothing_found(run_module):
    run = run_module(
        module_args(name=["nightly-full"]), json_response(success_envelope([]))
    )

    assert run.result == {
        "changed": False,
        "backups": [],
        "missing": ["nightly-full"],
    }


def test_filter_comma_string(run_module):
    run = run_module(
        module_args(name="weekly-content,yearly"), json_response(filtered_envelope())
    )

    assert [backup["id"] for backup in run.result["backups"]] == ["b2"]
    assert run.result["missing"] == ["yearly"]


# Warnings


def test_warning_once_per_kind(run_module):
    envelope = success_envelope(
        [
            record_with("a1", "one", enable="2"),
            record_with("b2", "two", enable="yes", nextRun=-1),
            record_with("c3", "three", nextRun="soon"),
            record_with("d4", "four", enable="maybe"),
        ]
    )

    run = run_module(module_args(), json_response(envelope))

    assert run.warnings == [
        '3 backup config records with an \'enable\' other than "1" or "0" '
        "(a1, b2, d4): enabled is null. The original is kept in raw.",
        "1 backup config record with a negative or out-of-range 'nextRun' (b2): "
        "next_run is null. The original is kept in raw.",
        "1 backup config record with a 'nextRun' that is not epoch milliseconds "
        "(c3): next_run is null. The original is kept in raw.",
    ]
    assert [backup["enabled"] for backup in run.result["backups"]] == [
        None,
        None,
        True,
        None,
    ]


def test_warning_only_for_selected(run_module):
    envelope = success_envelope(
        [record_with("a1", "good"), record_with("b2", "odd", enable="2")]
    )

    run = run_module(module_args(name=["good"]), json_response(envelope))

    assert run.warnings == []


def test_warning_data_null(run_module):
    run = run_module(module_args(), json_response(success_envelope(None)))

    assert run.result == {"changed": False, "backups": []}
    assert run.warnings == [
        "The server answered 'data: null', which is read as no backup configs."
    ]


def test_warning_non_object_records(run_module):
    envelope = success_envelope([example_record(), "ll", None])

    run = run_module(module_args(), json_response(envelope))

    assert len(run.result["backups"]) == 1
    assert run.warnings == [
        "2 backup config records with a value that is not a JSON object "
        "(#1, #2): left out of backups."
    ]


def test_warning_after_retry(run_module):
    run = run_module(
        module_args(), http_error(503), json_response(success_envelope([]))
    )

    assert run.failed is False
    assert run.sleep.delays == [1.0]
    assert run.warnings == [
        "try 1 of 4 failed (HTTP 503 Service Unavailable); retrying in 1 s"
    ]


# Failures


def test_failure_authentication(run_module):
    run = run_module(module_args(retries=3), http_error(401))

    assert run.failed is True
    assert run.result["msg"].startswith(
        f"POST {QUERY_URL} failed: HTTP 401 Unauthorized. Authentication failed"
    )
    assert run.result["error"] == {
        "kind": "authentication",
        "method": "POST",
        "url": QUERY_URL,
        "status": 401,
        "server_msg": None,
        "server_code": None,
        "tries": None,
    }
    assert len(run.opener.calls) == 1
    assert "exception" not in run.result
    assert "Traceback" not in run.result["msg"]


def test_failure_permission(run_module):
    run = run_module(
        module_args(),
        json_response({"success": False, "code": 403, "msg": "no permission"}),
    )

    assert run.failed is True
    assert "The user is not an Administrator" in run.result["msg"]
    assert run.result["error"]["kind"] == "permission"
    assert run.result["error"]["server_code"] == "403"


def test_failure_after_retries(run_module):
    run = run_module(
        module_args(retries=2), *[http_error(503) for _attempt in range(3)]
    )

    assert run.failed is True
    assert "failed after 3 tries" in run.result["msg"]
    assert run.result["error"]["tries"] == 3
    assert run.sleep.delays == [1.0, 2.0]


def test_failure_options_no_request(run_module):
    run = run_module(module_args(token=TOKEN))

    assert run.failed is True
    assert run.result["msg"].startswith(
        "More than one way to authenticate was given: username/password, token."
    )
    assert run.result["error"]["kind"] == "options"
    assert run.opener.calls == []


def test_failure_missing_url(run_module, monkeypatch):
    monkeypatch.delenv("DATAFOR_URL", raising=False)

    run = run_module({"token": TOKEN})

    assert run.failed is True
    assert "url" in run.result["msg"]
    assert run.opener.calls == []


def test_failure_unknown_option(run_module):
    run = run_module(module_args(names=["ll"]))

    assert run.failed is True
    assert "names" in run.result["msg"]
    assert run.opener.calls == []


FAILURE_OUTCOMES = {
    "http_401": lambda: [http_error(401)],
    "http_500": lambda: [http_error(500, "<title>Error</title>")],
    "http_503": lambda: [http_error(503) for _attempt in range(4)],
    "refused": lambda: [
        ConnectionRefusedError(111, "refused") for _attempt in range(4)
    ],
    "html": lambda: [raw_response("<html><title>Login</title></html>", "text/html")],
    "permission": lambda: [json_response({"success": False, "code": "403"})],
    "no_data": lambda: [json_response({"success": True})],
}


@pytest.mark.parametrize("auth", sorted(AUTH_PARAMS))
@pytest.mark.parametrize("kind", sorted(FAILURE_OUTCOMES))
def test_failure_hides_secrets(run_module, kind, auth):
    run = run_module(module_args(auth), *FAILURE_OUTCOMES[kind]())
    shown = repr(run.result) + repr(run.warnings)

    assert run.failed is True
    assert "exception" not in run.result
    for secret in SECRETS:
        assert secret not in shown
