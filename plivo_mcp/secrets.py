"""Masking of secrets in answers and log lines.

Two nets: keys that always hold secrets are masked wherever they appear, and secret values we know of
(the operator's auth token, tokens and passwords that passed through a call) are masked wherever they appear
inside any string, so a secret echoed in an error text or a URL cannot slip out either.
"""

from __future__ import annotations

import re
import threading
from typing import Any

SECRET_KEYS = frozenset({"auth_token", "new_auth_token", "password", "authorization", "confirm_secret"})
# Shorter values would mask ordinary text (ids, numbers) everywhere; keys still mask short passwords.
_MIN_SECRET_LEN = 8


def mask_value(secret: str) -> str:
    """Keep at most the last 4 characters, so a person can still tell two tokens apart."""
    if not secret:
        return secret
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"***{tail}"


class SecretRegistry:
    """Secret values seen by this process, masked wherever they show up in text.

    Bounded: a long-running multi-tenant server sees many tokens, so the oldest are forgotten past
    `max_values` (key-based masking still covers them); values added as `pinned` (the operator's own
    credentials) are never forgotten.
    """

    def __init__(self, max_values: int = 2048) -> None:
        self._values: dict[str, bool] = {}  # value -> pinned; insertion order is age
        self._max_values = max_values
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None, *, pinned: bool = False) -> None:
        if not value or len(value) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if value in self._values:
                self._values[value] = self._values.pop(value) or pinned  # refresh its age
                return
            self._values[value] = pinned
            while len(self._values) > self._max_values:
                oldest = next((v for v, keep in self._values.items() if not keep), None)
                if oldest is None:
                    break
                del self._values[oldest]
            self._pattern = None

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                if not self._values:
                    return text
                # Longest first, so a secret that contains another is masked whole.
                ordered = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, ordered)))
        return pattern.sub(lambda m: mask_value(m.group(0)), text)

    def snapshot(self) -> dict[str, bool]:
        with self._lock:
            return dict(self._values)

    def restore(self, values: dict[str, bool]) -> None:
        with self._lock:
            self._values = dict(values)
            self._pattern = None


KNOWN_SECRETS = SecretRegistry()


def mask_secrets(data: Any, *, reveal: bool = False) -> Any:
    """Return a copy of `data` with secret fields and known secret values masked (unless `reveal`)."""
    if reveal:
        return data
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and key.lower() in SECRET_KEYS and isinstance(value, str):
                KNOWN_SECRETS.add(value)
                out[key] = mask_value(value)
            else:
                out[key] = mask_secrets(value)
        return out
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    if isinstance(data, str):
        return KNOWN_SECRETS.scrub(data)
    return data
