# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64

import pytest
import yaml
from ansible.module_utils.basic import env_fallback

from ansible_collections.datafor.platform.plugins.doc_fragments.connection import (
    ModuleDocFragment,
)
from ansible_collections.datafor.platform.plugins.module_utils.connection import (
    ConnectionSettings,
    connection_argument_spec,
    cookie_header,
)
from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforOptionsError,
)
from ansible_collections.datafor.platform.tests.unit.fakes import (
    BASE_URL,
    BASIC_VALUE,
    PASSWORD,
    SESSION_COOKIE,
    TOKEN,
    USERNAME,
    connection_params,
    make_settings,
    write_ca_file,
)

EXPECTED_AUTH_HINT = (
    "Set exactly one way to authenticate: username with password, token, or "
    "session_cookie, as module options or through the DATAFOR_USERNAME, "
    "DATAFOR_PASSWORD, DATAFOR_TOKEN or DATAFOR_SESSION_COOKIE environment "
    "variables"
)
URL_EXAMPLE_HINT = (
    "Use the server's base URL, e.g. https://bi.example.com:28080/datafor"
)
COOKIE_HINT = (
    "Pass the JSESSIONID value alone, or a Cookie header value such as "
    "'JSESSIONID=...; session-expiry=...'"
)

EXPECTED_ARGUMENT_SPEC = {
    "url": {
        "type": "str",
        "required": True,
        "fallback": (env_fallback, ["DATAFOR_URL"]),
    },
    # The credentials' DATAFOR_* variables are read by ConnectionSettings.
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "token": {"type": "str", "no_log": True},
    "session_cookie": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "int", "default": 30},
    "use_proxy": {"type": "bool", "default": True},
    "retries": {"type": "int", "default": 3},
}


def options_error(params):
    with pytest.raises(DataforOptionsError) as caught:
        ConnectionSettings.from_params(params)
    return caught.value


# Argument spec


def test_argument_spec_option_names():
    assert sorted(connection_argument_spec()) == sorted(EXPECTED_ARGUMENT_SPEC)


@pytest.mark.parametrize("option", sorted(EXPECTED_ARGUMENT_SPEC))
def test_argument_spec_option(option):
    assert connection_argument_spec()[option] == EXPECTED_ARGUMENT_SPEC[option]


def test_argument_spec_is_fresh_copy():
    first = connection_argument_spec()
    first["url"]["required"] = False

    assert connection_argument_spec()["url"]["required"] is True


@pytest.mark.parametrize("option", sorted(EXPECTED_ARGUMENT_SPEC))
def test_doc_fragment_matches_spec(option):
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"][option]
    spec = EXPECTED_ARGUMENT_SPEC[option]

    assert documented["type"] == spec["type"]
    assert documented.get("default") == spec.get("default")
    assert bool(documented.get("required")) == bool(spec.get("required"))


def test_doc_fragment_option_names():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]

    assert sorted(documented) == sorted(EXPECTED_ARGUMENT_SPEC)


# URL normalisation


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BASE_URL, BASE_URL),
        (BASE_URL + "/", BASE_URL),
        (BASE_URL + "///", BASE_URL),
        ("  " + BASE_URL + "/  ", BASE_URL),
        ("http://localhost:28080/pentaho", "http://localhost:28080/pentaho"),
        (
            "https://bi.example.com/tenant/datafor/",
            "https://bi.example.com/tenant/datafor",
        ),
        ("https://bi.example.com", "https://bi.example.com"),
        ("https://bi.example.com/", "https://bi.example.com"),
        ("HTTPS://bi.example.com/datafor", "https://bi.example.com/datafor"),
        ("http://[2001:db8::1]:28080/datafor", "http://[2001:db8::1]:28080/datafor"),
    ],
)
def test_from_params_normalises_url(url, expected):
    settings = ConnectionSettings.from_params(connection_params(url=url))

    assert settings.base_url == expected


@pytest.mark.parametrize("url", [None, "", "   "])
def test_from_params_rejects_missing_url(url):
    error = options_error(connection_params(url=url))

    assert error.cause == "url is missing"
    assert error.hint == URL_EXAMPLE_HINT


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@bi.example.com:28080/datafor",
        "https://hunter2@bi.example.com:28080/datafor",
        "https://:hunter2@bi.example.com:28080/datafor",
    ],
)
def test_from_params_rejects_url_credentials(url):
    error = options_error(connection_params(url=url))

    assert error.cause == "url contains credentials"
    assert error.hint == (
        "Remove them from the URL and set username and password instead"
    )
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    "url",
    [
        BASE_URL + "?token=hunter2",
        BASE_URL + "/?token=hunter2",
        BASE_URL + "#hunter2",
    ],
)
def test_from_params_rejects_url_query(url):
    error = options_error(connection_params(url=url))

    assert error.cause == "url contains a query string or fragment"
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ftp://bi.example.com/datafor", "ftp://bi.example.com/datafor"),
        ("bi.example.com:28080/datafor", "bi.example.com:28080/datafor"),
        ("/datafor", "/datafor"),
        ("https:///datafor", "https:///datafor"),
        ("file:///etc/passwd", "file:///etc/passwd"),
        (
            "ftp://admin:hunter2@bi.example.com/datafor?token=x",
            "ftp://bi.example.com/datafor",
        ),
    ],
)
def test_from_params_rejects_url_scheme(url, shown):
    error = options_error(connection_params(url=url))

    assert error.cause == (
        f"url must start with http:// or https:// and name a host, got {shown!r}"
    )
    assert error.hint == URL_EXAMPLE_HINT
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "https://bi.example.com:99999/datafor",
        "https://bi.example.com:port/datafor",
        "https://bi.example.com:-1/datafor",
        "https://bi.example.com:0/datafor",
    ],
)
def test_from_params_rejects_url_port(url):
    error = options_error(connection_params(url=url))

    assert error.cause == f"url has an invalid port: {url!r}"
    assert error.hint == URL_EXAMPLE_HINT


@pytest.mark.parametrize(
    "url",
    ["http://[::1/datafor", "http://[bi.example.com]/datafor"],
)
def test_from_params_rejects_bad_ipv6_url(url):
    error = options_error(connection_params(url=url))

    assert error.cause.startswith("url ")


@pytest.mark.parametrize(
    "host",
    ["a" * 64 + ".example.com", "bi..example.com", ".example.com"],
)
def test_from_params_rejects_bad_host_name(host):
    error = options_error(connection_params(url=f"https://{host}:28080/datafor"))

    assert error.cause == f"url has an invalid host name: {host!r}"
    assert error.hint == URL_EXAMPLE_HINT


def test_from_params_accepts_unicode_host_name():
    settings = ConnectionSettings.from_params(
        connection_params(url="https://bücher.example:28080/datafor")
    )

    assert settings.base_url == "https://xn--bcher-kva.example:28080/datafor"


def test_from_params_encodes_non_ascii_path():
    settings = ConnectionSettings.from_params(
        connection_params(url="http://127.0.0.1:8080/dätafor%20x/")
    )

    assert settings.base_url == "http://127.0.0.1:8080/d%C3%A4tafor%20x"


@pytest.mark.parametrize(
    "url",
    [
        "https://bi.example.com:28080/data for",
        "https://bi.example.com:28080/data\nfor",
        "https://bi.example.com:28080/datafor\x7f",
    ],
)
def test_from_params_rejects_url_whitespace(url):
    error = options_error(connection_params(url=url))

    assert error.cause.startswith("url contains a space or control character: ")
    assert error.hint == "Percent-encode it, for example a space as %20"


def test_from_params_shows_unparsable_url():
    error = options_error(connection_params(url="http://user:pw@[::1/datafor?t=x"))

    assert error.cause == "url is not a valid URL: 'http://[::1/datafor'"


def test_from_params_rejects_missing_ca_path(tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")

    error = options_error(connection_params(ca_path=missing))

    assert error.cause == f"ca_path {missing!r} is not a file"
    assert error.hint == "Point ca_path at a PEM file of the CA certificates to trust"


def test_from_params_rejects_ca_path_not_pem(tmp_path):
    not_pem = tmp_path / "hostname"
    not_pem.write_text("bi.example.com\n", encoding="ascii")

    error = options_error(connection_params(ca_path=str(not_pem)))

    assert error.cause.startswith(
        f"ca_path {str(not_pem)!r} could not be loaded as PEM certificates (SSLError: "
    )


def test_from_params_accepts_ca_path_file(tmp_path):
    ca_file = write_ca_file(tmp_path)

    settings = ConnectionSettings.from_params(connection_params(ca_path=str(ca_file)))

    assert settings.ca_path == str(ca_file)


# Authentication rules


def test_from_params_rejects_no_credentials():
    error = options_error(connection_params(username=None, password=None))

    assert str(error) == "No credentials were given. " + EXPECTED_AUTH_HINT + "."


@pytest.mark.parametrize(
    ("auth", "given"),
    [
        ({"token": TOKEN}, "username/password, token"),
        ({"session_cookie": SESSION_COOKIE}, "username/password, session_cookie"),
        (
            {"token": TOKEN, "session_cookie": SESSION_COOKIE},
            "username/password, token, session_cookie",
        ),
    ],
)
def test_from_params_rejects_two_ways(auth, given):
    error = options_error(connection_params(**auth))

    assert str(error) == (
        f"More than one way to authenticate was given: {given}. "
        + EXPECTED_AUTH_HINT
        + "."
    )


def test_from_params_rejects_token_and_cookie():
    params = connection_params("token", session_cookie=SESSION_COOKIE)

    error = options_error(params)

    assert error.cause == (
        "More than one way to authenticate was given: token, session_cookie"
    )


def test_from_params_rejects_password_only():
    error = options_error(connection_params(username=None))

    assert error.cause == "password was given without username"
    assert error.hint == EXPECTED_AUTH_HINT


def test_from_params_rejects_blank_username():
    error = options_error(connection_params(username="   "))

    assert error.cause == "password was given without username"


@pytest.mark.parametrize("password", [None, ""])
def test_from_params_rejects_username_only(password):
    error = options_error(connection_params(password=password))

    assert error.cause == "username was given without password"
    assert error.hint == EXPECTED_AUTH_HINT


def test_from_params_rejects_colon_username():
    error = options_error(connection_params(username="domain:backup-auditor"))

    assert error.cause == (
        "username contains ':', which HTTP Basic authentication cannot carry"
    )
    assert error.hint == "Check the user name"


@pytest.mark.parametrize("blank", ["", "   "])
def test_from_params_ignores_blank_token(blank):
    settings = ConnectionSettings.from_params(connection_params(token=blank))

    assert settings.auth_method == "basic"
    assert settings.token is None


@pytest.mark.parametrize("blank", ["", "   "])
def test_from_params_ignores_blank_cookie(blank):
    settings = ConnectionSettings.from_params(connection_params(session_cookie=blank))

    assert settings.auth_method == "basic"
    assert settings.session_cookie is None


def test_from_params_strips_username():
    settings = ConnectionSettings.from_params(connection_params(username=" admin "))

    assert settings.username == "admin"


def test_from_params_keeps_password_spaces():
    settings = ConnectionSettings.from_params(connection_params(password=" pw "))

    assert settings.password == " pw "


@pytest.mark.parametrize(
    "token",
    [
        "Bearer " + TOKEN,
        TOKEN + "\r\nX-Injected: 1",
        TOKEN[:10] + "\t" + TOKEN[10:],
        "tök" + TOKEN,
    ],
)
def test_from_params_rejects_unsafe_token(token):
    error = options_error(connection_params("token", token=token))

    assert error.cause == "The token contains spaces or control characters"
    assert error.hint == "Pass the JWT itself, without the 'Bearer' prefix"
    assert TOKEN not in str(error)


def test_from_params_strips_token():
    settings = make_settings("token", token=f"  {TOKEN}\n")

    assert settings.token == TOKEN


def test_from_params_rejects_invalid_cookie():
    error = options_error(
        connection_params("session_cookie", session_cookie=SESSION_COOKIE + " x")
    )

    assert error.cause == "session_cookie is not a valid cookie value"
    assert SESSION_COOKIE not in str(error)


# Timeout and retries


@pytest.mark.parametrize("timeout", [1, 30, 3600])
def test_from_params_accepts_timeout(timeout):
    settings = make_settings(timeout=timeout)

    assert settings.timeout == timeout


@pytest.mark.parametrize(
    ("timeout", "cause"),
    [
        (0, "timeout must be between 1 and 3600, got 0"),
        (-5, "timeout must be between 1 and 3600, got -5"),
        (3601, "timeout must be between 1 and 3600, got 3601"),
        (None, "timeout must be an integer, got None"),
        ("30", "timeout must be an integer, got '30'"),
        (True, "timeout must be an integer, got True"),
        (2.5, "timeout must be an integer, got 2.5"),
    ],
)
def test_from_params_rejects_timeout(timeout, cause):
    error = options_error(connection_params(timeout=timeout))

    assert error.cause == cause


@pytest.mark.parametrize("retries", [0, 3, 10])
def test_from_params_accepts_retries(retries):
    settings = make_settings(retries=retries)

    assert settings.retries == retries


@pytest.mark.parametrize(
    ("retries", "cause"),
    [
        (-1, "retries must be between 0 and 10, got -1"),
        (11, "retries must be between 0 and 10, got 11"),
        (None, "retries must be an integer, got None"),
        (False, "retries must be an integer, got False"),
    ],
)
def test_from_params_rejects_retries(retries, cause):
    error = options_error(connection_params(retries=retries))

    assert error.cause == cause


# Other options


def test_from_params_keeps_tls_and_proxy(tmp_path):
    ca_file = write_ca_file(tmp_path)
    settings = make_settings(
        validate_certs=False, ca_path=str(ca_file), use_proxy=False
    )

    assert settings.validate_certs is False
    assert settings.ca_path == str(ca_file)
    assert settings.use_proxy is False


def test_from_params_defaults_for_absent_keys():
    settings = ConnectionSettings.from_params(
        {"url": BASE_URL, "token": TOKEN, "timeout": 30, "retries": 3}
    )

    assert settings.validate_certs is True
    assert settings.ca_path is None
    assert settings.use_proxy is True


def test_from_params_empty_ca_path_is_none():
    settings = make_settings(ca_path="")

    assert settings.ca_path is None


# cookie_header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SESSION_COOKIE, f"JSESSIONID={SESSION_COOKIE}"),
        (f"  {SESSION_COOKIE}\n", f"JSESSIONID={SESSION_COOKIE}"),
        (f"JSESSIONID={SESSION_COOKIE}", f"JSESSIONID={SESSION_COOKIE}"),
        (
            f"JSESSIONID={SESSION_COOKIE}; session-flushed=true; "
            "session-expiry=1740712320000; server-time=1740705120000",
            f"JSESSIONID={SESSION_COOKIE}; session-flushed=true; "
            "session-expiry=1740712320000; server-time=1740705120000",
        ),
        (
            f"Cookie: JSESSIONID={SESSION_COOKIE}; session-flushed=true",
            f"JSESSIONID={SESSION_COOKIE}; session-flushed=true",
        ),
        (f"cookie:JSESSIONID={SESSION_COOKIE}", f"JSESSIONID={SESSION_COOKIE}"),
        (
            f"JSESSIONID={SESSION_COOKIE};  other=1 ;",
            f"JSESSIONID={SESSION_COOKIE}; other=1",
        ),
        (f'JSESSIONID="{SESSION_COOKIE}"', f'JSESSIONID="{SESSION_COOKIE}"'),
        ("JSESSIONID=", "JSESSIONID="),
    ],
)
def test_cookie_header_valid(value, expected):
    assert cookie_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "SECRETPART1 SECRETPART2",
        "SECRETPART1\r\nX-Injected: SECRETPART2",
        "JSESSIONID=SECRETPART1\r\nSet-Cookie: a=SECRETPART2",
        "JSESSIONID=SECRETPART1 SECRETPART2",
        "JSESSIONID=SECRETPART1,SECRETPART2",
        'JSESSIONID=SECRETPART1"SECRETPART2',
        "JSESSIONID=SECRETPART1\\SECRETPART2",
        "JSESSION ID=SECRETPART1SECRETPART2",
        "=SECRETPART1SECRETPART2",
        "SECRETPART1é",
    ],
)
def test_cookie_header_rejects_invalid(value):
    with pytest.raises(DataforOptionsError) as caught:
        cookie_header(value)
    error = caught.value

    assert error.cause == "session_cookie is not a valid cookie value"
    assert error.hint == COOKIE_HINT
    assert "SECRETPART1" not in str(error)
    assert "SECRETPART2" not in str(error)
    assert "SECRETPART1" not in repr(error.details())


# auth_headers, auth_method and secrets


def test_auth_headers_basic():
    settings = make_settings("basic")

    assert settings.auth_headers() == {"Authorization": "Basic " + BASIC_VALUE}


def test_auth_headers_basic_utf8():
    settings = make_settings("basic", password="pässwörd")

    assert settings.auth_headers() == {
        "Authorization": "Basic YmFja3VwLWF1ZGl0b3I6cMOkc3N3w7ZyZA=="
    }


def test_auth_headers_token():
    settings = make_settings("token")

    assert settings.auth_headers() == {"Authorization": "Bearer " + TOKEN}


def test_auth_headers_bare_cookie():
    settings = make_settings("session_cookie")

    assert settings.auth_headers() == {"Cookie": "JSESSIONID=" + SESSION_COOKIE}


def test_auth_headers_whole_cookie():
    cookie = f"JSESSIONID={SESSION_COOKIE}; session-expiry=1740712320000"
    settings = make_settings("session_cookie", session_cookie=cookie)

    assert settings.auth_headers() == {"Cookie": cookie}


@pytest.mark.parametrize("auth", ["basic", "token", "session_cookie"])
def test_auth_method_per_way(auth):
    assert make_settings(auth).auth_method == auth


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ("basic", [PASSWORD, "Basic " + BASIC_VALUE, BASIC_VALUE]),
        ("token", [TOKEN, "Bearer " + TOKEN]),
        (
            "session_cookie",
            [SESSION_COOKIE, "JSESSIONID=" + SESSION_COOKIE, SESSION_COOKIE],
        ),
    ],
)
def test_secrets_lists_values_and_headers(auth, expected):
    secrets = make_settings(auth).secrets()
    unique = list(dict.fromkeys(expected))

    assert secrets[: len(unique)] == unique


def test_secrets_lists_values_in_cookie_header():
    cookie = f"JSESSIONID={SESSION_COOKIE}; session-flushed=true; server-time=17407"
    settings = make_settings("session_cookie", session_cookie=cookie)

    assert settings.secrets()[:2] == [cookie, SESSION_COOKIE]
    assert "true" not in settings.secrets()


def test_secrets_lists_encoded_forms():
    password = 'p@ss w/rd&"1'
    settings = make_settings(password=password)
    secrets = settings.secrets()

    assert "p%40ss%20w%2Frd%26%221" in secrets
    assert "p%40ss+w%2Frd%26%221" in secrets
    assert 'p@ss w/rd&\\"1' in secrets
    assert "p@ss w/rd&amp;&quot;1" in secrets
    assert base64.b64encode(password.encode()).decode() in secrets


@pytest.mark.parametrize(
    ("variables", "options", "method"),
    [
        ({"DATAFOR_TOKEN": TOKEN}, {}, "basic"),
        (
            {"DATAFOR_USERNAME": USERNAME, "DATAFOR_PASSWORD": PASSWORD},
            {"auth": "token"},
            "token",
        ),
        ({"DATAFOR_SESSION_COOKIE": SESSION_COOKIE}, {"auth": "token"}, "token"),
    ],
)
def test_options_win_over_environment(monkeypatch, variables, options, method):
    params = connection_params(options.get("auth", "basic"))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    settings = ConnectionSettings.from_params(params)

    assert settings.auth_method == method


def test_options_win_over_equal_environment(monkeypatch):
    monkeypatch.setenv("DATAFOR_USERNAME", USERNAME)
    monkeypatch.setenv("DATAFOR_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATAFOR_TOKEN", TOKEN)

    settings = ConnectionSettings.from_params(connection_params("basic"))

    assert settings.auth_method == "basic"
    assert settings.token is None


def test_environment_completes_given_way(monkeypatch):
    monkeypatch.setenv("DATAFOR_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATAFOR_TOKEN", TOKEN)
    params = connection_params("basic", password=None)

    settings = ConnectionSettings.from_params(params)

    assert settings.auth_method == "basic"
    assert settings.password == PASSWORD


def test_environment_alone_supplies_credentials(monkeypatch):
    monkeypatch.setenv("DATAFOR_TOKEN", TOKEN)
    params = connection_params("basic", username=None, password=None)

    settings = ConnectionSettings.from_params(params)

    assert settings.auth_method == "token"


def test_two_ways_from_environment_named(monkeypatch):
    monkeypatch.setenv("DATAFOR_TOKEN", TOKEN)
    monkeypatch.setenv("DATAFOR_SESSION_COOKIE", SESSION_COOKIE)
    params = connection_params("basic", username=None, password=None)

    error = options_error(params)

    assert error.cause == (
        "More than one way to authenticate was given: token (from DATAFOR_TOKEN), "
        "session_cookie (from DATAFOR_SESSION_COOKIE)"
    )


# repr


@pytest.mark.parametrize("auth", ["basic", "token", "session_cookie"])
def test_repr_hides_secrets(auth):
    settings = make_settings(auth)
    shown = [repr(settings), str(settings), f"{settings}"]

    for text in shown:
        assert text == f"ConnectionSettings({BASE_URL!r}, auth={auth})"
    for secret in (PASSWORD, BASIC_VALUE, TOKEN, SESSION_COOKIE):
        assert all(secret not in text for text in shown), secret
