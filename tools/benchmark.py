"""Benchmark datafor_backup_info against the Datafor emulator with N backup configs.

Run it with .venv/bin/python:

    .venv/bin/python tools/benchmark.py --sizes 1000,10000,100000 --repeat 3

It builds the collection tarball and installs it into a temporary collections
path, as users install it. Then, for each size, it starts the emulator on a
free loopback port, loads N generated backup configs and measures:

- in process: the query request (HTTP, JSON decoding and the envelope check)
  and the normalisation of every record, timed with time.perf_counter() over
  --repeat runs without tracing, then once more under tracemalloc for the
  peak of Python heap allocations during that work;
- as users run it: ansible-playbook running a one-task playbook that calls
  datafor.platform.datafor_backup_info and registers the result, once without
  a filter and once with a name filter of one name. Each run is timed as a
  whole command, and its max RSS is that of the largest single process in the
  ansible-playbook process tree.

It prints the results as Markdown tables. The default run took under two
minutes on the two-core machine described in docs/benchmarks.md. It is not
part of `make test`.
"""

from __future__ import annotations

import argparse
import gc
import glob
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))

from emulator_process import REALISTIC, RunningEmulator, running_emulator  # noqa: E402

BIN_DIR = os.path.dirname(sys.executable)
DEFAULT_SIZES = "1000,10000,100000"
# The emulator generates at most this many backup configs.
MAX_SIZE = 1_000_000
# An administrator of the emulator's realistic data set.
USERNAME = "backup-auditor"
PASSWORD = "auditor-secret-1"
QUERY_PATH_SUFFIX = "/plugin/datafor-backup/api/query"
PLAYBOOK_TIMEOUT_SECONDS = 1800
MIB = 1024 * 1024

PLAYBOOK = """\
---
- name: Benchmark datafor_backup_info
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the backup configs
      datafor.platform.datafor_backup_info:
        name: "{{ backup_names | default(omit) }}"
        use_proxy: false
        retries: 0
      register: result
"""

# Runs argv[1:], then prints its wall time and the max RSS of its process
# tree as JSON on stdout, sending the command's own output to stderr.
# RUSAGE_CHILDREN covers every descendant that was waited for,
# and on Linux ru_maxrss is the max RSS in KiB of the largest one of them, so
# this wrapper process must have no other children.
MEASURE_CHILD = """\
import json, resource, subprocess, sys, time
started = time.perf_counter()
returncode = subprocess.run(sys.argv[1:], stdout=sys.stderr, check=False).returncode
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": returncode, "seconds": seconds,
                  "max_rss_kib": usage.ru_maxrss}))
"""


@dataclass
class CollectionCode:
    """The collection functions that datafor_backup_info calls."""

    connection_settings: Any
    client_class: Any
    query_backup_configs: Callable[[Any], Any]
    normalise_backup_config: Callable[[dict[str, Any], int], Any]


@dataclass
class InProcessResult:
    """Timings in seconds (medians over the repeats) and sizes in bytes."""

    query_seconds: float
    normalise_seconds: float
    total_seconds: float
    min_total_seconds: float
    traced_peak_bytes: int
    result_json_bytes: int


@dataclass
class PlaybookResult:
    """Wall time of ansible-playbook in seconds and its max RSS in KiB."""

    seconds: float
    max_rss_kib: int


class BenchmarkError(RuntimeError):
    """A step of the benchmark failed, so its numbers would be wrong."""


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for item in text.split(","):
        try:
            size = int(item.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid size {item!r}: expected a whole number of records"
            ) from None
        if not 1 <= size <= MAX_SIZE:
            raise argparse.ArgumentTypeError(
                f"invalid size {size}: expected 1 to {MAX_SIZE} records"
            )
        sizes.append(size)
    return sizes


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value}: must be 1 or more")
    return value


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes(DEFAULT_SIZES),
        help=f"comma-separated numbers of backup configs (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        help="timed in-process runs per size; the median is shown (default 3)",
    )
    parser.add_argument(
        "--playbook-repeat",
        type=positive_int,
        default=1,
        help="ansible-playbook runs per size and filter; the median is shown "
        "(default 1)",
    )
    return parser.parse_args()


def run_quietly(command: list[str], step: str) -> None:
    completed = subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{step} failed with exit code {completed.returncode}:\n{completed.stdout}"
        )


def install_collection(work_dir: str) -> str:
    """Build the tarball, install it under work_dir and return the collections path."""
    galaxy = os.path.join(BIN_DIR, "ansible-galaxy")
    build_dir = os.path.join(work_dir, "build")
    collections_dir = os.path.join(work_dir, "collections")
    run_quietly(
        [galaxy, "collection", "build", "--output-path", build_dir, ROOT],
        "ansible-galaxy collection build",
    )
    tarballs = glob.glob(os.path.join(build_dir, "datafor-platform-*.tar.gz"))
    if len(tarballs) != 1:
        raise BenchmarkError(f"expected one tarball in {build_dir}, found {tarballs}")
    run_quietly(
        [galaxy, "collection", "install", "-p", collections_dir, tarballs[0]],
        "ansible-galaxy collection install",
    )
    return collections_dir


def load_collection_code(collections_dir: str) -> CollectionCode:
    # The ansible_collections.datafor.platform package exists only in the
    # installed copy, so it is imported at run time instead of at the top.
    sys.path.insert(0, collections_dir)
    prefix = "ansible_collections.datafor.platform.plugins.module_utils."
    connection = importlib.import_module(prefix + "connection")
    client = importlib.import_module(prefix + "client")
    backup_configs = importlib.import_module(prefix + "backup_configs")
    return CollectionCode(
        connection_settings=connection.ConnectionSettings,
        client_class=client.DataforClient,
        query_backup_configs=backup_configs.query_backup_configs,
        normalise_backup_config=backup_configs.normalise_backup_config,
    )


def query_and_normalise(
    code: CollectionCode, url: str
) -> tuple[float, float, list[dict[str, Any]]]:
    """Query and normalise as the module does, returning both times and the backups."""
    started = time.perf_counter()
    settings = code.connection_settings.from_params(
        {
            "url": url,
            "username": USERNAME,
            "password": PASSWORD,
            "timeout": 300,
            "use_proxy": False,
            "retries": 0,
        }
    )
    client = code.client_class(settings)
    query = code.query_backup_configs(client)
    queried = time.perf_counter()
    backups = []
    for position, record in enumerate(query.records):
        backup, _oddities = code.normalise_backup_config(record, position)
        backups.append(backup)
    finished = time.perf_counter()
    return queried - started, finished - queried, backups


def measure_in_process(
    code: CollectionCode, url: str, size: int, repeat: int
) -> InProcessResult:
    query_times = []
    normalise_times = []
    total_times = []
    result_json_bytes = 0
    for _attempt in range(repeat):
        gc.collect()
        query_seconds, normalise_seconds, backups = query_and_normalise(code, url)
        if len(backups) != size:
            raise BenchmarkError(f"expected {size} backups, got {len(backups)}")
        query_times.append(query_seconds)
        normalise_times.append(normalise_seconds)
        total_times.append(query_seconds + normalise_seconds)
        # The module prints this list, plus "changed" and "invocation", as JSON.
        result_json_bytes = len(json.dumps({"changed": False, "backups": backups}))
        del backups

    # A separate run, because tracemalloc slows down code that allocates much.
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    backups = query_and_normalise(code, url)[2]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del backups

    return InProcessResult(
        query_seconds=statistics.median(query_times),
        normalise_seconds=statistics.median(normalise_times),
        total_seconds=statistics.median(total_times),
        min_total_seconds=min(total_times),
        traced_peak_bytes=peak - baseline,
        result_json_bytes=result_json_bytes,
    )


def playbook_environment(
    work_dir: str, collections_dir: str, url: str
) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATAFOR_", "ANSIBLE_"))
    }
    environment.update(
        {
            "PATH": BIN_DIR + os.pathsep + os.environ.get("PATH", ""),
            "ANSIBLE_COLLECTIONS_PATH": collections_dir,
            "ANSIBLE_HOME": os.path.join(work_dir, "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(work_dir, "ansible-tmp"),
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "true",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "DATAFOR_URL": url,
            "DATAFOR_USERNAME": USERNAME,
            "DATAFOR_PASSWORD": PASSWORD,
        }
    )
    return environment


def run_playbook_once(
    work_dir: str,
    environment: dict[str, str],
    emulator: RunningEmulator,
    names: list[str] | None,
) -> PlaybookResult:
    playbook = os.path.join(work_dir, "benchmark.yml")
    command = [
        sys.executable,
        "-c",
        MEASURE_CHILD,
        os.path.join(BIN_DIR, "ansible-playbook"),
        playbook,
    ]
    if names is not None:
        vars_file = os.path.join(work_dir, "names.json")
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump({"backup_names": names}, handle)
        command += ["-e", f"@{vars_file}"]

    emulator.clear_request_log()
    output_path = os.path.join(work_dir, "ansible-playbook.log")
    with open(output_path, "w", encoding="utf-8") as output:
        completed = subprocess.run(
            command,
            cwd=work_dir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=output,
            text=True,
            timeout=PLAYBOOK_TIMEOUT_SECONDS,
            check=False,
        )
    with open(output_path, encoding="utf-8") as output:
        log = output.read()
    if completed.returncode != 0:
        raise BenchmarkError(f"the measuring wrapper failed:\n{log}")
    measured = json.loads(completed.stdout)
    if measured["returncode"] != 0:
        raise BenchmarkError(
            f"ansible-playbook failed with exit code {measured['returncode']}:\n{log}"
        )

    # Exit code 0 shows that the task did not fail, and one query with status
    # 200 shows that the module read the configs from this emulator.
    queries = [
        entry
        for entry in emulator.request_log()
        if entry["path"].endswith(QUERY_PATH_SUFFIX)
    ]
    if [entry["status"] for entry in queries] != [200]:
        raise BenchmarkError(f"expected one query with status 200, got {queries}")
    return PlaybookResult(
        seconds=float(measured["seconds"]), max_rss_kib=int(measured["max_rss_kib"])
    )


def measure_playbook(
    work_dir: str,
    environment: dict[str, str],
    emulator: RunningEmulator,
    names: list[str] | None,
    repeat: int,
) -> PlaybookResult:
    runs = [
        run_playbook_once(work_dir, environment, emulator, names)
        for _attempt in range(repeat)
    ]
    return PlaybookResult(
        seconds=statistics.median(run.seconds for run in runs),
        max_rss_kib=max(run.max_rss_kib for run in runs),
    )


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "---:|" * len(header))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def in_process_table(results: dict[int, InProcessResult], repeat: int) -> str:
    header = [
        "records",
        "query s",
        "normalise s",
        "total s",
        f"min total s (of {repeat})",
        "tracemalloc peak MiB",
        "result JSON MiB",
    ]
    rows = [
        [
            f"{size:,}",
            f"{result.query_seconds:.3f}",
            f"{result.normalise_seconds:.3f}",
            f"{result.total_seconds:.3f}",
            f"{result.min_total_seconds:.3f}",
            f"{result.traced_peak_bytes / MIB:.1f}",
            f"{result.result_json_bytes / MIB:.1f}",
        ]
        for size, result in results.items()
    ]
    return markdown_table(header, rows)


def playbook_table(results: dict[int, tuple[PlaybookResult, PlaybookResult]]) -> str:
    header = [
        "records",
        "no filter s",
        "no filter max RSS MiB",
        "name filter s",
        "name filter max RSS MiB",
    ]
    rows = [
        [
            f"{size:,}",
            f"{unfiltered.seconds:.1f}",
            f"{unfiltered.max_rss_kib / 1024:.0f}",
            f"{filtered.seconds:.1f}",
            f"{filtered.max_rss_kib / 1024:.0f}",
        ]
        for size, (unfiltered, filtered) in results.items()
    ]
    return markdown_table(header, rows)


def ansible_core_version() -> str:
    metadata = importlib.import_module("importlib.metadata")
    return str(metadata.version("ansible-core"))


def main() -> int:
    arguments = parse_arguments()
    sizes: list[int] = arguments.sizes
    print(
        f"Python {platform.python_version()}, ansible-core {ansible_core_version()}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    in_process: dict[int, InProcessResult] = {}
    playbooks: dict[int, tuple[PlaybookResult, PlaybookResult]] = {}
    with tempfile.TemporaryDirectory(prefix="datafor-benchmark-") as work_dir:
        print("Building and installing the collection tarball", flush=True)
        collections_dir = install_collection(work_dir)
        code = load_collection_code(collections_dir)
        with open(os.path.join(work_dir, "benchmark.yml"), "w", encoding="utf-8") as f:
            f.write(PLAYBOOK)

        for size in sizes:
            with running_emulator(REALISTIC) as emulator:
                emulator.generate_backup_configs(size)
                print(f"{size:,} records: in process", flush=True)
                in_process[size] = measure_in_process(
                    code, emulator.url, size, arguments.repeat
                )
                environment = playbook_environment(
                    work_dir, collections_dir, emulator.url
                )
                print(f"{size:,} records: ansible-playbook, no filter", flush=True)
                unfiltered = measure_playbook(
                    work_dir, environment, emulator, None, arguments.playbook_repeat
                )
                # The last record's name, so the filter has to pass every record.
                names = [f"generated-{size - 1:06d}"]
                print(f"{size:,} records: ansible-playbook, name filter", flush=True)
                filtered = measure_playbook(
                    work_dir, environment, emulator, names, arguments.playbook_repeat
                )
                playbooks[size] = (unfiltered, filtered)

    print("\nIn process: query request and normalisation of every record\n")
    print(in_process_table(in_process, arguments.repeat))
    print(
        f"\nansible-playbook, whole command (median of {arguments.playbook_repeat})\n"
    )
    print(playbook_table(playbooks))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        sys.exit(f"error: {error}")
