# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures shared by the unit tests of the collection."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ansible.module_utils import basic
from hypothesis.configuration import set_hypothesis_home_dir

try:
    # ansible-core 2.19 and later.
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # pragma: no cover - older ansible-core
    patch_module_args = None


_hypothesis_home: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _hypothesis_home
    # Hypothesis caches data in ./.hypothesis by default, which would put
    # files into the working tree when pytest runs from the collection root.
    _hypothesis_home = tempfile.mkdtemp(prefix="datafor-hypothesis-")
    set_hypothesis_home_dir(_hypothesis_home)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _hypothesis_home is not None:
        set_hypothesis_home_dir(None)
        shutil.rmtree(_hypothesis_home, ignore_errors=True)


@contextlib.contextmanager
def _legacy_module_args(args: dict[str, Any]) -> Iterator[None]:
    """Expose module arguments the way ansible-core before 2.19 reads them."""
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


@pytest.fixture
def set_module_args() -> Iterator[Callable[[dict[str, Any]], None]]:
    """Return a function that sets the arguments of the next AnsibleModule.

    The arguments stay in place until the test ends. ansible-core 2.19 added
    ``ansible.module_utils.testing.patch_module_args``, which also sets the
    serialization profile that newer releases require, so it is preferred.
    """
    with contextlib.ExitStack() as stack:

        def apply(args: dict[str, Any]) -> None:
            if patch_module_args is not None:
                stack.enter_context(patch_module_args(args))
            else:
                stack.enter_context(_legacy_module_args(args))

        yield apply


@pytest.fixture(autouse=True)
def clear_datafor_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove DATAFOR_* variables, which ConnectionSettings would read."""
    for name in list(os.environ):
        if name.startswith("DATAFOR_"):
            monkeypatch.delenv(name)
