"""Run the demo: the backup audit playbook against the Datafor emulator.

Run it with .venv/bin/python (`make demo` does). It builds the collection
tarball and installs it into build/demo/collections as a user would. Then it
starts the emulator on a free loopback port with the realistic data set and
runs demo/check_backups.yml twice. The first run, with the default
requirements, must pass. The second names a disabled and a missing backup
and must fail with the policy message. The script exits 0 only when both
runs behave so.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))

from emulator_process import REALISTIC, running_emulator  # noqa: E402

BIN_DIR = os.path.dirname(sys.executable)
DEMO_DIR = os.path.join(ROOT, "build", "demo")
COLLECTIONS_DIR = os.path.join(DEMO_DIR, "collections")
PLAYBOOK = os.path.join(ROOT, "demo", "check_backups.yml")
# The emulator's realistic data set has this administrator.
DEMO_USERNAME = "backup-auditor"
DEMO_PASSWORD = "auditor-secret-1"
FAILING_REQUIREMENTS = (
    '{"required_backups": ["nightly-full", "legacy-export", "quarterly-archive"]}'
)
POLICY_MESSAGE = "Backup policy violated."


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def run(command: list[str], env: dict[str, str] | None = None) -> int:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def run_captured(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a command, print its output, and also return the output."""
    print("$ " + " ".join(command), flush=True)
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    print(completed.stdout, end="", flush=True)
    return completed.returncode, completed.stdout


def build_and_install() -> None:
    """Build the tarball and install it, so the demo uses what users install."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    os.makedirs(DEMO_DIR)
    galaxy = os.path.join(BIN_DIR, "ansible-galaxy")
    if run([galaxy, "collection", "build", "--output-path", DEMO_DIR]) != 0:
        sys.exit("Building the collection tarball failed; see the output above.")

    tarballs = glob.glob(os.path.join(DEMO_DIR, "datafor-platform-*.tar.gz"))
    if len(tarballs) != 1:
        sys.exit(f"Expected one tarball in {DEMO_DIR}, found {tarballs}.")
    command = [galaxy, "collection", "install", "-p", COLLECTIONS_DIR, tarballs[0]]
    if run(command) != 0:
        sys.exit("Installing the collection tarball failed; see the output above.")


def playbook_environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PATH": BIN_DIR + os.pathsep + env.get("PATH", ""),
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_DIR,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_FORCE_COLOR": env.get("ANSIBLE_FORCE_COLOR", "false"),
            "DATAFOR_URL": url,
            "DATAFOR_USERNAME": DEMO_USERNAME,
            "DATAFOR_PASSWORD": DEMO_PASSWORD,
        }
    )
    return env


def main() -> int:
    banner("Build and install the collection from its tarball")
    build_and_install()

    with running_emulator(REALISTIC) as emulator:
        banner(f"Datafor emulator running at {emulator.url}")
        env = playbook_environment(emulator.url)
        playbook = os.path.join(BIN_DIR, "ansible-playbook")

        banner("Audit: nightly-full and weekly-content must exist and be enabled")
        passed = run([playbook, PLAYBOOK], env) == 0

        banner(
            "Audit that must fail: legacy-export disabled, quarterly-archive missing"
        )
        command = [playbook, PLAYBOOK, "-e", FAILING_REQUIREMENTS]
        returncode, output = run_captured(command, env)
        # ansible-playbook exits with 2 when a task failed on a host.
        failed_as_expected = returncode == 2 and POLICY_MESSAGE in output

    banner("Result")
    print(f"The first audit passed: {'yes' if passed else 'NO'}")
    print(
        "The second audit failed with the policy message: "
        + ("yes" if failed_as_expected else "NO")
    )
    return 0 if passed and failed_as_expected else 1


if __name__ == "__main__":
    sys.exit(main())
