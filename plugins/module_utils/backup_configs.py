# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backup configs of the Datafor backup plugin: the query and the normalisation.

A backup config record from ``POST /plugin/datafor-backup/api/query`` keeps
JSON inside strings (``config``, ``cron``), epoch milliseconds (``nextRun``)
and ``"1"``/``"0"`` flags. ``normalise_backup_config()`` turns one record into
the documented element of the ``backups`` list. It never raises on a record
(a Hypothesis test feeds it arbitrary JSON): what it cannot understand becomes
null, an Oddity records why, and the record stays under ``raw``, cut only
where it nests deeper than MAX_NESTING levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ansible_collections.datafor.platform.plugins.module_utils.client import (
    DataforClient,
)
from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforResponseError,
    json_type_name,
    printable,
)

QUERY_PATH = "plugin/datafor-backup/api/query"

TRIGGER_TYPES = frozenset(
    {
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
)
JOB_STATES = frozenset({"NORMAL", "PAUSED", "COMPLETE", "ERROR", "BLOCKED", "UNKNOWN"})
# Keys every schedule carries, so that playbooks can test them without
# ``default()``; other trigger keys are added when the server sends them.
SCHEDULE_KEYS = (
    "type",
    "start_time",
    "end_time",
    "repeat_interval",
    "repeat_count",
    "cron_string",
)
ENABLE_VALUES = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
}
# Epoch milliseconds past the year 9999 cannot be shown as ISO 8601.
MAX_EPOCH_MS = 253402300799999
# [0-9], not \d, which also matches other scripts' digits.
_SERVER_TIME = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?)$"
)
_EPOCH_TEXT = re.compile(r"-?[0-9]{1,19}")
# Ansible's controller fails on results nested a few hundred levels deep, so
# deeper values from a server are cut at this depth.
MAX_NESTING = 64
CUT_MARKER = f"<nested deeper than {MAX_NESTING} levels; removed>"
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Oddity:
    """Something in one record that could not be normalised as documented.

    ``kind`` groups oddities for one warning each; ``record_id`` is the
    record's ``id`` or its position when it has none.
    """

    kind: str
    record_id: str


@dataclass
class QueryResult:
    """Backup config records as received, and what was odd about the envelope."""

    records: list[dict[str, Any]]
    oddities: list[Oddity] = field(default_factory=list)


def query_backup_configs(client: DataforClient) -> QueryResult:
    """Fetch every backup config with the backup plugin's query endpoint.

    The request body is the JSON ``{}`` that the older admin page sends.
    NOTE: newer servers also take a form body with an ``id``; the module
    filters on the client side, so one request shape serves both.
    """
    response = client.post_json(QUERY_PATH, {})
    return records_from_envelope(response.data, client.url_for(QUERY_PATH))


def records_from_envelope(envelope: dict[str, Any], url: str) -> QueryResult:
    """Take the records from ``data``, rejecting shapes that hold no list."""
    context: dict[str, Any] = {"method": "POST", "url": url, "status": 200}
    if "data" not in envelope:
        raise DataforResponseError(
            "the response has success: true but no 'data' field",
            hint="Check that url points at a Datafor server with the backup plugin",
            **context,
        )

    data = envelope["data"]
    if data is None:
        # NOTE: read as "no backup configs"; required names then show up in
        # ``missing``, so an audit still fails safe.
        return QueryResult(records=[], oddities=[Oddity("data_null", "-")])
    if not isinstance(data, list):
        raise DataforResponseError(
            f"'data' is a JSON {json_type_name(data)}, not the documented list "
            "of backup configs",
            hint="Check that url points at a Datafor server with the backup plugin",
            **context,
        )

    result = QueryResult(records=[])
    for position, record in enumerate(data):
        if isinstance(record, dict):
            result.records.append(record)
        else:
            result.oddities.append(Oddity("not_object", f"#{position}"))
    return result


def normalise_backup_config(
    record: dict[str, Any], position: int = 0
) -> tuple[dict[str, Any], list[Oddity]]:
    """Turn one API record into the documented ``backups`` element.

    Returns the element and the oddities found. Never raises for any JSON
    object: a field that cannot be read becomes null.
    """
    known_id = _text(record.get("id"))
    label = known_id if known_id is not None else f"#{position}"
    oddities: list[Oddity] = []

    def note(kind: str) -> None:
        oddities.append(Oddity(kind, label))

    record_id = _text_field("id", record, note)

    next_run, next_run_epoch = _epoch_ms("nextRun", record, note)
    last_run, last_run_epoch = _epoch_ms("lastRun", record, note)

    element = {
        "id": record_id,
        "name": _text_field("name", record, note),
        "enabled": _enabled(record.get("enable"), note),
        "state": _state(record.get("state"), note),
        "folder": _text_field("folder", record, note),
        "contents": _contents(record.get("config"), note),
        "trigger": _text_field("trigger", record, note),
        "schedule": _schedule(record.get("cron"), note),
        "next_run": next_run,
        "next_run_epoch": next_run_epoch,
        "last_run": last_run,
        "last_run_epoch": last_run_epoch,
        "job_id": _text_field("jobid", record, note),
        "created_by": _text_field("add_by", record, note),
        "created_at": _server_time("add_time", record, note),
        "updated_by": _text_field("update_by", record, note),
        "updated_at": _server_time("update_time", record, note),
        "raw": record,
    }
    for key in ("raw", "schedule"):
        if _nested_deeper_than(element[key], MAX_NESTING):
            element[key] = _cut_nesting(element[key], MAX_NESTING)
            note("nesting")
    return element, oddities


@dataclass
class BackupFacts:
    """Result of the info module: backups, missing names and ids, warnings."""

    backups: list[dict[str, Any]]
    missing: list[str] | None
    warnings: list[str]


def build_backup_facts(
    query: QueryResult,
    names: Sequence[str] | None,
    ids: Sequence[str] | None,
) -> BackupFacts:
    """Normalise every record, apply the filters and describe the oddities.

    Warnings cover only the backups returned, so a filter hides unrelated
    oddities; problems with the envelope itself are always reported.
    """
    normalised = [
        normalise_backup_config(record, position)
        for position, record in enumerate(query.records)
    ]
    selected, missing = select_backups(
        [backup for backup, _oddities in normalised], names, ids
    )

    selected_ids = {id(backup) for backup in selected}
    oddities = list(query.oddities)
    for backup, found in normalised:
        if id(backup) in selected_ids:
            oddities.extend(found)
    return BackupFacts(selected, missing, describe_oddities(oddities))


def select_backups(
    backups: Sequence[dict[str, Any]],
    names: Sequence[str] | None,
    ids: Sequence[str] | None,
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Keep the backups whose name or id was requested, in server order.

    A backup is kept when it matches any requested name or any requested id.
    Returns the selected backups and the requested values that matched nothing,
    or None for the second value when no filter was given.
    """
    if names is None and ids is None:
        return list(backups), None

    requested_names = set(names or [])
    requested_ids = set(ids or [])
    selected = [
        backup
        for backup in backups
        if backup["name"] in requested_names or backup["id"] in requested_ids
    ]
    found_names = {backup["name"] for backup in selected}
    found_ids = {backup["id"] for backup in selected}
    missing = [name for name in names or [] if name not in found_names]
    missing += [item for item in ids or [] if item not in found_ids]
    return selected, _unique(missing)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _text(value: Any) -> str | None:
    """Accept strings and numbers as text; anything else is unreadable."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _text_field(key: str, record: dict[str, Any], note: Any) -> str | None:
    value = record.get(key)
    text = _text(value)
    if text is None and value is not None:
        note(f"{key}_type")
    return text


def _enabled(value: Any, note: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ENABLE_VALUES:
        return ENABLE_VALUES[value.strip().lower()]
    note("enable")
    return None


def _state(value: Any, note: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        note("state_type")
        return None
    if value not in JOB_STATES:
        note("state_unknown")
    return value


def _parse_json_text(value: Any) -> tuple[bool, Any]:
    """Decode a field that contains JSON text; already-decoded values pass through."""
    if not isinstance(value, str):
        return True, value
    try:
        return True, json.loads(value)
    except (ValueError, RecursionError):
        return False, None


def _contents(value: Any, note: Any) -> list[str]:
    if value is None or value == "":
        return []
    ok, items = _parse_json_text(value)
    if not ok:
        note("config_json")
        return []
    if not isinstance(items, list):
        note("config_shape")
        return []

    contents = []
    for item in items:
        content_id = _text(item.get("id")) if isinstance(item, dict) else _text(item)
        if content_id is None:
            note("config_shape")
            continue
        contents.append(content_id)
    return contents


def _schedule(value: Any, note: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    ok, decoded = _parse_json_text(value)
    if not ok:
        note("cron_json")
        return None
    trigger = _unwrap_trigger(decoded)
    if trigger is None:
        note("cron_shape")
        return None

    schedule: dict[str, Any] = dict.fromkeys(SCHEDULE_KEYS)
    for key, item in trigger.items():
        if key == "type" and "uiPassParam" in trigger:
            # No known trigger has a "type" key; uiPassParam names the type.
            continue
        name = "type" if key == "uiPassParam" else snake_case(str(key))
        schedule[name] = item
    trigger_type = schedule["type"]
    if trigger_type is not None and (
        not isinstance(trigger_type, str) or trigger_type not in TRIGGER_TYPES
    ):
        note("schedule_type")
    return schedule


def _unwrap_trigger(decoded: Any) -> dict[str, Any] | None:
    """Find the trigger object, e.g. inside ``{"complexJobTrigger": {...}}``.

    Pentaho wraps each trigger in a key naming its class (complexJobTrigger,
    simpleJobTrigger, cronJobTrigger); a bare trigger object is accepted too.
    """
    if not isinstance(decoded, dict) or not decoded:
        return None
    wrapped = [value for key, value in decoded.items() if key.endswith("JobTrigger")]
    if not wrapped:
        return decoded
    if len(wrapped) == 1 and isinstance(wrapped[0], dict):
        return wrapped[0]
    return None


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Tell whether containers nest more than ``limit`` levels, without recursion."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _cut_nesting(value: Any, limit: int) -> Any:
    """Copy a value with every container below ``limit`` levels replaced by text."""
    if not isinstance(value, (dict, list)):
        return value
    if limit <= 0:
        return CUT_MARKER
    if isinstance(value, dict):
        return {key: _cut_nesting(item, limit - 1) for key, item in value.items()}
    return [_cut_nesting(item, limit - 1) for item in value]


def snake_case(name: str) -> str:
    """Convert a camelCase trigger key such as ``repeatInterval`` to snake_case."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _epoch_ms(key: str, record: dict[str, Any], note: Any) -> tuple[Any, Any]:
    """Convert epoch milliseconds to (ISO 8601 UTC, epoch seconds)."""
    value = record.get(key)
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        text = value.strip()
        if not _EPOCH_TEXT.fullmatch(text):
            note(f"{key}_range" if re.fullmatch(r"-?[0-9]+", text) else f"{key}_type")
            return None, None
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        note(f"{key}_type")
        return None, None
    if value < 0 or value > MAX_EPOCH_MS:
        # Quartz reports -1 for "no fire time"; treat any negative as absent.
        note(f"{key}_range")
        return None, None

    seconds, millis = divmod(value, 1000)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        iso += f".{millis:03d}"
    return iso + "Z", seconds


def _server_time(key: str, record: dict[str, Any], note: Any) -> str | None:
    """Rewrite ``YYYY-MM-DD HH:MM:SS.fff`` (server local time) as ISO 8601."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        note(f"{key}_type")
        return None
    match = _SERVER_TIME.match(value.strip())
    if not match:
        note(f"{key}_format")
        return None
    return f"{match.group(1)}T{match.group(2)}"


# Each kind of oddity: what the records have, and what the module returned.
ODDITY_TEXT = {
    "not_object": ("a value that is not a JSON object", "left out of backups"),
    "enable": ('an \'enable\' other than "1" or "0"', "enabled is null"),
    "state_type": ("a 'state' that is not text", "state is null"),
    "state_unknown": (
        "a 'state' that is not a Quartz job state",
        "state is returned as sent",
    ),
    "config_json": ("a 'config' that is not valid JSON", "contents is empty"),
    "config_shape": (
        "a 'config' that is not a list of objects with an 'id'",
        "contents lacks those entries",
    ),
    "cron_json": ("a 'cron' that is not valid JSON", "schedule is null"),
    "cron_shape": ("a 'cron' that holds no trigger object", "schedule is null"),
    "schedule_type": (
        "an unknown 'uiPassParam'",
        "schedule.type is returned as sent",
    ),
    "nextRun_type": ("a 'nextRun' that is not epoch milliseconds", "next_run is null"),
    "nextRun_range": ("a negative or out-of-range 'nextRun'", "next_run is null"),
    "lastRun_type": ("a 'lastRun' that is not epoch milliseconds", "last_run is null"),
    "lastRun_range": ("a negative or out-of-range 'lastRun'", "last_run is null"),
    "add_time_format": (
        "an 'add_time' not of the form YYYY-MM-DD HH:MM:SS.fff",
        "created_at is null",
    ),
    "nesting": (
        f"values nested deeper than {MAX_NESTING} levels",
        f"those values are replaced by {CUT_MARKER!r} in raw or schedule",
    ),
    "update_time_format": (
        "an 'update_time' not of the form YYYY-MM-DD HH:MM:SS.fff",
        "updated_at is null",
    ),
}
DATA_NULL_WARNING = (
    "The server answered 'data: null', which is read as no backup configs."
)
MAX_IDS_SHOWN = 5


def describe_oddities(oddities: Iterable[Oddity]) -> list[str]:
    """Build one warning per kind of oddity, naming the first few records."""
    by_kind: dict[str, list[str]] = {}
    for oddity in oddities:
        by_kind.setdefault(oddity.kind, []).append(oddity.record_id)

    warnings = []
    for kind, labels in by_kind.items():
        if kind == "data_null":
            warnings.append(DATA_NULL_WARNING)
            continue
        problem, consequence = ODDITY_TEXT.get(kind) or _type_oddity_text(kind)
        labels = _unique(labels)
        shown = ", ".join(printable(label) for label in labels[:MAX_IDS_SHOWN])
        if len(labels) > MAX_IDS_SHOWN:
            shown += f" and {len(labels) - MAX_IDS_SHOWN} more"
        noun = "record" if len(labels) == 1 else "records"
        warning = f"{len(labels)} backup config {noun} with {problem} ({shown}): "
        warning += f"{consequence}."
        if kind not in ("not_object", "nesting"):
            warning += " The original is kept in raw."
        warnings.append(warning)
    return warnings


def _type_oddity_text(kind: str) -> tuple[str, str]:
    """Describe a ``<field>_type`` oddity: a field of an unexpected JSON type."""
    field_name = kind.rsplit("_", 1)[0]
    article = "an" if field_name[:1] in "aeiou" else "a"
    problem = f"{article} '{field_name}' of an unexpected type"
    return problem, "the matching field is null"
