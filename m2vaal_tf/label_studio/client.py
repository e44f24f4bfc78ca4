"""Label Studio's REST API over the standard library.

Either kind of key works: a legacy token ("Authorization: Token <key>") or a personal access token
(a JWT refresh token, exchanged at /api/token/refresh for a short-lived access token, renewed when
it expires). The key is read from the environment by the caller and kept in this object only: no
message, log line or file written by this project contains it. Every failure is one
`OracleError` line naming the server and what to do.
"""
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator, Optional

from m2vaal_tf.errors import OracleError

_TIMEOUT_SECONDS = 30
_PAGE_SIZE = 100


class Client:
    def __init__(self, url: str, api_key: str, key_name: str):
        self.url = url.rstrip("/")
        self._key = api_key
        self._key_name = key_name  # where the key came from, for messages (the environment variable)
        self._access: Optional[str] = None

    def call(self, method: str, path: str, body=None, query: Optional[dict] = None):
        """The JSON answer of `method path`, renewing a personal access token once if it expired."""
        for attempt in (0, 1):
            try:
                return self._send(method, path, body, query)
            except urllib.error.HTTPError as e:
                if e.code == 401 and attempt == 0 and self._is_personal_token():
                    self._access = None  # expired: exchange the refresh token again
                    continue
                raise self._error(method, path, e) from None
            except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
                reason = getattr(e, "reason", e)
                raise OracleError(f"Label Studio at {self.url} cannot be reached ({reason}); start it, or fix "
                                  "--label_studio_url") from None

    def pages(self, path: str, key: str, query: dict) -> Iterator[dict]:
        """Every item of a paginated list (`key` names the list in answers that are objects)."""
        page = 1
        while True:
            try:
                answer = self.call("GET", path, query={**query, "page": page, "page_size": _PAGE_SIZE})
            except OracleError as e:
                if e.status == 404 and page > 1:  # past the last page
                    return
                raise
            items = answer.get(key, answer.get("results", [])) if isinstance(answer, dict) else answer
            yield from items
            total = answer.get("total", answer.get("count")) if isinstance(answer, dict) else None
            if len(items) < _PAGE_SIZE or (total is not None and page * _PAGE_SIZE >= total):
                return
            page += 1

    def _send(self, method: str, path: str, body, query: Optional[dict]):
        address = self.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"Authorization": self._authorization(), "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(address, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            content = response.read()
        return json.loads(content) if content else None

    def _authorization(self) -> str:
        if not self._is_personal_token():
            return f"Token {self._key}"
        if self._access is None:
            request = urllib.request.Request(
                f"{self.url}/api/token/refresh", data=json.dumps({"refresh": self._key}).encode("utf-8"),
                headers={"Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                    self._access = json.loads(response.read())["access"]
            except urllib.error.HTTPError as e:
                raise self._error("POST", "/api/token/refresh", e) from None
        return f"Bearer {self._access}"

    def _is_personal_token(self) -> bool:
        return self._key.count(".") == 2  # a JWT; legacy tokens are 40 hex digits

    def _error(self, method: str, path: str, error: urllib.error.HTTPError) -> OracleError:
        if error.code in (401, 403):
            failure = OracleError(f"Label Studio at {self.url} refused the API key in ${self._key_name} "
                                  f"({error.code} on {path}); copy a valid one from Account & Settings")
        else:
            failure = OracleError(f"Label Studio at {self.url}: {method} {path} failed ({error.code}{_detail(error)})")
        failure.status = error.code
        return failure


def _detail(error: urllib.error.HTTPError) -> str:
    """The server's one-line reason, if it gave one."""
    try:
        answer = json.loads(error.read() or b"{}")
    except ValueError:
        return ""
    detail = answer.get("detail") or answer.get("validation_errors") if isinstance(answer, dict) else None
    return f": {' '.join(str(detail).split())[:300]}" if detail else ""
