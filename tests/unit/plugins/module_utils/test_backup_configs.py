# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.datafor.platform.plugins.module_utils.backup_configs import (
    CUT_MARKER,
    DATA_NULL_WARNING,
    MAX_EPOCH_MS,
    MAX_NESTING,
    Oddity,
    QueryResult,
    build_backup_facts,
    describe_oddities,
    normalise_backup_config,
    query_backup_configs,
    records_from_envelope,
    select_backups,
    snake_case,
)
from ansible_collections.datafor.platform.plugins.module_utils.client import (
    DataforClient,
)
from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforError,
    DataforResponseError,
)
from ansible_collections.datafor.platform.tests.unit.fakes import (
    BASIC_VALUE,
    DOCUMENTED_ELEMENT_FIELDS,
    QUERY_URL,
    FakeOpener,
    FakeSleep,
    json_response,
    load_fixture,
    make_settings,
    success_envelope,
)

EXAMPLE_ID = "51b51905fc0b482f995f0f32b48105ba"
ELEMENT_KEYS = {
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
EMPTY_SCHEDULE = {
    "type": None,
    "start_time": None,
    "end_time": None,
    "repeat_interval": None,
    "repeat_count": None,
    "cron_string": None,
}


def example_record():
    """Return a fresh copy of the documented example backup config record."""
    return copy.deepcopy(load_fixture("query-backup-configs.json")["data"][0])


def normalise(**fields):
    """Normalise the example record with some fields replaced."""
    record = example_record()
    record.update(fields)
    return normalise_backup_config(record)


def oddity_kinds(oddities):
    return [oddity.kind for oddity in oddities]


# build_backup_facts


def test_facts_warn_only_for_selected():
    good = example_record()
    odd = {**example_record(), "id": "b" * 32, "name": "odd", "enable": "2"}
    query = QueryResult(records=[good, odd], oddities=[Oddity("not_object", "#2")])

    facts = build_backup_facts(query, ["ll"], None)

    assert [backup["name"] for backup in facts.backups] == ["ll"]
    assert facts.missing == []
    assert len(facts.warnings) == 1
    assert facts.warnings[0].startswith("1 backup config record with a value that")


def test_facts_without_filter_warn_for_all():
    odd = {**example_record(), "enable": "2"}

    facts = build_backup_facts(QueryResult(records=[odd]), None, None)

    assert facts.missing is None
    assert len(facts.backups) == 1
    assert facts.warnings[0].startswith("1 backup config record with an 'enable'")


# Hostile values


@pytest.mark.parametrize("key", ["nextRun", "lastRun"])
def test_epoch_text_too_long(key):
    element, oddities = normalise(**{key: "1" * 5000})

    assert element[snake_case(key)] is None
    assert oddity_kinds(oddities) == [f"{key}_range"]


def test_server_time_other_digits():
    element, oddities = normalise(
        add_time="\uff12\uff10\uff12\uff14-01-01 10:00:00.000"
    )

    assert element["created_at"] is None
    assert oddity_kinds(oddities) == ["add_time_format"]


def test_deep_raw_value_cut():
    deep = []
    for _level in range(500):
        deep = [deep]

    element, oddities = normalise(extra=deep)
    cut = element["raw"]["extra"]
    for _level in range(MAX_NESTING - 1):
        cut = cut[0]

    assert cut == CUT_MARKER
    assert oddity_kinds(oddities) == ["nesting"]
    assert element["raw"]["name"] == "ll"


def test_deep_schedule_value_cut():
    deep = {}
    for _level in range(200):
        deep = {"x": deep}
    cron = json.dumps({"complexJobTrigger": {"uiPassParam": "DAILY", "extra": deep}})

    element, oddities = normalise(cron=cron)

    assert element["schedule"]["type"] == "DAILY"
    assert oddity_kinds(oddities) == ["nesting"]


def test_shallow_values_kept_whole():
    nested = {"a": [{"b": [1, 2, {"c": "d"}]}]}

    element, oddities = normalise(extra=nested)

    assert element["raw"]["extra"] == nested
    assert oddities == []


def test_schedule_type_from_ui_pass_param():
    cron = '{"complexJobTrigger": {"uiPassParam": "DAILY", "type": "X"}}'

    element, oddities = normalise(cron=cron)

    assert element["schedule"]["type"] == "DAILY"
    assert oddities == []


def test_describe_escapes_control_characters():
    warnings = describe_oddities([Oddity("enable", "\x1b[31mEVIL\n[WARNING]: fake")])

    assert "\x1b" not in warnings[0]
    assert "\n" not in warnings[0]
    assert "\\x1b[31mEVIL\\n[WARNING]: fake" in warnings[0]


# The documented example


def test_example_record_element():
    record = example_record()

    element, oddities = normalise_backup_config(record)

    assert element == {**DOCUMENTED_ELEMENT_FIELDS, "raw": record}
    assert oddities == []


def test_example_record_raw_is_input():
    record = example_record()

    element, _unused = normalise_backup_config(record)

    assert element["raw"] is record
    assert record == example_record()


# Missing fields

# API field: the element fields it feeds, and their value when it is missing.
MISSING_FIELD_RESULTS = {
    "id": {"id": None},
    "name": {"name": None},
    "enable": {"enabled": None},
    "state": {"state": None},
    "folder": {"folder": None},
    "config": {"contents": []},
    "trigger": {"trigger": None},
    "cron": {"schedule": None},
    "nextRun": {"next_run": None, "next_run_epoch": None},
    "jobid": {"job_id": None},
    "add_by": {"created_by": None},
    "add_time": {"created_at": None},
    "update_by": {"updated_by": None},
    "update_time": {"updated_at": None},
}


@pytest.mark.parametrize("field", sorted(MISSING_FIELD_RESULTS))
def test_missing_field_is_null(field):
    record = example_record()
    del record[field]

    element, oddities = normalise_backup_config(record)

    assert element == {
        **DOCUMENTED_ELEMENT_FIELDS,
        **MISSING_FIELD_RESULTS[field],
        "raw": record,
    }
    assert oddities == []


@pytest.mark.parametrize("field", sorted(MISSING_FIELD_RESULTS))
def test_null_field_is_null(field):
    element, oddities = normalise(**{field: None})

    for key, value in MISSING_FIELD_RESULTS[field].items():
        assert element[key] == value
    assert oddities == []


def test_empty_record_element():
    element, oddities = normalise_backup_config({})

    assert element == {
        "id": None,
        "name": None,
        "enabled": None,
        "state": None,
        "folder": None,
        "contents": [],
        "trigger": None,
        "schedule": None,
        "next_run": None,
        "next_run_epoch": None,
        "last_run": None,
        "last_run_epoch": None,
        "job_id": None,
        "created_by": None,
        "created_at": None,
        "updated_by": None,
        "updated_at": None,
        "raw": {},
    }
    assert oddities == []


def test_extra_field_kept_in_raw():
    record = example_record()
    record["tenantId"] = "default"

    element, oddities = normalise_backup_config(record)

    assert element["raw"]["tenantId"] == "default"
    assert set(element) == ELEMENT_KEYS
    assert oddities == []


# enable


@pytest.mark.parametrize(
    ("enable", "enabled"),
    [
        ("1", True),
        ("0", False),
        (" 1 ", True),
        (1, True),
        (0, False),
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("False", False),
    ],
)
def test_enable_readable(enable, enabled):
    element, oddities = normalise(enable=enable)

    assert element["enabled"] is enabled
    assert oddities == []


@pytest.mark.parametrize("enable", ["2", "yes", "", 2, -1, 1.0, [], {}, ["1"]])
def test_enable_unreadable(enable):
    element, oddities = normalise(enable=enable)

    assert element["enabled"] is None
    assert oddities == [Oddity("enable", EXAMPLE_ID)]


# nextRun and lastRun


@pytest.mark.parametrize(
    ("next_run", "iso", "epoch"),
    [
        (1740712320000, "2025-02-28T03:12:00Z", 1740712320),
        ("1740712320000", "2025-02-28T03:12:00Z", 1740712320),
        (" 1740712320000 ", "2025-02-28T03:12:00Z", 1740712320),
        (1740712320000.0, "2025-02-28T03:12:00Z", 1740712320),
        (1740712320123, "2025-02-28T03:12:00.123Z", 1740712320),
        (1740712320007, "2025-02-28T03:12:00.007Z", 1740712320),
        (0, "1970-01-01T00:00:00Z", 0),
        (MAX_EPOCH_MS, "9999-12-31T23:59:59.999Z", 253402300799),
    ],
)
def test_next_run_readable(next_run, iso, epoch):
    element, oddities = normalise(nextRun=next_run)

    assert element["next_run"] == iso
    assert element["next_run_epoch"] == epoch
    assert oddities == []


@pytest.mark.parametrize(
    ("next_run", "kind"),
    [
        (-1, "nextRun_range"),
        ("-1", "nextRun_range"),
        (-1740712320000, "nextRun_range"),
        (MAX_EPOCH_MS + 1, "nextRun_range"),
        (10**30, "nextRun_range"),
        (1e300, "nextRun_range"),
        (1740712320000.5, "nextRun_type"),
        (float("inf"), "nextRun_type"),
        (float("nan"), "nextRun_type"),
        ("soon", "nextRun_type"),
        ("1740712320000.0", "nextRun_type"),
        ("2025-02-28T03:12:00Z", "nextRun_type"),
        (True, "nextRun_type"),
        ([1740712320000], "nextRun_type"),
        ({}, "nextRun_type"),
    ],
)
def test_next_run_unreadable(next_run, kind):
    element, oddities = normalise(nextRun=next_run)

    assert element["next_run"] is None
    assert element["next_run_epoch"] is None
    assert oddities == [Oddity(kind, EXAMPLE_ID)]


def test_next_run_empty_string():
    element, oddities = normalise(nextRun="")

    assert element["next_run"] is None
    assert oddities == []


def test_last_run_readable():
    element, oddities = normalise(lastRun=1740539520205)

    assert element["last_run"] == "2025-02-26T03:12:00.205Z"
    assert element["last_run_epoch"] == 1740539520
    assert oddities == []


@pytest.mark.parametrize(
    ("last_run", "kind"), [(-1, "lastRun_range"), ("never", "lastRun_type")]
)
def test_last_run_unreadable(last_run, kind):
    element, oddities = normalise(lastRun=last_run)

    assert element["last_run"] is None
    assert element["last_run_epoch"] is None
    assert oddities == [Oddity(kind, EXAMPLE_ID)]


# config


@pytest.mark.parametrize(
    ("config", "contents"),
    [
        ('[{"id":"upload"}]', ["upload"]),
        ('[{"id": "db"}, {"id": "upload"}, {"id": "file"}]', ["db", "upload", "file"]),
        ('[{"id": "db", "settings": {"users": true}}]', ["db"]),
        ('["db", "upload"]', ["db", "upload"]),
        ([{"id": "db"}], ["db"]),
        ('[{"id": 7}]', ["7"]),
        ("[]", []),
        ("", []),
    ],
)
def test_config_contents(config, contents):
    element, oddities = normalise(config=config)

    assert element["contents"] == contents
    assert oddities == []


@pytest.mark.parametrize(
    ("config", "contents", "kinds"),
    [
        ('[{"id": "db"', [], ["config_json"]),
        ("db,upload", [], ["config_json"]),
        ('{"id": "db"}', [], ["config_shape"]),
        ('"db"', [], ["config_shape"]),
        ("null", [], ["config_shape"]),
        (5, [], ["config_shape"]),
        ({"id": "db"}, [], ["config_shape"]),
        ('[{"name": "x"}, {"id": "db"}]', ["db"], ["config_shape"]),
        ('[{"id": null}, {"id": "db"}, []]', ["db"], ["config_shape", "config_shape"]),
        ('[true, {"id": "upload"}]', ["upload"], ["config_shape"]),
    ],
)
def test_config_odd(config, contents, kinds):
    element, oddities = normalise(config=config)

    assert element["contents"] == contents
    assert oddity_kinds(oddities) == kinds


# cron and schedule


def trigger_json(wrapper, **trigger):
    return json.dumps({wrapper: trigger} if wrapper else trigger)


def test_schedule_simple_trigger():
    cron = trigger_json(
        "simpleJobTrigger",
        uiPassParam="RUN_ONCE",
        startTime="2025-03-01T02:00:00.000+08:00",
        endTime=None,
        repeatInterval=0,
        repeatCount=0,
    )

    element, oddities = normalise(cron=cron)

    assert element["schedule"] == {
        "type": "RUN_ONCE",
        "start_time": "2025-03-01T02:00:00.000+08:00",
        "end_time": None,
        "repeat_interval": 0,
        "repeat_count": 0,
        "cron_string": None,
    }
    assert oddities == []


def test_schedule_cron_trigger():
    cron = trigger_json(
        "cronJobTrigger", uiPassParam="CRON", cronString="0 0 2 * * ? *"
    )

    element, _unused = normalise(cron=cron)

    assert element["schedule"] == {
        **EMPTY_SCHEDULE,
        "type": "CRON",
        "cron_string": "0 0 2 * * ? *",
    }


def test_schedule_bare_trigger():
    cron = trigger_json(
        None,
        uiPassParam="WEEKLY",
        daysOfWeek=["1", "3", "5"],
        startTime="2025-03-03T01:00:00.000+08:00",
    )

    element, oddities = normalise(cron=cron)

    assert element["schedule"] == {
        **EMPTY_SCHEDULE,
        "type": "WEEKLY",
        "start_time": "2025-03-03T01:00:00.000+08:00",
        "days_of_week": ["1", "3", "5"],
    }
    assert oddities == []


def test_schedule_decoded_object():
    element, _unused = normalise(cron={"complexJobTrigger": {"uiPassParam": "MONTHLY"}})

    assert element["schedule"] == {**EMPTY_SCHEDULE, "type": "MONTHLY"}


def test_schedule_wrapper_with_extra_key():
    cron = json.dumps({"complexJobTrigger": {"uiPassParam": "DAILY"}, "duration": -1})

    element, oddities = normalise(cron=cron)

    assert element["schedule"] == {**EMPTY_SCHEDULE, "type": "DAILY"}
    assert oddities == []


@pytest.mark.parametrize(
    "type_name",
    [
        "RUN_ONCE",
        "SECONDS",
        "MINUTES",
        "HOURS",
        "DAILY",
        "WEEKLY",
        "MONTHLY",
        "YEARLY",
        "CRON",
    ],
)
def test_schedule_known_types(type_name):
    element, oddities = normalise(
        cron=trigger_json("complexJobTrigger", uiPassParam=type_name)
    )

    assert element["schedule"]["type"] == type_name
    assert oddities == []


@pytest.mark.parametrize("type_name", ["FORTNIGHTLY", "daily", "", 3])
def test_schedule_unknown_type(type_name):
    element, oddities = normalise(
        cron=trigger_json("complexJobTrigger", uiPassParam=type_name)
    )

    assert element["schedule"]["type"] == type_name
    assert oddities == [Oddity("schedule_type", EXAMPLE_ID)]


@pytest.mark.parametrize("type_name", [["DAILY"], {"name": "DAILY"}])
def test_schedule_unhashable_type(type_name):
    element, oddities = normalise(
        cron=trigger_json("complexJobTrigger", uiPassParam=type_name)
    )

    assert element["schedule"]["type"] == type_name
    assert oddities == [Oddity("schedule_type", EXAMPLE_ID)]


@pytest.mark.parametrize(
    ("cron", "kind"),
    [
        ('{"complexJobTrigger": {', "cron_json"),
        ("0 12 11 */3 * ? *", "cron_json"),
        ("[]", "cron_shape"),
        ("{}", "cron_shape"),
        ('"DAILY"', "cron_shape"),
        ("42", "cron_shape"),
        ("null", "cron_shape"),
        (
            '{"simpleJobTrigger": {"uiPassParam": "DAILY"}, '
            '"complexJobTrigger": {"uiPassParam": "WEEKLY"}}',
            "cron_shape",
        ),
        (["complexJobTrigger"], "cron_shape"),
    ],
)
def test_schedule_odd(cron, kind):
    element, oddities = normalise(cron=cron)

    assert element["schedule"] is None
    assert oddities == [Oddity(kind, EXAMPLE_ID)]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("repeatInterval", "repeat_interval"),
        ("cronString", "cron_string"),
        ("startTime", "start_time"),
        ("daysOfWeek", "days_of_week"),
        ("dayOfMonth2", "day_of_month2"),
        ("monthsOfYear", "months_of_year"),
        ("end_time", "end_time"),
        ("duration", "duration"),
        ("X", "x"),
    ],
)
def test_snake_case_table(key, expected):
    assert snake_case(key) == expected


# Text fields, names and times


@pytest.mark.parametrize(
    "name",
    [
        "每日备份 \N{EN DASH} sauvegarde été",
        "Ежедневная копия 🗄️",
        "nightly\tfull",
        "x" * 10_000,
        " padded ",
    ],
)
def test_name_kept_exactly(name):
    element, oddities = normalise(name=name)

    assert element["name"] == name
    assert oddities == []


def test_number_name_is_text():
    element, oddities = normalise(name=42)

    assert element["name"] == "42"
    assert oddities == []


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("name", "name"),
        ("folder", "folder"),
        ("trigger", "trigger"),
        ("jobid", "job_id"),
        ("add_by", "created_by"),
        ("update_by", "updated_by"),
    ],
)
@pytest.mark.parametrize("value", [True, ["ll"], {"value": "ll"}])
def test_text_field_wrong_type(field, key, value):
    element, oddities = normalise(**{field: value})

    assert element[key] is None
    assert oddities == [Oddity(f"{field}_type", EXAMPLE_ID)]


def test_id_wrong_type_labels_position():
    record = example_record()
    record["id"] = ["51b5"]

    element, oddities = normalise_backup_config(record, position=3)

    assert element["id"] is None
    assert oddities == [Oddity("id_type", "#3")]


def test_oddity_label_is_id():
    element, oddities = normalise(id=12345, enable="2")

    assert element["id"] == "12345"
    assert oddities == [Oddity("enable", "12345")]


def test_job_id_colon_separated():
    element, _unused = normalise(jobid="admin:BackupTaskAction:d90a02fa")

    assert element["job_id"] == "admin:BackupTaskAction:d90a02fa"


@pytest.mark.parametrize(
    ("state", "kinds"),
    [
        ("NORMAL", []),
        ("PAUSED", []),
        ("COMPLETE", []),
        ("ERROR", []),
        ("BLOCKED", []),
        ("UNKNOWN", []),
        ("paused", ["state_unknown"]),
        ("", ["state_unknown"]),
    ],
)
def test_state_text(state, kinds):
    element, oddities = normalise(state=state)

    assert element["state"] == state
    assert oddity_kinds(oddities) == kinds


@pytest.mark.parametrize("state", [1, True, ["NORMAL"]])
def test_state_wrong_type(state):
    element, oddities = normalise(state=state)

    assert element["state"] is None
    assert oddities == [Oddity("state_type", EXAMPLE_ID)]


@pytest.mark.parametrize(
    ("add_time", "created_at"),
    [
        ("2024-11-15 11:02:41.876", "2024-11-15T11:02:41.876"),
        ("2024-11-15T11:02:41.876", "2024-11-15T11:02:41.876"),
        ("2024-11-15 11:02:41", "2024-11-15T11:02:41"),
        (" 2024-11-15 11:02:41.876123 ", "2024-11-15T11:02:41.876123"),
        ("", None),
    ],
)
def test_server_time_readable(add_time, created_at):
    element, oddities = normalise(add_time=add_time)

    assert element["created_at"] == created_at
    assert oddities == []


@pytest.mark.parametrize(
    ("update_time", "kind"),
    [
        ("27/02/2025 10:37:54", "update_time_format"),
        ("2025-02-27", "update_time_format"),
        ("2025-02-27 10:37:54.827+08:00", "update_time_format"),
        (1740623874827, "update_time_type"),
        (True, "update_time_type"),
    ],
)
def test_server_time_unreadable(update_time, kind):
    element, oddities = normalise(update_time=update_time)

    assert element["updated_at"] is None
    assert oddities == [Oddity(kind, EXAMPLE_ID)]


# select_backups

BACKUPS = [
    {"id": "a1", "name": "nightly"},
    {"id": "b2", "name": "weekly"},
    {"id": "c3", "name": "nightly"},
    {"id": "d4", "name": "monthly"},
    {"id": None, "name": None},
]


def test_select_without_filter():
    kept, missing = select_backups(BACKUPS, None, None)

    assert kept == BACKUPS
    assert kept is not BACKUPS
    assert missing is None


def test_select_by_name_keeps_duplicates():
    kept, missing = select_backups(BACKUPS, ["nightly"], None)

    assert kept == [BACKUPS[0], BACKUPS[2]]
    assert missing == []


def test_select_by_id_server_order():
    kept, missing = select_backups(BACKUPS, None, ["d4", "a1"])

    assert kept == [BACKUPS[0], BACKUPS[3]]
    assert missing == []


def test_select_name_or_id_union():
    kept, missing = select_backups(BACKUPS, ["weekly"], ["d4", "b2"])

    assert kept == [BACKUPS[1], BACKUPS[3]]
    assert missing == []


def test_select_missing_request_order():
    kept, missing = select_backups(
        BACKUPS, ["yearly", "weekly", "daily", "yearly"], ["zz", "b2", "yy", "zz"]
    )

    assert kept == [BACKUPS[1]]
    assert missing == ["yearly", "daily", "zz", "yy"]


def test_select_name_case_sensitive():
    kept, missing = select_backups(BACKUPS, ["NIGHTLY"], None)

    assert kept == []
    assert missing == ["NIGHTLY"]


def test_select_name_counts_id_match():
    kept, missing = select_backups(BACKUPS, ["monthly"], ["d4"])

    assert kept == [BACKUPS[3]]
    assert missing == []


# records_from_envelope and query_backup_configs


def test_envelope_fixture_records():
    envelope = load_fixture("query-backup-configs.json")

    result = records_from_envelope(envelope, QUERY_URL)

    assert result == QueryResult(records=envelope["data"], oddities=[])


def test_envelope_empty_list():
    result = records_from_envelope(success_envelope([]), QUERY_URL)

    assert result == QueryResult(records=[], oddities=[])


def test_envelope_missing_data():
    with pytest.raises(DataforResponseError) as caught:
        records_from_envelope({"success": True, "msg": ""}, QUERY_URL)
    error = caught.value

    assert error.cause == "the response has success: true but no 'data' field"
    assert error.method == "POST"
    assert error.url == QUERY_URL
    assert error.status == 200
    assert error.hint == (
        "Check that url points at a Datafor server with the backup plugin"
    )


def test_envelope_null_data():
    result = records_from_envelope(success_envelope(None), QUERY_URL)

    assert result.records == []
    assert result.oddities == [Oddity("data_null", "-")]


@pytest.mark.parametrize(
    ("data", "type_name"),
    [
        ({"id": EXAMPLE_ID}, "object"),
        ("[]", "string"),
        (0, "number"),
        (True, "boolean"),
    ],
)
def test_envelope_data_not_list(data, type_name):
    with pytest.raises(DataforResponseError) as caught:
        records_from_envelope(success_envelope(data), QUERY_URL)

    assert caught.value.cause == (
        f"'data' is a JSON {type_name}, not the documented list of backup configs"
    )


def test_envelope_non_object_elements():
    first = {"id": "a1"}
    last = {"id": "d4"}
    data = [first, 5, "b2", None, [], last]

    result = records_from_envelope(success_envelope(data), QUERY_URL)

    assert result.records == [first, last]
    assert result.oddities == [
        Oddity("not_object", "#1"),
        Oddity("not_object", "#2"),
        Oddity("not_object", "#3"),
        Oddity("not_object", "#4"),
    ]


def test_query_request_and_records():
    envelope = load_fixture("query-backup-configs.json")
    opener = FakeOpener(json_response(envelope))
    client = DataforClient(make_settings(), opener=opener, sleep=FakeSleep())

    result = query_backup_configs(client)
    call = opener.calls[0]

    assert call.url == QUERY_URL
    assert call.kwargs["method"] == "POST"
    assert call.kwargs["headers"] == {
        "Accept": "application/json",
        "Authorization": "Basic " + BASIC_VALUE,
        "Content-Type": "application/json",
    }
    assert call.kwargs["data"] == b"{}"
    assert result.records == envelope["data"]


# describe_oddities


def test_describe_no_oddities():
    assert describe_oddities([]) == []


def test_describe_one_oddity():
    warnings = describe_oddities([Oddity("enable", EXAMPLE_ID)])

    assert warnings == [
        '1 backup config record with an \'enable\' other than "1" or "0" '
        f"({EXAMPLE_ID}): enabled is null. The original is kept in raw."
    ]


def test_describe_groups_by_kind():
    oddities = [
        Oddity("enable", "a1"),
        Oddity("state_unknown", "a1"),
        Oddity("enable", "b2"),
        Oddity("enable", "c3"),
        Oddity("state_unknown", "d4"),
    ]

    warnings = describe_oddities(oddities)

    assert warnings == [
        '3 backup config records with an \'enable\' other than "1" or "0" '
        "(a1, b2, c3): enabled is null. The original is kept in raw.",
        "2 backup config records with a 'state' that is not a Quartz job state "
        "(a1, d4): state is returned as sent. The original is kept in raw.",
    ]


def test_describe_caps_ids():
    oddities = [Oddity("nextRun_range", f"r{number}") for number in range(1, 9)]

    warnings = describe_oddities(oddities)

    assert warnings == [
        "8 backup config records with a negative or out-of-range 'nextRun' "
        "(r1, r2, r3, r4, r5 and 3 more): next_run is null. "
        "The original is kept in raw."
    ]


def test_describe_five_ids_uncapped():
    oddities = [Oddity("cron_json", f"r{number}") for number in range(1, 6)]

    warnings = describe_oddities(oddities)

    assert "(r1, r2, r3, r4, r5):" in warnings[0]
    assert "more" not in warnings[0]


def test_describe_counts_record_once():
    oddities = [Oddity("config_shape", "a1"), Oddity("config_shape", "a1")]

    warnings = describe_oddities(oddities)

    assert warnings[0].startswith("1 backup config record with ")


def test_describe_data_null():
    warnings = describe_oddities([Oddity("data_null", "-")])

    assert warnings == [
        "The server answered 'data: null', which is read as no backup configs."
    ]
    assert warnings == [DATA_NULL_WARNING]


def test_describe_not_object():
    warnings = describe_oddities([Oddity("not_object", "#2")])

    assert warnings == [
        "1 backup config record with a value that is not a JSON object (#2): "
        "left out of backups."
    ]


def test_describe_type_fallback():
    warnings = describe_oddities([Oddity("folder_type", "a1")])

    assert warnings == [
        "1 backup config record with a 'folder' of an unexpected type (a1): "
        "the matching field is null. The original is kept in raw."
    ]


# Properties over arbitrary JSON

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Values that reach the deeper paths: numeric strings for the epoch fields,
# JSON text for config and cron, and trigger objects with odd members.
epoch_values = json_values | st.integers().map(str) | st.floats(allow_nan=False)
trigger_objects = st.dictionaries(
    st.sampled_from(
        ["uiPassParam", "startTime", "repeatInterval", "cronString", "daysOfWeek"]
    )
    | st.text(max_size=10),
    json_values,
    max_size=5,
)
cron_values = (
    json_values
    | json_values.map(json.dumps)
    | trigger_objects.map(lambda trigger: json.dumps({"complexJobTrigger": trigger}))
    | trigger_objects.map(json.dumps)
)
config_values = (
    json_values
    | json_values.map(json.dumps)
    | st.lists(st.dictionaries(st.just("id"), json_values), max_size=4).map(json.dumps)
)
record_fields = {
    "id": json_values,
    "name": json_values,
    "enable": json_values | st.sampled_from(["1", "0", " true "]),
    "state": json_values | st.sampled_from(["NORMAL", "PAUSED"]),
    "folder": json_values,
    "config": config_values,
    "cron": cron_values,
    "trigger": json_values,
    "jobid": json_values,
    "nextRun": epoch_values,
    "lastRun": epoch_values,
    "add_by": json_values,
    "add_time": json_values | st.just("2024-11-15 11:02:41.876"),
    "update_by": json_values,
    "update_time": json_values,
}
records = st.fixed_dictionaries({}, optional=record_fields) | st.dictionaries(
    st.text(max_size=10), json_values, max_size=6
)
PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(record=records, position=st.integers(min_value=0, max_value=10_000))
def test_normalise_any_record(record, position):
    snapshot = copy.deepcopy(record)

    try:
        element, oddities = normalise_backup_config(record, position)
    except DataforError:
        return

    assert set(element) == ELEMENT_KEYS
    assert element["raw"] is record
    assert element["raw"] == snapshot
    assert isinstance(element["contents"], list)
    assert element["enabled"] in (True, False, None)
    assert all(isinstance(oddity, Oddity) for oddity in oddities)
    assert len(describe_oddities(oddities)) == len({o.kind for o in oddities})


@PROPERTY_SETTINGS
@given(data=json_values)
def test_envelope_any_data(data):
    try:
        result = records_from_envelope(success_envelope(data), QUERY_URL)
    except DataforError:
        return

    assert all(isinstance(record, dict) for record in result.records)
    assert all(isinstance(oddity, Oddity) for oddity in result.oddities)
