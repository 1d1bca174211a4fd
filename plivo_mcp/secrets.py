"""Masking of secrets in answers and log lines.

Two nets: keys that always hold secrets are masked wherever they appear, and secret values we know of
(the operator's auth token, tokens and passwords that passed through a call) are masked wherever they appear
inside any string, so a secret echoed in an error text or a URL cannot slip out either.
"""

from __future__ import annotations

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
    """Secret values seen by this process, masked wherever they show up in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if value and len(value) >= _MIN_SECRET_LEN:
            with self._lock:
                self._values.add(value)

    def scrub(self, text: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, mask_value(value))
        return text


KNOWN_SECRETS = SecretRegistry()


def mask_secrets(data: Any, *, reveal: bool = False, registry: SecretRegistry = KNOWN_SECRETS) -> Any:
    """Return a copy of `data` with secret fields and known secret values masked (unless `reveal`)."""
    if reveal:
        return data
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and key.lower() in SECRET_KEYS and isinstance(value, str):
                registry.add(value)
                out[key] = mask_value(value)
            else:
                out[key] = mask_secrets(value, registry=registry)
        return out
    if isinstance(data, list):
        return [mask_secrets(v, registry=registry) for v in data]
    if isinstance(data, str):
        return registry.scrub(data)
    return data
