"""Masking of secrets in answers and log lines.

Three nets, none of which a caller can widen for anyone but itself:
- by structure: the value of every key that carries a secret (auth tokens, passwords, ...) is masked, whatever
  its length, and so is everything nested under such a key; in a list answer's table (`columns` + `rows`, see
  plivo_mcp/shaping.py `table`) a column named like such a key is masked in every row;
- the operator's own credentials (from the configuration, never from a request), and their Basic-auth form, are
  masked wherever they show up inside any string, in every answer and log line;
- the credentials of *this* request (its X-Plivo-Auth-Token, a password argument, a secret an upstream answer
  carried) are masked wherever they show up, but only in this request's own answers and log lines: they live in
  a context variable that each request's task gets a fresh copy of.

An earlier design kept one process-wide list of every secret-looking value it met, so anything a caller sent as
a password (say "untrusted") was then masked in every other caller's answers: a way to corrupt them all.
"""

from __future__ import annotations

import base64
import contextvars
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

SECRET_KEYS = frozenset({"auth_token", "new_auth_token", "password", "authorization", "confirm_secret",
                         "http_token", "x-plivo-auth-token"})
MASK = "***"
# Values this short are masked by structure only: as free text they would match ordinary words and ids.
_MIN_SCRUB_LEN = 8
# The operator's set is fed by configuration only; the bound keeps a test run that builds many servers small.
_MAX_OPERATOR_VALUES = 64
_MAX_REQUEST_VALUES = 32


def mask_value(secret: str) -> str:
    """Keep at most the last 4 characters, so a person can still tell two tokens apart."""
    if not secret:
        return secret
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"{MASK}{tail}"


def basic_auth_form(auth_id: str, token: str) -> str:
    """What `Authorization: Basic ...` carries for a credential pair; an echoed header must not leak it."""
    return base64.b64encode(f"{auth_id}:{token}".encode()).decode()


class OperatorSecrets:
    """The operator's own credentials: masked inside any string of every answer and log line.

    Filled from the configuration when a server is built (never from request data), so the pattern is compiled
    a handful of times in a process's life, and its cost does not depend on how many callers were seen.
    """

    def __init__(self) -> None:
        self._values: dict[str, None] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None, *, auth_id: str | None = None) -> None:
        """Add a secret (and, with `auth_id`, its Basic-auth form)."""
        values = [value] if value else []
        if value and auth_id:
            values.append(basic_auth_form(auth_id, value))
        with self._lock:
            for v in values:
                if len(v) >= _MIN_SCRUB_LEN and v not in self._values:
                    self._values[v] = None
                    self._pattern = None
            while len(self._values) > _MAX_OPERATOR_VALUES:
                del self._values[next(iter(self._values))]

    def pattern(self) -> re.Pattern[str] | None:
        pattern = self._pattern
        if pattern is None and self._values:
            with self._lock:
                # Longest first, so a secret that contains another is masked whole.
                ordered = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, ordered)))
        return pattern

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None


OPERATOR_SECRETS = OperatorSecrets()

# The secrets of the request being served; None outside a request. Each request runs in its own task, which
# copies the context, so what one request adds here is never seen by another.
_REQUEST_SECRETS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("plivo_mcp_request_secrets",
                                                                                     default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Open a fresh set of request secrets for the block (one tool call)."""
    token = _REQUEST_SECRETS.set([])
    try:
        yield
    finally:
        _REQUEST_SECRETS.reset(token)


def add_request_secrets(values: Iterable[str | None], *, auth_id: str | None = None) -> None:
    """Mask these values in this request's answers and logs (with `auth_id`: their Basic-auth forms too)."""
    scope = _REQUEST_SECRETS.get()
    if scope is None:
        return
    for value in values:
        if not value or len(value) < _MIN_SCRUB_LEN:
            continue
        for v in (value, basic_auth_form(auth_id, value)) if auth_id else (value,):
            if v not in scope and len(scope) < _MAX_REQUEST_VALUES:
                scope.append(v)
    scope.sort(key=len, reverse=True)  # longest first, as for the operator's


def scrub(text: str) -> str:
    """`text` with the operator's secrets and this request's secrets masked."""
    pattern = OPERATOR_SECRETS.pattern()
    if pattern is not None:
        text = pattern.sub(lambda m: mask_value(m.group(0)), text)
    for value in _REQUEST_SECRETS.get() or ():
        if value in text:
            text = text.replace(value, mask_value(value))
    return text


def mask_secrets(data: Any, *, reveal: bool = False) -> Any:
    """A copy of `data` with secret keys' values and known secret values masked (unless `reveal`)."""
    if reveal:
        return data
    _learn_keyed(data)
    return _mask(data)


def _mask(data: Any) -> Any:
    if isinstance(data, dict):
        masked = {key: _mask_all(value) if _is_secret_key(key) else _mask(value) for key, value in data.items()}
        secret = _secret_columns(data)
        if secret:
            masked["rows"] = [[_mask_all(v) if j in secret else _mask(v) for j, v in enumerate(row)]
                              for row in data["rows"]]
        return masked
    if isinstance(data, list | tuple):
        return [_mask(v) for v in data]
    if isinstance(data, str):
        return scrub(data)
    return data


def _mask_all(value: Any) -> Any:
    """Everything under a secret key is secret, whatever its shape or length."""
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(v) for v in value]
    if isinstance(value, str):
        return mask_value(value)
    return value


def _secret_columns(table: dict[Any, Any]) -> set[int]:
    """The positions of secret columns when `table` is a table (`columns` names, `rows` lists); else none."""
    columns, rows = table.get("columns"), table.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return set()
    return {j for j, name in enumerate(columns) if _is_secret_key(name)}


def _learn_keyed(data: Any) -> None:
    """A secret an answer carries under its key may also stand elsewhere in the same answer (an echo in a
    message, say): mask it there too, for this request only."""
    if _REQUEST_SECRETS.get() is None:
        return
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for j in _secret_columns(item):
                found.extend(row[j] for row in item["rows"] if j < len(row) and isinstance(row[j], str))
            for key, value in item.items():
                if _is_secret_key(key) and isinstance(value, str):
                    found.append(value)
                else:
                    stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    if found:
        add_request_secrets(found)


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS
