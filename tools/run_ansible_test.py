"""Run `ansible-test sanity` or `ansible-test units` on this collection.

ansible-test only runs from a directory laid out as
ansible_collections/<namespace>/<name>/, so this script copies the files git
tracks, plus untracked files that .gitignore does not exclude, into
build/ansible-test/ansible_collections/<namespace>/<name>/ and runs ansible-test
there with --venv and the Python version of the interpreter running this
script. Run it with .venv/bin/python; extra arguments go to ansible-test:

    .venv/bin/python tools/run_ansible_test.py sanity --test pep8

ansible-test --venv bootstraps pip in its virtual environments with a script
it downloads from ci-files.testing.ansible.com and caches under
~/.ansible/test/cache/. When that cache file is missing, this script puts
tools/get_pip_standin.py there, so no download is needed. It never replaces a
file that is already in the cache.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import types
from typing import NoReturn

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDIN = os.path.join(ROOT, "tools", "get_pip_standin.py")
GET_PIP_CACHE = os.path.expanduser("~/.ansible/test/cache/get_pip_{}.py")
COMMANDS = ("sanity", "units")

# ansible-test passes, with a warning, a sanity test whose Python version,
# virtual environment, libyaml or program (shellcheck, pwsh) is missing.
SKIP_WARNING = re.compile(r"Skipping sanity test|Required program .* not found")


def log(message: str) -> None:
    print(f"run_ansible_test: {message}", flush=True)


def fail(message: str) -> NoReturn:
    print(f"run_ansible_test: error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def bootstrap_pip_versions() -> set[str]:
    """Return the pip versions ansible-test installs in its virtual environments.

    ansible-core 2.19.14 pins pip 24.2 and 2.21.5 pins pip 25.2 for every Python
    version it supports. The version is part of the get-pip cache file name.
    """
    try:
        from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
        from ansible_test._internal.python_requirements import get_venv_packages
    except ImportError as error:
        fail(f"cannot import ansible-test internals ({error}); run `make venv` first")
    versions = set()
    for python_version in SUPPORTED_PYTHON_VERSIONS:
        # get_venv_packages reads only the .version attribute of its argument.
        config = types.SimpleNamespace(version=python_version)
        versions.add(get_venv_packages(config)["pip"])  # type: ignore[arg-type]
    return versions


def install_get_pip_standin() -> None:
    for pip_version in sorted(bootstrap_pip_versions()):
        cache_path = GET_PIP_CACHE.format(pip_version.replace(".", "_"))
        if os.path.exists(cache_path):
            continue
        os.makedirs(os.path.dirname(cache_path), exist_ok=True)
        shutil.copyfile(STANDIN, cache_path)
        log(f"installed the get-pip stand-in for pip {pip_version} at {cache_path}")


def reject_ignore_files() -> None:
    ignore_files = sorted(
        glob.glob(os.path.join(ROOT, "tests", "sanity", "ignore-*.txt"))
    )
    if ignore_files:
        names = ", ".join(os.path.relpath(path, ROOT) for path in ignore_files)
        fail(
            f"sanity ignore files are not allowed: {names}. "
            "Fix the problems they suppress and delete them."
        )


def collection_files() -> list[str]:
    completed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=True,
    )
    paths = completed.stdout.decode().split("\0")
    # --cached also lists files deleted from the work tree but not from the index.
    return [
        path for path in paths if path and os.path.lexists(os.path.join(ROOT, path))
    ]


def copy_collection() -> str:
    """Copy the collection into its ansible_collections tree and return that path."""
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    destination = os.path.join(
        ROOT,
        "build",
        "ansible-test",
        "ansible_collections",
        galaxy["namespace"],
        galaxy["name"],
    )
    shutil.rmtree(destination, ignore_errors=True)
    for path in collection_files():
        source = os.path.join(ROOT, path)
        target = os.path.join(destination, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    # ansible-test lists content with git when it finds a .git directory in the
    # collection root or above it. Without this repository it would find the
    # project's own, which ignores build/, and see no files at all.
    subprocess.run(["git", "init", "--quiet", destination], check=True)
    return destination


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail(f"usage: {sys.argv[0]} {{{','.join(COMMANDS)}}} [ansible-test arguments]")
    command, extra_arguments = sys.argv[1], sys.argv[2:]
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    bin_dir = os.path.dirname(sys.executable)

    reject_ignore_files()
    install_get_pip_standin()
    collection_root = copy_collection()

    environment = dict(os.environ)
    environment["PATH"] = bin_dir + os.pathsep + environment.get("PATH", "")
    arguments = [
        os.path.join(bin_dir, "ansible-test"),
        command,
        "--venv",
        "--python",
        python_version,
        *extra_arguments,
    ]
    log(f"running {' '.join(arguments)} in {collection_root}")
    with subprocess.Popen(
        arguments,
        cwd=collection_root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
    ) as process:
        assert process.stdout is not None
        skip_warnings = []
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if SKIP_WARNING.search(line):
                skip_warnings.append(line.strip())
        returncode = process.wait()
    if returncode != 0:
        sys.exit(returncode)
    if skip_warnings:
        fail(
            "ansible-test skipped checks because a requirement is missing; "
            "install it and run again:\n  " + "\n  ".join(dict.fromkeys(skip_warnings))
        )


if __name__ == "__main__":
    main()
