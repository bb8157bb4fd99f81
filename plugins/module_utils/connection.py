# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection options shared by every datafor.platform module.

``connection_argument_spec()`` is the argument spec that matches the
``datafor.platform.connection`` doc fragment, and ``ConnectionSettings``
validates the parsed values once, before any request is sent.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforOptionsError,
)

DEFAULT_TIMEOUT = 30
DEFAULT_RETRIES = 3
# A bound on retries keeps an unattended run from hammering a failing server.
MAX_RETRIES = 10

AUTH_HINT = (
    "Set exactly one way to authenticate: username with password, token, or "
    "session_cookie, as module options or through the DATAFOR_USERNAME, "
    "DATAFOR_PASSWORD, DATAFOR_TOKEN or DATAFOR_SESSION_COOKIE environment "
    "variables"
)

# RFC 6265 cookie-octets: printable ASCII without space, quote, comma,
# semicolon and backslash.
_COOKIE_VALUE = re.compile(r"^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$")
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def connection_argument_spec() -> dict[str, dict[str, Any]]:
    """Build the argument spec of the connection options.

    The credential options have no ``env_fallback``: ConnectionSettings reads
    their DATAFOR_* variables itself, so that options set in a task win over
    the environment as a whole way to authenticate, not option by option.
    """
    return {
        "url": {
            "type": "str",
            "required": True,
            "fallback": (env_fallback, ["DATAFOR_URL"]),
        },
        "username": {
            "type": "str",
        },
        "password": {
            "type": "str",
            "no_log": True,
        },
        "token": {
            "type": "str",
            "no_log": True,
        },
        "session_cookie": {
            "type": "str",
            "no_log": True,
        },
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
        "use_proxy": {"type": "bool", "default": True},
        "retries": {"type": "int", "default": DEFAULT_RETRIES},
    }


@dataclass(frozen=True)
class ConnectionSettings:
    """Validated connection options.

    ``base_url`` ends without a slash and keeps the context path, for example
    ``https://bi.example.com:28080/datafor``. Exactly one of ``password``,
    ``token`` and ``session_cookie`` is set.
    """

    base_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    session_cookie: str | None = None
    validate_certs: bool = True
    ca_path: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    use_proxy: bool = True
    retries: int = DEFAULT_RETRIES

    def __repr__(self) -> str:
        # The generated repr would print the secrets.
        return f"ConnectionSettings({self.base_url!r}, auth={self.auth_method})"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ConnectionSettings:
        """Validate module parameters and build the settings.

        Raises DataforOptionsError with the option name and the fix.
        """
        params, from_environment = _credentials_with_environment(params)
        settings = cls(
            base_url=_normalise_url(params.get("url")),
            username=_blank_to_none(params.get("username")),
            password=params.get("password") or None,
            token=_blank_to_none(params.get("token")),
            session_cookie=_blank_to_none(params.get("session_cookie")),
            validate_certs=bool(params.get("validate_certs", True)),
            ca_path=params.get("ca_path") or None,
            timeout=_check_range("timeout", params.get("timeout"), 1, 3600),
            use_proxy=bool(params.get("use_proxy", True)),
            retries=_check_range("retries", params.get("retries"), 0, MAX_RETRIES),
        )
        settings._check_authentication(params, from_environment)
        if settings.ca_path is not None:
            _check_ca_path(settings.ca_path)
        if settings.session_cookie is not None:
            cookie_header(settings.session_cookie)
        if settings.token is not None and not _is_header_safe(settings.token):
            raise DataforOptionsError(
                "The token contains spaces or control characters",
                hint="Pass the JWT itself, without the 'Bearer' prefix",
            )
        return settings

    @property
    def auth_method(self) -> str:
        """Name of the way this client authenticates: basic, token or cookie."""
        if self.token is not None:
            return "token"
        if self.session_cookie is not None:
            return "session_cookie"
        return "basic"

    def auth_headers(self) -> dict[str, str]:
        """Build the headers that carry the credentials on every request."""
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        if self.session_cookie is not None:
            return {"Cookie": cookie_header(self.session_cookie)}
        pair = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def secrets(self) -> list[str]:
        """List the secret values, so that callers can mask them in any text.

        Besides the options themselves, this covers the encoded forms a server
        may echo: the header values, the base64 of ``user:password`` and each
        value inside a whole ``Cookie`` header.
        """
        values = [self.password, self.token, self.session_cookie]
        found = [value for value in values if value]
        headers = self.auth_headers()
        found.extend(headers.values())
        if self.auth_method == "basic":
            found.append(headers["Authorization"].split(" ", 1)[1])
        if self.session_cookie is not None:
            found.extend(_cookie_values(headers["Cookie"]))
        for value in list(found):
            found.extend(_encoded_forms(value))
        return list(dict.fromkeys(found))

    def _check_authentication(
        self, params: dict[str, Any], from_environment: set[str]
    ) -> None:
        given = [
            group + _source_of(group, params, from_environment)
            for group in AUTH_OPTIONS
            if _given_options(group, params)
        ]

        if not given:
            raise DataforOptionsError("No credentials were given", hint=AUTH_HINT)
        if len(given) > 1:
            raise DataforOptionsError(
                "More than one way to authenticate was given: " + ", ".join(given),
                hint=AUTH_HINT,
            )
        if self.token is None and self.session_cookie is None:
            if self.username is None:
                raise DataforOptionsError(
                    "password was given without username", hint=AUTH_HINT
                )
            if self.password is None:
                raise DataforOptionsError(
                    "username was given without password", hint=AUTH_HINT
                )
            if ":" in self.username:
                raise DataforOptionsError(
                    "username contains ':', which HTTP Basic authentication "
                    "cannot carry",
                    hint="Check the user name",
                )


# Each way to authenticate: its options and their environment variables.
AUTH_OPTIONS = {
    "username/password": {
        "username": "DATAFOR_USERNAME",
        "password": "DATAFOR_PASSWORD",
    },
    "token": {"token": "DATAFOR_TOKEN"},
    "session_cookie": {"session_cookie": "DATAFOR_SESSION_COOKIE"},
}
# Cookie values shorter than this, such as "true", are too common to mask.
MIN_MASKED_COOKIE_VALUE = 8


def _given_options(group: str, params: dict[str, Any]) -> list[str]:
    """List the options of a group that are set; blank ones count as unset."""
    given = []
    for name in AUTH_OPTIONS[group]:
        value = params.get(name)
        # A password may be all spaces; every other option is stripped.
        if value and (name == "password" or str(value).strip()):
            given.append(name)
    return given


def _source_of(group: str, params: dict[str, Any], from_environment: set[str]) -> str:
    names = [name for name in _given_options(group, params) if name in from_environment]
    if not names:
        return ""
    variables = [AUTH_OPTIONS[group][name] for name in names]
    return " (from " + ", ".join(variables) + ")"


def _credentials_with_environment(
    params: dict[str, Any],
) -> tuple[dict[str, Any], set[str]]:
    """Fill unset credential options from their DATAFOR_* variables.

    When the task sets options of one way to authenticate, only that way is
    completed from the environment, so an exported DATAFOR_TOKEN does not
    clash with a username and password set in the task. Returns the filled
    parameters and the names of the options taken from the environment.
    """
    explicit = [group for group in AUTH_OPTIONS if _given_options(group, params)]
    filled = dict(params)
    from_environment = set()
    for group in explicit or list(AUTH_OPTIONS):
        given = _given_options(group, params)
        for name, variable in AUTH_OPTIONS[group].items():
            value = os.environ.get(variable)
            if name not in given and value:
                filled[name] = value
                from_environment.add(name)
    return filled, from_environment


def _encoded_forms(value: str) -> list[str]:
    """List the forms in which a server might repeat a secret in its response.

    These are the forms of URL-encoding, JSON and HTML escaping, and base64,
    with and without padding. Forms shorter than 4 characters are left out,
    because masking them would garble whole messages.
    """
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    forms = [
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        encoded,
        encoded.rstrip("="),
        value.rstrip("="),
    ]
    return [form for form in forms if len(form) >= 4 and form != value]


def _cookie_values(header: str) -> list[str]:
    values = []
    for pair in header.split(";"):
        name, _separator, value = pair.strip().partition("=")
        if name.upper() == "JSESSIONID" or len(value) >= MIN_MASKED_COOKIE_VALUE:
            values.append(value.strip('"'))
    return [value for value in values if value]


def _check_ca_path(ca_path: str) -> None:
    """Load the CA file once, so a bad file is an option error, not a TLS one."""
    hint = "Point ca_path at a PEM file of the CA certificates to trust"
    if not os.path.isfile(ca_path):
        raise DataforOptionsError(f"ca_path {ca_path!r} is not a file", hint=hint)
    try:
        ssl.create_default_context(cafile=ca_path)
    except (ssl.SSLError, OSError, ValueError) as error:
        raise DataforOptionsError(
            f"ca_path {ca_path!r} could not be loaded as PEM certificates "
            f"({error.__class__.__name__}: {error})",
            hint=hint,
        ) from None


def cookie_header(session_cookie: str) -> str:
    """Build a ``Cookie`` header value from a JSESSIONID value or a whole header.

    A value without ``=`` is a bare JSESSIONID. Raises DataforOptionsError for
    values that would break the header, without echoing the secret.
    """
    value = session_cookie.strip()
    if value.lower().startswith("cookie:"):
        value = value[len("cookie:") :].strip()

    if "=" not in value:
        if not _COOKIE_VALUE.match(value):
            raise _cookie_error()
        return f"JSESSIONID={value}"

    pairs = [pair.strip() for pair in value.split(";") if pair.strip()]
    for pair in pairs:
        name, cookie_value = pair.split("=", 1) if "=" in pair else (pair, "")
        if not _COOKIE_NAME.match(name) or not _is_cookie_value(cookie_value):
            raise _cookie_error()
    return "; ".join(pairs)


def _is_cookie_value(value: str) -> bool:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value == "" or bool(_COOKIE_VALUE.match(value))


def _cookie_error() -> DataforOptionsError:
    return DataforOptionsError(
        "session_cookie is not a valid cookie value",
        hint=(
            "Pass the JSESSIONID value alone, or a Cookie header value such as "
            "'JSESSIONID=...; session-expiry=...'"
        ),
    )


def _is_header_safe(value: str) -> bool:
    return all(0x21 <= ord(char) <= 0x7E for char in value)


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _check_range(name: str, value: Any, minimum: int, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataforOptionsError(f"{name} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise DataforOptionsError(
            f"{name} must be between {minimum} and {maximum}, got {value}"
        )
    return value


def _normalise_url(url: Any) -> str:
    example = "Use the server's base URL, e.g. https://bi.example.com:28080/datafor"
    if not isinstance(url, str) or not url.strip():
        raise DataforOptionsError("url is missing", hint=example)

    url = url.strip()
    if any(char.isspace() or not char.isprintable() for char in url):
        raise DataforOptionsError(
            f"url contains a space or control character: {_redact_url(url)!r}",
            hint="Percent-encode it, for example a space as %20",
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise DataforOptionsError(
            f"url is not a valid URL: {_redact_url(url)!r}", hint=example
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DataforOptionsError(
            f"url must start with http:// or https:// and name a host, "
            f"got {_redact_url(url)!r}",
            hint=example,
        )
    try:
        # The socket layer makes the same conversion, but it raises
        # UnicodeError from deep in urllib for a label of over 63 characters,
        # and http.client cannot send a non-ASCII Host header.
        ascii_host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise DataforOptionsError(
            f"url has an invalid host name: {parts.hostname!r}", hint=example
        ) from None
    if parts.username is not None or parts.password is not None:
        raise DataforOptionsError(
            "url contains credentials",
            hint="Remove them from the URL and set username and password instead",
        )
    if parts.query or parts.fragment:
        raise DataforOptionsError(
            "url contains a query string or fragment",
            hint="Give the base URL only; pass a token with the token option",
        )
    try:
        # Reading the port validates it: urlsplit only parses it lazily.
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise DataforOptionsError(
            f"url has an invalid port: {_redact_url(url)!r}", hint=example
        )

    if ":" in ascii_host:
        ascii_host = f"[{ascii_host}]"
    netloc = ascii_host if parts.port is None else f"{ascii_host}:{port}"
    # Non-ASCII in the path is percent-encoded as UTF-8; '%' stays, so a path
    # that is already encoded is kept as it is.
    path = quote(parts.path.rstrip("/"), safe="/%:@!$&'()*+,;=-._~")
    return str(urlunsplit((parts.scheme.lower(), netloc, path, "", "")))


def _redact_url(url: str) -> str:
    """Strip userinfo, query and fragment, which may carry credentials."""
    shown = re.sub(r"//[^/]*@", "//", url, count=1)
    return re.split(r"[?#]", shown, maxsplit=1)[0]
