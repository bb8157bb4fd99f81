"""Create the development virtual environment in .venv/.

Run it with any Python 3. It looks for the newest interpreter on this machine
that runs and is at least 3.11, creates .venv/ with it and installs the pinned
packages from requirements-dev.txt and constraints-dev.txt. Set PYTHON to the
path of an interpreter to use that one instead of searching.

A stamp file in .venv/ records the interpreter and a hash of the requirement
files, so a second run with nothing changed returns at once.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from typing import NoReturn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
STAMP = os.path.join(VENV, ".bootstrap-stamp.json")
REQUIREMENT_FILES = ("requirements-dev.txt", "constraints-dev.txt")

# ansible-core 2.19 runs its controller on Python 3.11 to 3.13, and 2.21 on
# 3.12 to 3.14. requirements-dev.txt picks the release by environment marker.
MINIMUM_VERSION = (3, 11)

# Printed by each candidate interpreter. Importing venv and ensurepip rejects
# builds that cannot create a virtual environment with pip, such as Debian's
# python3 without the python3-venv package.
PROBE = (
    "import sys, venv, ensurepip; "
    "print('.'.join(map(str, sys.version_info[:3]))); "
    "print(sys.executable)"
)
PROBE_TIMEOUT_SECONDS = 20

INTERPRETER_NAME = re.compile(r"python3(\.\d+)?$")


def log(message: str) -> None:
    print(f"bootstrap: {message}", flush=True)


def fail(message: str) -> NoReturn:
    print(f"bootstrap: error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def candidate_paths() -> list[str]:
    """List interpreter paths to probe, from PATH, pyenv and /usr/bin."""
    paths = []
    for minor in range(20, 10, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            paths.append(found)
    found = shutil.which("python3")
    if found:
        paths.append(found)
    patterns = (
        os.path.expanduser("~/.pyenv/versions/*/bin/python3"),
        "/usr/local/bin/python3*",
        "/usr/bin/python3*",
    )
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if INTERPRETER_NAME.match(os.path.basename(path)):
                paths.append(path)
    unique = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def probe(path: str) -> tuple[tuple[int, ...], str] | None:
    """Run the interpreter at path and return its version and sys.executable.

    Returns None when it does not start, exits non-zero (a pyenv shim for a
    version that is not selected does that) or lacks venv or ensurepip.
    """
    try:
        completed = subprocess.run(
            [path, "-c", PROBE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
            text=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = completed.stdout.split()
    if completed.returncode != 0 or len(lines) != 2:
        return None
    version = tuple(int(part) for part in lines[0].split("."))
    return version, lines[1]


def format_version(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def choose_interpreter() -> tuple[str, tuple[int, ...]]:
    """Return the path and version of the interpreter to build .venv with."""
    override = os.environ.get("PYTHON")
    if override:
        result = probe(override)
        if result is None:
            fail(
                f"PYTHON={override} does not run, or lacks the venv or ensurepip "
                "module. Set PYTHON to a working Python 3.11 or newer, or unset it."
            )
        version, executable = result
        if version[:2] < MINIMUM_VERSION:
            fail(
                f"PYTHON={override} is Python {format_version(version)}, "
                f"but {format_version(MINIMUM_VERSION)} or newer is required."
            )
        return executable, version

    # Without PYTHON, keep the interpreter that built .venv, so that a .venv
    # made with PYTHON=... is not silently rebuilt by the next plain make.
    previous = read_stamp().get("interpreter")
    if previous:
        result = probe(previous)
        if result is not None and result[0][:2] >= MINIMUM_VERSION:
            return result[1], result[0]

    best = None
    rejected = []
    for path in candidate_paths():
        result = probe(path)
        if result is None:
            rejected.append(path)
            continue
        version, executable = result
        if version[:2] < MINIMUM_VERSION:
            continue
        if best is None or version > best[1]:
            best = (executable, version)
    if best is None:
        fail(
            f"no Python {format_version(MINIMUM_VERSION)} or newer with the venv "
            "and ensurepip modules was found. Install one (on Debian or Ubuntu: "
            "apt-get install python3-venv) or set PYTHON to its path."
        )
    if rejected:
        log("skipped interpreters that did not run: " + ", ".join(rejected))
    return best


def requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENT_FILES:
        with open(os.path.join(ROOT, name), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()


def read_stamp() -> dict[str, str]:
    try:
        with open(STAMP, encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def venv_python() -> str:
    return os.path.join(VENV, "bin", "python")


def venv_runs() -> bool:
    try:
        completed = subprocess.run(
            [venv_python(), "-c", ""], stdin=subprocess.DEVNULL, check=False
        )
    except OSError:
        return False
    return completed.returncode == 0


def run(command: list[str]) -> None:
    log("running " + " ".join(command))
    completed = subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, check=False)
    if completed.returncode != 0:
        fail(f"command failed with exit code {completed.returncode}: {command[0]}")


def main() -> None:
    interpreter, version = choose_interpreter()
    expected = {
        "interpreter": interpreter,
        "version": format_version(version),
        "requirements_sha256": requirements_digest(),
    }
    stamp = read_stamp()
    if stamp == expected and venv_runs():
        log(f".venv is up to date (Python {expected['version']}, {interpreter})")
        return

    log(f"using Python {expected['version']} at {interpreter}")
    if stamp.get("interpreter") != interpreter or not venv_runs():
        # A venv is tied to the interpreter it was made with, so start afresh.
        shutil.rmtree(VENV, ignore_errors=True)
        run([interpreter, "-m", "venv", VENV])
    elif os.path.exists(STAMP):
        os.remove(STAMP)

    pip = [
        venv_python(),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    constraints = ["-c", os.path.join(ROOT, "constraints-dev.txt")]
    run([*pip, *constraints, "pip"])
    run([*pip, *constraints, "-r", os.path.join(ROOT, "requirements-dev.txt")])

    with open(STAMP, "w", encoding="utf-8") as handle:
        json.dump(expected, handle, indent=2)
        handle.write("\n")
    log(f".venv is ready (Python {expected['version']})")


if __name__ == "__main__":
    main()
