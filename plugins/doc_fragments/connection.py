# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every datafor.platform module. The argument spec
    # that matches them is connection_argument_spec() in module_utils.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Datafor server, including the context path, for example
        V(https://bi.example.com:28080/datafor). Plain Pentaho installations
        use V(/pentaho) instead.
      - A trailing V(/) is ignored. The URL must not contain credentials, a
        query string, spaces or control characters. A non-ASCII host name is
        sent in its IDNA form and a non-ASCII path percent-encoded as UTF-8.
      - If not set, the value of the E(DATAFOR_URL) environment variable is used.
    type: str
    required: true
  username:
    description:
      - Name of a Datafor user in the Administrator role. Sent with
        O(password) as HTTP Basic authentication on every request.
      - If not set, the value of the E(DATAFOR_USERNAME) environment variable
        is used.
      - Set exactly one way to authenticate, O(username) with O(password),
        O(token) or O(session_cookie). When a task sets options of one way,
        the E(DATAFOR_*) variables of the other ways are ignored.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(DATAFOR_PASSWORD) environment variable
        is used.
      - A request that fails authentication is never retried, because ten
        failed logins lock a Datafor account for 24 hours.
    type: str
  token:
    description:
      - "JSON Web Token, sent as C(Authorization: Bearer) on every request."
      - If not set, the value of the E(DATAFOR_TOKEN) environment variable is
        used.
    type: str
  session_cookie:
    description:
      - Session of a logged-in user, either the bare C(JSESSIONID) value or a
        whole C(Cookie) header value such as C(JSESSIONID=...; session-expiry=...).
      - Datafor ends a session after 120 idle minutes.
      - If not set, the value of the E(DATAFOR_SESSION_COOKIE) environment
        variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
      - Set to V(false) only for a server whose certificate you trust by other
        means; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the server's
        certificate, for example a company CA. The file must exist.
    type: path
  timeout:
    description:
      - Seconds to wait for the connection to the server and for each read
        of its response, from 1 to 3600.
    type: int
    default: 30
  use_proxy:
    description:
      - Whether to use a proxy from the C(http_proxy), C(https_proxy) and
        C(no_proxy) environment variables.
    type: bool
    default: true
  retries:
    description:
      - Number of extra tries, from 0 to 10, after a connection error, a
        timeout, or HTTP 429, 502, 503 or 504.
      - The wait before the next try starts at 1 second and doubles each time,
        up to 30 seconds. A C(Retry-After) header from the server takes
        precedence, up to 60 seconds.
      - Redirects are never followed and authentication failures are never
        retried.
    type: int
    default: 3
notes:
  - "The module runs on the host it is delegated to, usually the controller
    with C(delegate_to: localhost). That host needs network access to
    O(url)."
  - Redirects are never followed, so credentials are sent to the host in
    O(url) only. A redirect fails the task with the redirect target in the
    message.
"""
