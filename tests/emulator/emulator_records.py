"""Generated backup configs and the zip archives served for backup logs."""

from __future__ import annotations

import io
import json
import random
import zipfile
from typing import Any

MAX_GENERATED_CONFIGS = 1_000_000

# (uiPassParam, cron field, Quartz trigger): one valid schedule of each kind,
# shared by all generated records so that 100,000 of them stay small in memory.
GENERATED_SCHEDULES = (
    (
        '{"complexJobTrigger":{"endTime":null,'
        '"startTime":"2026-01-05T02:00:00.000+01:00","uiPassParam":"DAILY",'
        '"repeatCount":-1,"cronString":"TO_BE_GENERATED","repeatInterval":86400}}',
        "0 0 2 * * ? *",
    ),
    (
        '{"complexJobTrigger":{"endTime":null,'
        '"startTime":"2026-01-04T03:30:00.000+01:00","uiPassParam":"WEEKLY",'
        '"repeatCount":-1,"daysOfWeek":["0"]}}',
        "0 30 3 ? * 1 *",
    ),
    (
        '{"simpleJobTrigger":{"endTime":null,'
        '"startTime":"2026-01-01T00:00:00.000+01:00","uiPassParam":"HOURS",'
        '"repeatCount":-1,"repeatInterval":21600}}',
        "0 0 0/6 * * ? *",
    ),
    (
        '{"cronJobTrigger":{"endTime":null,'
        '"startTime":"2026-01-01T00:00:00.000+01:00","uiPassParam":"CRON",'
        '"cronString":"0 15 1 ? * 2-6 *"}}',
        "0 15 1 ? * 2-6 *",
    ),
)
GENERATED_CONTENTS = (
    '[{"id":"db"},{"id":"upload"},{"id":"file"}]',
    '[{"id":"db"}]',
    '[{"id":"upload"}]',
    '[{"id":"db"},{"id":"file"}]',
)
FIRST_NEXT_RUN_MS = 1_796_000_000_000


def generate_backup_configs(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Build `count` valid backup config records with unique ids and names."""
    if not 0 <= count <= MAX_GENERATED_CONFIGS:
        raise ValueError(
            f"count must be from 0 to {MAX_GENERATED_CONFIGS}, got {count}"
        )
    rng = random.Random(seed)
    return [generated_config(index, rng) for index in range(count)]


def generated_config(index: int, rng: random.Random) -> dict[str, Any]:
    cron, trigger = GENERATED_SCHEDULES[index % len(GENERATED_SCHEDULES)]
    enabled = index % 5 != 4
    return {
        "cron": cron,
        "add_by": "admin",
        "trigger": trigger,
        "nextRun": FIRST_NEXT_RUN_MS + index * 60_000,
        "jobid": f"admin\tBackupTaskAction\tgenerated-{index:08d}",
        "update_time": "2026-11-30 09:15:00.000",
        "folder": "backup/",
        "enable": "1" if enabled else "0",
        "name": f"generated-{index:06d}",
        "id": f"{rng.getrandbits(128):032x}",
        "state": "NORMAL" if enabled else "PAUSED",
        "update_by": "admin",
        "config": GENERATED_CONTENTS[index % len(GENERATED_CONTENTS)],
        "add_time": "2026-11-30 09:00:00.000",
    }


def build_archive(log_record: dict[str, Any]) -> bytes:
    """Build a small zip named after a backup log, holding the log as JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(log_record, ensure_ascii=False, indent=2)
        archive.writestr("backup-info.json", text)
    return buffer.getvalue()
