"""Run the project's checks and tests in order, stopping at the first failure.

Run it with .venv/bin/python (`make test` does). With no arguments it runs
every step. Name steps, or the group "lint", to run only those:

    .venv/bin/python tools/test.py ruff mypy
    .venv/bin/python tools/test.py lint
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Callable

import run_ansible_test

ROOT = run_ansible_test.ROOT
BIN_DIR = os.path.dirname(sys.executable)
PYTEST_FOLDERS = ("tests/emulator", "tests/e2e")
RUFF_FOLDERS = ("plugins", "tests", "tools")

# pytest exits with 5 when it collected no tests.
PYTEST_NO_TESTS = 5


def existing_folders(folders: tuple[str, ...]) -> list[str]:
    return [folder for folder in folders if os.path.isdir(os.path.join(ROOT, folder))]


def tool(name: str) -> str:
    return os.path.join(BIN_DIR, name)


def run(
    command: list[str], cwd: str = ROOT, extra_env: dict[str, str] | None = None
) -> int:
    print("$ " + " ".join(command), flush=True)
    environment = dict(os.environ)
    environment["PATH"] = BIN_DIR + os.pathsep + environment.get("PATH", "")
    environment.update(extra_env or {})
    return subprocess.run(command, cwd=cwd, env=environment, check=False).returncode


def step_ruff() -> int:
    folders = existing_folders(RUFF_FOLDERS)
    returncode = run([tool("ruff"), "check", *folders])
    if returncode != 0:
        return returncode
    return run([tool("ruff"), "format", "--check", *folders])


def step_mypy() -> int:
    # The plugins import each other as ansible_collections.datafor.platform.*,
    # which resolves only in the copy under build/ansible-test/.
    collection_root = run_ansible_test.copy_collection()
    tree_root = os.path.dirname(os.path.dirname(os.path.dirname(collection_root)))
    return run(
        [
            tool("mypy"),
            "--config-file",
            os.path.join(ROOT, "pyproject.toml"),
            "--explicit-package-bases",
            os.path.relpath(os.path.join(collection_root, "plugins"), tree_root),
        ],
        cwd=tree_root,
    )


def step_ansible_lint() -> int:
    # Offline, ansible-lint does not install the collection it lints, so the
    # playbooks' datafor.platform modules resolve only through this link.
    collections_dir = os.path.join(ROOT, "build", "lint-collections")
    link = os.path.join(collections_dir, "ansible_collections", "datafor", "platform")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(ROOT, link)
    command = [tool("ansible-lint"), "--offline", "--profile", "production"]
    return run(command, extra_env={"ANSIBLE_COLLECTIONS_PATH": collections_dir})


def step_changelog() -> int:
    return run([tool("antsibull-changelog"), "lint"])


def step_docs() -> int:
    return run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."])


def step_sanity() -> int:
    return run(
        [sys.executable, os.path.join(ROOT, "tools", "run_ansible_test.py"), "sanity"]
    )


def step_units() -> int:
    return run(
        [sys.executable, os.path.join(ROOT, "tools", "run_ansible_test.py"), "units"]
    )


def step_pytest() -> int:
    folders = existing_folders(PYTEST_FOLDERS)
    if not folders:
        print(f"error: none of the pytest folders exist: {', '.join(PYTEST_FOLDERS)}")
        return 1
    # One worker per core; each test file runs whole on one worker, so the
    # end-to-end files keep one emulator each. -ra lists skipped tests.
    command = [tool("pytest"), "-n", "auto", "--dist", "loadfile", "-ra", *folders]
    returncode = run(command)
    if returncode == PYTEST_NO_TESTS:
        print(f"error: pytest collected no tests in {', '.join(folders)}")
    return returncode


STEPS: dict[str, Callable[[], int]] = {
    "ruff": step_ruff,
    "mypy": step_mypy,
    "ansible-lint": step_ansible_lint,
    "changelog": step_changelog,
    "docs": step_docs,
    "sanity": step_sanity,
    "units": step_units,
    "pytest": step_pytest,
}
GROUPS = {"lint": ["ruff", "mypy", "ansible-lint", "changelog", "docs"]}


def selected_steps(arguments: list[str]) -> list[str]:
    if not arguments:
        return list(STEPS)
    names = []
    for argument in arguments:
        if argument in GROUPS:
            names.extend(GROUPS[argument])
        elif argument in STEPS:
            names.append(argument)
        else:
            choices = ", ".join([*STEPS, *GROUPS])
            sys.exit(f"error: unknown step {argument!r}; choose from {choices}")
    return names


def main() -> None:
    names = selected_steps(sys.argv[1:])
    timings = []
    for number, name in enumerate(names, start=1):
        print(f"\n===== [{number}/{len(names)}] {name} =====", flush=True)
        started = time.monotonic()
        returncode = STEPS[name]()
        seconds = time.monotonic() - started
        timings.append(f"{name} {seconds:.0f}s")
        if returncode != 0:
            print(
                f"\n===== FAILED: {name} (exit code {returncode}, {seconds:.0f}s) ====="
            )
            sys.exit(1)
    print(f"\n===== all {len(names)} steps passed: {', '.join(timings)} =====")


if __name__ == "__main__":
    main()
