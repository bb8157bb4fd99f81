"""The Datafor endpoints that the emulator serves under the context path."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable

from emulator_http import (
    JSON_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    Request,
    Response,
    html_error,
    json_response,
    login_page,
    parse_query,
    redirect,
)
from emulator_records import build_archive
from emulator_state import EmulatorState, User

PLUGIN_PREFIX = "/plugin/"
BACKUP_QUERY = "/plugin/datafor-backup/api/query"
LOG_QUERY = "/plugin/datafor-backup/api/log/query"
LOG_DOWNLOAD = "/plugin/datafor-backup/api/log/download"
AUTH_PREFIX = "/plugin/datafor/api/extension/auth/"
LOGIN = AUTH_PREFIX + "login"
LOGOUT = AUTH_PREFIX + "logout"
FETCH_USER = AUTH_PREFIX + "fetchUser"
SESSION_COOKIE = "JSESSIONID"
REALM_HEADER = ("WWW-Authenticate", 'Basic realm="Pentaho Realm"')
INSTALLED_PLUGINS = ["datafor", "datafor-backup"]

NO_PERMISSION = {
    "success": False,
    "code": 403,
    "msg": "no permission",
    "data": None,
    "type": "1",
}
LOGIN_FAILED = {
    "success": False,
    "data": "0",
    "msg": "wrong password",
    "needCaptcha": True,
}


@dataclass
class Authentication:
    """The caller of a request. When `rejected` is true, the request gets HTTP 401."""

    user: User | None = None
    rejected: bool = False
    session_id: str | None = None


@dataclass
class Endpoint:
    """A known path: the allowed method, the handler and whether it needs a user."""

    method: str
    handler: Callable[[Request, EmulatorState, Authentication], Response]
    needs_admin: bool


class DataforApi:
    """Routes requests under the context path to the emulated endpoints."""

    def __init__(self, state: EmulatorState, context_path: str) -> None:
        self.state = state
        self.context_path = context_path
        self.endpoints = {
            BACKUP_QUERY: Endpoint("POST", query_backup_configs, True),
            LOG_QUERY: Endpoint("POST", query_backup_logs, True),
            LOG_DOWNLOAD: Endpoint("GET", download_backup, True),
            LOGOUT: Endpoint("GET", logout, False),
            FETCH_USER: Endpoint("GET", fetch_user, False),
        }

    def in_context(self, path: str) -> bool:
        return path.startswith(self.context_path + "/")

    def handle(self, request: Request) -> Response:
        if not self.in_context(request.path):
            return self.handle_outside_context(request)
        path = request.path[len(self.context_path) :]
        if path == LOGIN:
            return self.handle_login(request)
        if path.startswith(PLUGIN_PREFIX):
            return self.handle_plugin(request, path)
        if path in ("/", "/Home"):
            return redirect(f"{self.context_path}/Login")
        if path == "/Login":
            return login_page(self.context_path)
        return html_error(404, request.path)

    def handle_outside_context(self, request: Request) -> Response:
        if request.path == self.context_path:
            return redirect(f"{self.context_path}/")
        if request.path in ("/", "/Login") and request.method == "GET":
            return login_page(self.context_path)
        return html_error(404, request.path)

    def handle_login(self, request: Request) -> Response:
        if request.method != "POST":
            return method_not_allowed(request, "POST")
        return login(request, self.state)

    def handle_plugin(self, request: Request, path: str) -> Response:
        endpoint = self.endpoints.get(path)
        needs_user = endpoint is None or endpoint.needs_admin
        auth = authenticate(request, self.state, stale_cookie_rejects=needs_user)
        if auth.rejected or (needs_user and auth.user is None):
            return unauthorized(request)
        if endpoint is None:
            response = html_error(404, request.path)
        elif request.method != endpoint.method:
            response = method_not_allowed(request, endpoint.method)
        elif endpoint.needs_admin and not auth.user.is_admin:
            response = no_permission(path)
        else:
            response = endpoint.handler(request, self.state, auth)
        response.user = auth.user.username if auth.user else None
        return response


def authenticate(
    request: Request, state: EmulatorState, stale_cookie_rejects: bool
) -> Authentication:
    """Identify the caller by session cookie, Basic, Bearer or ?token=.

    A live session wins over any header. An unknown or expired session id
    rejects the request, even with valid credentials beside it, except on the
    endpoints open to anonymous callers, where it counts as no session.
    """
    session_id = request.cookie(SESSION_COOKIE)
    if session_id:
        user = state.session_user(session_id)
        if user is not None:
            return checked(user, state, session_id)
        if stale_cookie_rejects:
            return Authentication(rejected=True)
    scheme, _separator, credentials = request.headers.get(
        "Authorization", ""
    ).partition(" ")
    if scheme.lower() == "basic":
        return authenticate_basic(credentials.strip(), state)
    if scheme.lower() == "bearer":
        return authenticate_token(credentials.strip(), state)
    token = request.query_value("token")
    if token is not None:
        return authenticate_token(token, state)
    return Authentication()


def authenticate_basic(credentials: str, state: EmulatorState) -> Authentication:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return Authentication(rejected=True)
    username, separator, password = decoded.partition(":")
    if not separator:
        return Authentication(rejected=True)
    user = state.verify_password(username, password)
    if user is None:
        return Authentication(rejected=True)
    return Authentication(user)


def authenticate_token(token: str, state: EmulatorState) -> Authentication:
    user = state.user_for_token(token)
    if user is None:
        return Authentication(rejected=True)
    return checked(user, state)


def checked(
    user: User, state: EmulatorState, session_id: str | None = None
) -> Authentication:
    """Reject a locked account whatever credentials it arrived with."""
    if state.is_locked(user.username):
        return Authentication(rejected=True)
    return Authentication(user, session_id=session_id)


def unauthorized(request: Request) -> Response:
    return html_error(401, request.path, [REALM_HEADER])


def method_not_allowed(request: Request, allowed: str) -> Response:
    message = f"Request method '{request.method}' is not supported"
    return html_error(405, message, [("Allow", allowed)])


def no_permission(path: str) -> Response:
    if path == LOG_DOWNLOAD:
        return text_attachment("info.txt", "no permission")
    return json_response(NO_PERMISSION)


def text_attachment(filename: str, text: str) -> Response:
    disposition = ("Content-Disposition", f'attachment; filename="{filename}"')
    return Response(200, text.encode("utf-8"), TEXT_CONTENT_TYPE, [disposition])


def envelope_response(data: Any) -> Response:
    return json_response({"msg": "", "data": data, "success": True})


def query_parameters(request: Request) -> dict[str, Any] | None:
    """Merge the query string with a JSON or form body.

    Returns None when the body is malformed.
    """
    parameters: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and request.body.strip():
        try:
            document = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(document, dict):
            return None
        parameters.update(document)
    elif request.content_type == "application/x-www-form-urlencoded":
        try:
            parameters.update(parse_query(request.body.decode("utf-8")))
        except UnicodeDecodeError:
            return None
    return parameters


def id_filter(parameters: dict[str, Any]) -> str | None:
    value = parameters.get("id")
    if value is None or value == "":
        return None
    return str(value)


def query_backup_configs(
    request: Request, state: EmulatorState, auth: Authentication
) -> Response:
    parameters = query_parameters(request)
    if parameters is None:
        return html_error(400, "The request body is not valid JSON or form data")
    config_id = id_filter(parameters)
    if config_id is not None:
        return envelope_response(state.backup_configs(config_id))
    encoded = state.encoded_backup_configs()
    body = b'{"msg":"","data":' + encoded + b',"success":true}'
    return Response(200, body, JSON_CONTENT_TYPE)


def query_backup_logs(
    request: Request, state: EmulatorState, auth: Authentication
) -> Response:
    parameters = query_parameters(request)
    if parameters is None:
        return html_error(400, "The request body is not valid JSON or form data")
    return envelope_response(state.backup_logs(id_filter(parameters)))


def download_backup(
    request: Request, state: EmulatorState, auth: Authentication
) -> Response:
    # Tomcat decodes '+' in a query string as a space, so an archive id such as
    # "Backup_2025.02.26-11.12.00.205+0800" only matches when sent as %2B.
    log_id = request.query_value("id") or ""
    record = state.find_backup_log(log_id)
    if record is None:
        return html_error(404, f"{log_id}.zip not found")
    disposition = ("Content-Disposition", f'attachment; filename="{log_id}.zip"')
    return Response(200, build_archive(record), "application/zip", [disposition])


def login(request: Request, state: EmulatorState) -> Response:
    fields = dict(request.query)
    if request.content_type == "application/x-www-form-urlencoded":
        fields.update(parse_query(request.body.decode("utf-8", errors="replace")))
    user = state.verify_password(fields.get("username", ""), fields.get("password", ""))
    if user is None:
        return json_response(LOGIN_FAILED)
    current = request.cookie(SESSION_COOKIE)
    if current and session_belongs_to(state, current, user):
        body = {
            "success": True,
            "msg": "login success",
            "data": "2",
            "jsessionid": current,
        }
        response = json_response(body)
    else:
        session_id = state.create_session(user.username)
        body = {
            "success": True,
            "msg": "login success",
            "data": "1",
            "jsessionid": session_id,
        }
        response = json_response(body)
        response.headers.append(("Set-Cookie", session_cookie(request, session_id)))
    response.user = user.username
    return response


def session_belongs_to(state: EmulatorState, session_id: str, user: User) -> bool:
    session_user = state.session_user(session_id)
    return session_user is not None and session_user.username == user.username


def session_cookie(request: Request, session_id: str) -> str:
    context_path = request.path[: -len(LOGIN)] or "/"
    cookie = f"{SESSION_COOKIE}={session_id}; Path={context_path}; HttpOnly"
    if request.secure:
        cookie += "; Secure"
    return cookie


def logout(request: Request, state: EmulatorState, auth: Authentication) -> Response:
    if auth.session_id:
        state.end_session(auth.session_id)
    return json_response({"success": True, "code": "200", "data": "1"})


def fetch_user(
    request: Request, state: EmulatorState, auth: Authentication
) -> Response:
    # NOTE: the vendor's page names the keys islogged, roles, plugins and
    # canAdminister; the "username" key and the role lists are assumptions.
    if auth.user is None:
        return json_response(
            {"islogged": False, "roles": ["Anonymous"], "plugins": INSTALLED_PLUGINS}
        )
    document: dict[str, Any] = {
        "islogged": True,
        "username": auth.user.username,
        "roles": [*list(auth.user.roles), "Authenticated"],
        "plugins": INSTALLED_PLUGINS,
    }
    if auth.user.is_admin:
        document["canAdminister"] = True
    return json_response(document)
