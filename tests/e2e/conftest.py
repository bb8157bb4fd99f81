"""Fixtures that run ansible-playbook against the Datafor emulator.

The collection is built into a tarball and installed the way users install
it, and each playbook talks to a real emulator process over TCP on loopback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

# e2e_helpers puts tests/emulator on sys.path, so it is imported first.
from e2e_helpers import ROOT, PlaybookRun, PlaybookRunner  # isort: skip
from emulator_process import REALISTIC, RunningEmulator, running_emulator

BIN_DIR = Path(sys.executable).parent
PLAYBOOK_DIR = Path(__file__).resolve().parent / "playbooks"


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the collection tarball and install it into a fresh collections path."""
    build_dir = tmp_path_factory.mktemp("build")
    galaxy = str(BIN_DIR / "ansible-galaxy")
    build = [galaxy, "collection", "build", "--output-path", str(build_dir), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True)

    tarball = next(build_dir.glob("datafor-platform-*.tar.gz"))
    install_dir = tmp_path_factory.mktemp("collections")
    install = [galaxy, "collection", "install", "-p", str(install_dir), str(tarball)]
    subprocess.run(install, check=True, capture_output=True)
    return install_dir


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[RunningEmulator]:
    with running_emulator(REALISTIC) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_process: RunningEmulator) -> RunningEmulator:
    """The shared emulator, reset to the realistic data set for each test."""
    emulator_process.reset()
    return emulator_process


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def run_playbook(collections_path: Path, tmp_path: Path) -> PlaybookRunner:
    """Return a function that runs a playbook from tests/e2e/playbooks/."""

    def run(
        name: str,
        extra_vars: dict[str, Any],
        *,
        env: dict[str, str] | None = None,
        verbosity: int = 0,
        check: bool = False,
        wrapper: Sequence[str] = (),
    ) -> PlaybookRun:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATAFOR_", "ANSIBLE_"))
        }
        environment.update(
            {
                "PATH": str(BIN_DIR) + os.pathsep + os.environ.get("PATH", ""),
                "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
                "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
                "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "ANSIBLE_NOCOLOR": "true",
                "ANSIBLE_RETRY_FILES_ENABLED": "false",
            }
        )
        environment.update(env or {})
        vars_file = tmp_path / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")

        command = [
            *wrapper,
            str(BIN_DIR / "ansible-playbook"),
            str(PLAYBOOK_DIR / name),
            "-e",
            f"@{vars_file}",
        ]
        if verbosity:
            command.append("-" + "v" * verbosity)
        if check:
            command.append("--check")
        completed = subprocess.run(
            command,
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            check=False,
        )
        return PlaybookRun(completed.returncode, completed.stdout)

    return run
