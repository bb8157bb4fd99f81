"""Offline stand-in for the get-pip.py script that ansible-test runs.

`ansible-test --venv` creates each virtual environment without pip and then
runs ~/.ansible/test/cache/get_pip_<pip version>.py in it, downloading that
file from ci-files.testing.ansible.com when the cache has no copy. Where that
host cannot be reached, tools/run_ansible_test.py copies this file into the
cache path, and only when no file is there yet.

This script installs pip with the standard library's ensurepip, then passes
its arguments to `pip install`: ansible-test passes requirements such as
pip==25.2 and pip options, which pip then satisfies from the configured
package index when the ensurepip version does not match. --no-setuptools and
--no-wheel are honoured as in get-pip.py. Unlike get-pip.py, the script does
not upgrade pip when no pip requirement is given, so that case stays offline.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

# get-pip.py installs these unless the matching --no-* flag is given.
IMPLICIT_PACKAGES = ("setuptools", "wheel")
SKIP_FLAGS = {
    "--no-pip": "pip",
    "--no-setuptools": "setuptools",
    "--no-wheel": "wheel",
}
PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def normalize(name: str) -> str:
    """Return the PEP 503 normalized form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def named_projects(arguments: list[str]) -> set[str]:
    """Return the projects named by requirement arguments such as pip==25.2.

    An argument that does not start with "-" counts as a requirement. The
    value of a pip option given as a separate argument is miscounted too,
    which at worst skips an implicit setuptools or wheel install.
    """
    names = set()
    for argument in arguments:
        if argument.startswith("-"):
            continue
        match = PROJECT_NAME.match(argument)
        if match:
            names.add(normalize(match.group(0)))
    return names


def run(command: list[str]) -> None:
    print("get-pip stand-in: running " + " ".join(command), flush=True)
    returncode = subprocess.call(command)
    if returncode != 0:
        print(
            f"get-pip stand-in: error: command failed with exit code {returncode}",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(returncode)


def main() -> None:
    arguments = sys.argv[1:]
    skipped = {SKIP_FLAGS[arg] for arg in arguments if arg in SKIP_FLAGS}
    pip_arguments = [arg for arg in arguments if arg not in SKIP_FLAGS]
    had_setuptools = importlib.util.find_spec("setuptools") is not None

    if "pip" in skipped:
        print("get-pip stand-in: --no-pip given, pip is not installed", flush=True)
        return

    run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])

    # ensurepip before Python 3.12 installs setuptools alongside pip.
    if "setuptools" in skipped and not had_setuptools and sys.version_info < (3, 12):
        run(
            [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"]
        )

    named = named_projects(pip_arguments)
    implicit = [
        name for name in IMPLICIT_PACKAGES if name not in skipped and name not in named
    ]
    if named or implicit:
        run([sys.executable, "-m", "pip", "install", *pip_arguments, *implicit])


if __name__ == "__main__":
    main()
