"""End-to-end tests of record contents the module must survive.

Odd records are loaded into the emulator, the module runs through
ansible-playbook, and the registered result is read back as JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from e2e_helpers import PlaybookRunner, connection_vars
from emulator_process import RunningEmulator

DOCUMENTED_KEYS = {
    "id",
    "name",
    "enabled",
    "state",
    "folder",
    "contents",
    "trigger",
    "schedule",
    "next_run",
    "next_run_epoch",
    "last_run",
    "last_run_epoch",
    "job_id",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "raw",
}
LONG_NAME = "Sicherung " + "ä" * 5000 + " 备份"
DAILY = '{"complexJobTrigger":{"uiPassParam":"DAILY","repeatInterval":86400}}'


def record(record_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": record_id, "name": f"odd-{record_id}", **fields}


ODD_RECORDS = [
    record("enable-int-1", enable=1),
    record("enable-true", enable=True),
    record("enable-text-true", enable="true"),
    record("enable-text-0", enable="0"),
    record("enable-2", enable="2"),
    record("next-run-text", nextRun="1740712320000"),
    record("next-run-negative", nextRun=-1),
    record("next-run-words", nextRun="tomorrow"),
    record("cron-not-json", cron="{complexJobTrigger: DAILY"),
    record("cron-list", cron="[1, 2]"),
    record(
        "cron-unknown-type",
        cron='{"simpleJobTrigger":{"uiPassParam":"FORTNIGHTLY"}}',
    ),
    record("config-not-json", config="[{id: db}]"),
    record("config-object", config='{"id": "db"}'),
    record("all-null", **dict.fromkeys(["enable", "cron", "config", "nextRun"])),
    {},
    record("long-name", name=LONG_NAME, enable="1", cron=DAILY),
    record("state-number", state=3),
    record("time-format", add_time="15/11/2024 11:02", update_time=20250227),
    "not an object",
    42,
]


def capture(
    run_playbook: PlaybookRunner,
    emulator: RunningEmulator,
    tmp_path: Path,
    summary_only: bool = False,
    **options: Any,
) -> dict[str, Any]:
    output_file = tmp_path / "outcome.json"
    extra_vars = connection_vars(
        emulator,
        options=options,
        output_file=str(output_file),
        summary_only=summary_only,
    )

    result = run_playbook("capture.yml", extra_vars)

    assert result.returncode == 0, result.explain()
    outcome: dict[str, Any] = json.loads(output_file.read_text(encoding="utf-8"))
    return outcome


def by_id(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {backup["raw"].get("id", "#14"): backup for backup in outcome["backups"]}


def test_odd_records_normalised(run_playbook, emulator, tmp_path):
    emulator.set_backup_configs(ODD_RECORDS)

    outcome = capture(run_playbook, emulator, tmp_path)
    backups = by_id(outcome)

    assert outcome.get("failed", False) is False
    assert len(outcome["backups"]) == 18
    assert all(set(backup) == DOCUMENTED_KEYS for backup in outcome["backups"])
    assert [backup["raw"] for backup in outcome["backups"]] == ODD_RECORDS[:18]
    assert backups["enable-int-1"]["enabled"] is True
    assert backups["enable-true"]["enabled"] is True
    assert backups["enable-text-true"]["enabled"] is True
    assert backups["enable-text-0"]["enabled"] is False
    assert backups["enable-2"]["enabled"] is None
    assert backups["next-run-text"]["next_run"] == "2025-02-28T03:12:00Z"
    assert backups["next-run-text"]["next_run_epoch"] == 1740712320
    assert backups["next-run-negative"]["next_run"] is None
    assert backups["next-run-words"]["next_run_epoch"] is None
    assert backups["cron-not-json"]["schedule"] is None
    assert backups["cron-list"]["schedule"] is None
    assert backups["cron-unknown-type"]["schedule"]["type"] == "FORTNIGHTLY"
    assert backups["config-not-json"]["contents"] == []
    assert backups["config-object"]["contents"] == []
    assert backups["all-null"]["contents"] == []
    assert backups["#14"]["id"] is None
    assert backups["long-name"]["name"] == LONG_NAME
    assert backups["long-name"]["schedule"]["repeat_interval"] == 86400
    assert backups["state-number"]["state"] is None
    assert backups["time-format"]["created_at"] is None
    assert backups["time-format"]["updated_at"] is None


def test_odd_records_warn_once_per_kind(run_playbook, emulator, tmp_path):
    emulator.set_backup_configs(ODD_RECORDS)

    warnings = capture(run_playbook, emulator, tmp_path)["warnings"]
    expected_starts = [
        "1 backup config record with an 'enable' other than",
        "1 backup config record with a negative or out-of-range 'nextRun'",
        "1 backup config record with a 'nextRun' that is not epoch milliseconds",
        "1 backup config record with a 'cron' that is not valid JSON",
        "1 backup config record with a 'cron' that holds no trigger object",
        "1 backup config record with an unknown 'uiPassParam'",
        "1 backup config record with a 'config' that is not valid JSON",
        "1 backup config record with a 'config' that is not a list of objects",
        "1 backup config record with a 'state' that is not text",
        "1 backup config record with an 'add_time' not of the form",
        "1 backup config record with an 'update_time' of an unexpected type",
        "2 backup config records with a value that is not a JSON object (#18, #19)",
    ]

    for start in expected_starts:
        assert sum(warning.startswith(start) for warning in warnings) == 1, start
    assert len(warnings) == len(expected_starts)


def test_filter_limits_warnings(run_playbook, emulator, tmp_path):
    emulator.set_backup_configs(ODD_RECORDS)

    outcome = capture(run_playbook, emulator, tmp_path, name=["odd-enable-2"])

    assert [backup["id"] for backup in outcome["backups"]] == ["enable-2"]
    assert len(outcome["warnings"]) == 2
    assert outcome["warnings"][0].startswith("2 backup config records with a value")


def test_hundred_thousand_records_all(run_playbook, emulator, tmp_path):
    emulator.generate_backup_configs(100_000)

    summary = capture(run_playbook, emulator, tmp_path, summary_only=True)

    assert int(summary["count"]) == 100_000
    assert int(summary["disabled"]) == 20_000
    assert summary["last_name"] == "generated-099999"
    assert summary["warnings"] == []


def test_hundred_thousand_records_filtered(run_playbook, emulator, tmp_path):
    emulator.generate_backup_configs(100_000)

    started = time.monotonic()
    outcome = capture(
        run_playbook, emulator, tmp_path, name=["generated-099999", "generated-000000"]
    )
    elapsed = time.monotonic() - started

    names = [backup["name"] for backup in outcome["backups"]]
    assert names == ["generated-000000", "generated-099999"]
    assert outcome["missing"] == []
    assert "warnings" not in outcome
    # NOTE: a bound against hangs, not a benchmark; docs/benchmarks.md has timings.
    assert elapsed < 120
