"""Fixtures that start emulator processes for the tests in this folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The emulator modules are plain files in this folder, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator_process import (
    DOCUMENTED_EXAMPLE,
    REALISTIC,
    RunningEmulator,
    running_emulator,
)


@pytest.fixture(scope="session")
def documented_server() -> Iterator[RunningEmulator]:
    with running_emulator(DOCUMENTED_EXAMPLE) as server:
        yield server


@pytest.fixture
def emulator(documented_server: RunningEmulator) -> RunningEmulator:
    """The emulator loaded with the documented example, reset for each test."""
    documented_server.reset()
    return documented_server


@pytest.fixture(scope="session")
def realistic_server() -> Iterator[RunningEmulator]:
    with running_emulator(REALISTIC) as server:
        yield server


@pytest.fixture
def realistic(realistic_server: RunningEmulator) -> RunningEmulator:
    """The emulator loaded with realistic.json, reset for each test."""
    realistic_server.reset()
    return realistic_server


@pytest.fixture(scope="session")
def short_limits_server() -> Iterator[RunningEmulator]:
    arguments = ["--session-idle-seconds", "1", "--lockout-threshold", "3"]
    with running_emulator(DOCUMENTED_EXAMPLE, extra_args=arguments) as server:
        yield server


@pytest.fixture
def short_limits(short_limits_server: RunningEmulator) -> RunningEmulator:
    """An emulator whose sessions expire after 1 idle second and whose users
    are locked out after 3 failed logins."""
    short_limits_server.reset()
    return short_limits_server
