"""In-memory state of the Datafor emulator: data, sessions, lockouts, faults."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from emulator_http import encode_json

ADMIN_ROLE = "Administrator"
LOCKOUT_SECONDS = 24 * 60 * 60
MAX_REQUEST_LOG = 10_000


class DataFileError(ValueError):
    """The data file is missing, not JSON, or not in the documented shape."""


@dataclass(frozen=True)
class User:
    """A server account: the password, the roles and the JWTs it accepts."""

    username: str
    password: str
    roles: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


@dataclass
class DataSet:
    """The contents of a data file."""

    users: dict[str, User]
    backup_configs: list[dict[str, Any]]
    backup_logs: list[dict[str, Any]]


@dataclass
class Session:
    """A servlet session: its user and when a request last used it (monotonic)."""

    username: str
    last_access: float


@dataclass
class PendingFault:
    """A queued fault and how many more matching requests it applies to."""

    spec: dict[str, Any]
    remaining: int


def load_data_file(path: Path) -> DataSet:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DataFileError(f"cannot read data file {path}: {error}") from error
    except ValueError as error:
        raise DataFileError(f"data file {path} is not valid JSON: {error}") from error
    return parse_data_set(document, str(path))


def parse_data_set(document: Any, source: str) -> DataSet:
    if not isinstance(document, dict):
        raise DataFileError(f"{source}: expected a JSON object at the top level")
    users = parse_users(document.get("users", []), source)
    configs = parse_records(
        document.get("backup_configs", []), "backup_configs", source
    )
    logs = parse_records(document.get("backup_logs", []), "backup_logs", source)
    return DataSet(users, configs, logs)


def parse_users(entries: Any, source: str) -> dict[str, User]:
    if not isinstance(entries, list):
        raise DataFileError(f"{source}: 'users' must be a list")
    users = {}
    for index, entry in enumerate(entries):
        user = parse_user(entry, f"{source}: users[{index}]")
        users[user.username] = user
    return users


def parse_user(entry: Any, where: str) -> User:
    if not isinstance(entry, dict):
        raise DataFileError(f"{where} must be an object")
    username = entry.get("username")
    password = entry.get("password")
    if not isinstance(username, str) or not username:
        raise DataFileError(f"{where}: 'username' must be a non-empty string")
    if not isinstance(password, str):
        raise DataFileError(f"{where}: 'password' must be a string")
    roles = string_list(entry.get("roles", []), f"{where}.roles")
    tokens = string_list(entry.get("tokens", []), f"{where}.tokens")
    return User(username, password, tuple(roles), tuple(tokens))


def string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DataFileError(f"{where} must be a list of strings")
    return value


def parse_records(value: Any, key: str, source: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DataFileError(f"{source}: '{key}' must be a list of objects")
    return value


class EmulatorState:
    """All mutable emulator state, guarded by one lock for the handler threads."""

    def __init__(
        self,
        data_file: Path,
        session_idle_seconds: float,
        lockout_threshold: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_file = data_file
        self.session_idle_seconds = session_idle_seconds
        self.lockout_threshold = lockout_threshold
        self._clock = clock
        self._lock = threading.RLock()
        self._initial = load_data_file(data_file)
        self.users: dict[str, User] = {}
        self._configs: list[Any] = []
        self._configs_json: bytes | None = None
        self._logs: list[dict[str, Any]] = []
        self._sessions: dict[str, Session] = {}
        self._failed_logins: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._faults: list[PendingFault] = []
        self._request_log: list[dict[str, Any]] = []
        self.reset()

    def reset(self) -> None:
        """Restore the data file's contents and clear every other kind of state."""
        with self._lock:
            self.users = dict(self._initial.users)
            self._configs = json.loads(json.dumps(self._initial.backup_configs))
            self._configs_json = None
            self._logs = json.loads(json.dumps(self._initial.backup_logs))
            self._sessions.clear()
            self._failed_logins.clear()
            self._locked_until.clear()
            self._faults.clear()
            self._request_log.clear()

    # Backup configs and logs

    def backup_configs(self, config_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if config_id is None:
                return list(self._configs)
            return [
                item
                for item in self._configs
                if isinstance(item, dict) and item.get("id") == config_id
            ]

    def encoded_backup_configs(self) -> bytes:
        """Return all configs as a JSON array, cached because it may hold 100,000."""
        with self._lock:
            if self._configs_json is None:
                self._configs_json = encode_json(self._configs)
            return self._configs_json

    def replace_backup_configs(self, records: list[Any]) -> None:
        with self._lock:
            self._configs = records
            self._configs_json = None

    def backup_logs(self, config_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if config_id is None:
                return list(self._logs)
            return [item for item in self._logs if item.get("backupid") == config_id]

    def find_backup_log(self, log_id: str) -> dict[str, Any] | None:
        with self._lock:
            for item in self._logs:
                if item.get("id") == log_id:
                    return item
        return None

    def replace_backup_logs(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self._logs = records

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "backup_configs": len(self._configs),
                "backup_logs": len(self._logs),
                "sessions": len(self._sessions),
                "pending_faults": len(self._faults),
            }

    # Users, failed logins and lockouts

    def user_for_token(self, token: str) -> User | None:
        with self._lock:
            for user in self.users.values():
                if token in user.tokens:
                    return user
        return None

    def verify_password(self, username: str, password: str) -> User | None:
        """Check a password, counting a failure toward the lockout of that user.

        Returns None when the user is unknown, the password is wrong or the
        account is locked; a locked account rejects even the right password.
        """
        with self._lock:
            if self.is_locked(username):
                return None
            user = self.users.get(username)
            if user is None or not secrets.compare_digest(
                user.password.encode("utf-8"), password.encode("utf-8")
            ):
                self._count_failed_login(username)
                return None
            self._failed_logins.pop(username, None)
            return user

    def _count_failed_login(self, username: str) -> None:
        count = self._failed_logins.get(username, 0) + 1
        self._failed_logins[username] = count
        if count >= self.lockout_threshold:
            self._locked_until[username] = self._clock() + LOCKOUT_SECONDS

    def is_locked(self, username: str) -> bool:
        with self._lock:
            until = self._locked_until.get(username)
            if until is None:
                return False
            if self._clock() < until:
                return True
            del self._locked_until[username]
            self._failed_logins.pop(username, None)
            return False

    def failed_login_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._failed_logins)

    def locked_users(self) -> list[str]:
        with self._lock:
            return sorted(name for name in self._locked_until if self.is_locked(name))

    # Sessions

    def create_session(self, username: str) -> str:
        # Tomcat session ids are 32 upper-case hexadecimal digits.
        session_id = secrets.token_hex(16).upper()
        with self._lock:
            self._sessions[session_id] = Session(username, self._clock())
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """Return the user of a live session and refresh its idle timer."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            now = self._clock()
            if now - session.last_access > self.session_idle_seconds:
                del self._sessions[session_id]
                return None
            session.last_access = now
            return self.users.get(session.username)

    def end_session(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def expire_sessions(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count

    # Faults

    def add_faults(self, specs: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for spec in specs:
                self._faults.append(PendingFault(spec, int(spec.get("times", 1))))

    def take_fault(self, method: str, path: str, in_context: bool) -> dict | None:
        """Consume and return the first queued fault that matches this request."""
        with self._lock:
            for pending in self._faults:
                if fault_matches(pending.spec, method, path, in_context):
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                    return pending.spec
        return None

    def pending_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(pending.spec, times=pending.remaining) for pending in self._faults
            ]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # Request log

    def record_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._request_log.append(entry)
            if len(self._request_log) > MAX_REQUEST_LOG:
                del self._request_log[0]

    def request_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._request_log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._request_log.clear()


def fault_matches(
    spec: dict[str, Any], method: str, path: str, in_context: bool
) -> bool:
    """Match by the optional method and path substring; without a path, any
    path under the context path matches."""
    expected_method = spec.get("method")
    if expected_method is not None and expected_method.upper() != method:
        return False
    expected_path = spec.get("path")
    if expected_path is None:
        return in_context
    return expected_path in path
