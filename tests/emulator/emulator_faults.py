"""Validation of the faults that tests queue through the control API."""

from __future__ import annotations

from typing import Any

ACTIONS = frozenset({"hang", "reset", "close", "redirect", "delay"})
KINDS = ("status", "json", "action")
MAX_FAULT_SECONDS = 600


class FaultError(ValueError):
    """A fault description that the emulator cannot apply."""


def parse_faults(document: Any) -> list[dict[str, Any]]:
    """Validate a JSON list of faults (a single object is accepted too)."""
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise FaultError("expected a JSON list of fault objects")
    return [parse_fault(item, index) for index, item in enumerate(document)]


def parse_fault(spec: Any, index: int) -> dict[str, Any]:
    where = f"fault {index}"
    if not isinstance(spec, dict):
        raise FaultError(f"{where}: expected a JSON object, got {type(spec).__name__}")
    if "action" in spec and "json" in spec:
        raise FaultError(f"{where}: give either 'action' or 'json', not both")
    if not any(kind in spec for kind in KINDS):
        raise FaultError(f"{where}: give one of 'status', 'json' or 'action'")
    check_common_fields(spec, where)
    if "action" in spec:
        check_action(spec, where)
    else:
        check_response(spec, where)
    return dict(spec)


def check_common_fields(spec: dict[str, Any], where: str) -> None:
    times = spec.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise FaultError(f"{where}: 'times' must be an integer of at least 1")
    for name in ("path", "method"):
        if name in spec and not isinstance(spec[name], str):
            raise FaultError(f"{where}: '{name}' must be a string")


def check_response(spec: dict[str, Any], where: str) -> None:
    status = spec.get("status", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise FaultError(f"{where}: 'status' must be an HTTP status from 100 to 599")
    headers = spec.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(key, str) and isinstance(value, str)
        for key, value in headers.items()
    ):
        raise FaultError(f"{where}: 'headers' must map header names to strings")
    for name in ("body", "content_type"):
        if name in spec and not isinstance(spec[name], str):
            raise FaultError(f"{where}: '{name}' must be a string")


def check_action(spec: dict[str, Any], where: str) -> None:
    action = spec["action"]
    if action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise FaultError(f"{where}: unknown action {action!r}; expected one of {known}")
    seconds = spec.get("seconds", 30)
    if (
        not isinstance(seconds, (int, float))
        or isinstance(seconds, bool)
        or not 0 <= seconds <= MAX_FAULT_SECONDS
    ):
        raise FaultError(
            f"{where}: 'seconds' must be a number from 0 to {MAX_FAULT_SECONDS}"
        )
    if action == "redirect":
        check_redirect(spec, where)


def check_redirect(spec: dict[str, Any], where: str) -> None:
    if not isinstance(spec.get("location"), str):
        raise FaultError(f"{where}: a redirect needs a 'location' string")
    status = spec.get("status", 302)
    if status not in (301, 302, 303, 307, 308):
        raise FaultError(
            f"{where}: a redirect 'status' must be 301, 302, 303, 307 or 308"
        )


def fault_kind(spec: dict[str, Any]) -> str:
    """Name a fault for the request log: its action, 'json' or 'status NNN'."""
    if "action" in spec:
        return str(spec["action"])
    if "json" in spec:
        return "json"
    return f"status {spec['status']}"
