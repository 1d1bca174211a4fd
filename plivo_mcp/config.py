"""Configuration from the environment, validated once at start-up."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

AUTH_ID_PATTERN = re.compile(r"^(MA|SA)[A-Z0-9]{18}$")


class ConfigError(Exception):
    """A one-line, operator-facing configuration problem."""


def is_subaccount_id(auth_id: str) -> bool:
    """Plivo's auth ids say what they are: a subaccount's start with SA (a main account's with MA)."""
    return auth_id.startswith("SA")


class Settings(BaseModel):
    # Filled from os.environ by load_settings (exact, case-sensitive names: the aliases). A plain model, not
    # pydantic-settings: importing that package was ~5% of the server's cold start, for no source we use.
    model_config = ConfigDict(extra="ignore", validate_default=True)

    plivo_auth_id: str = Field("", alias="PLIVO_AUTH_ID")
    plivo_auth_token: str = Field("", alias="PLIVO_AUTH_TOKEN", repr=False)
    plivo_api_url: str = Field("https://api.plivo.com", alias="PLIVO_API_URL")
    # The Lookup API's host (carrier and line type of a number): same credentials and pacing as the API's.
    plivo_lookup_url: str = Field("https://lookup.plivo.com", alias="PLIVO_LOOKUP_URL")
    timeout_s: float = Field(30.0, alias="PLIVO_MCP_TIMEOUT", gt=0, le=600)
    retry_attempts: int = Field(3, alias="PLIVO_MCP_RETRY_ATTEMPTS", ge=1, le=10)
    retry_base_s: float = Field(0.5, alias="PLIVO_MCP_RETRY_BASE_S", ge=0, le=30)
    retry_max_wait_s: float = Field(10.0, alias="PLIVO_MCP_RETRY_MAX_WAIT_S", ge=0, le=300)
    rate_limit: int = Field(300, alias="PLIVO_MCP_RATE_LIMIT", ge=1, le=100000)
    rate_window_s: float = Field(5.0, alias="PLIVO_MCP_RATE_WINDOW_S", gt=0, le=3600)
    proxy: str | None = Field(None, alias="PLIVO_MCP_PROXY")
    reveal_secrets: bool = Field(False, alias="PLIVO_MCP_REVEAL_SECRETS")
    read_only: bool = Field(False, alias="PLIVO_MCP_READ_ONLY")
    confirm_mode: Literal["auto", "elicit"] = Field("auto", alias="PLIVO_MCP_CONFIRM")
    confirm_secret: str | None = Field(None, alias="PLIVO_MCP_CONFIRM_SECRET", repr=False)
    confirm_ttl_s: int = Field(300, alias="PLIVO_MCP_CONFIRM_TTL", gt=0, le=86400)
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", alias="PLIVO_MCP_LOG_LEVEL")
    http_token: str | None = Field(None, alias="PLIVO_MCP_HTTP_TOKEN", repr=False)
    allow_request_credentials: bool = Field(False, alias="PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS")
    # Comma-separated; added to the loopback defaults of the HTTP transport's Host/Origin checks.
    allowed_hosts_csv: str = Field("", alias="PLIVO_MCP_ALLOWED_HOSTS")
    allowed_origins_csv: str = Field("", alias="PLIVO_MCP_ALLOWED_ORIGINS")

    # Which tools are offered (see plivo_mcp/core/selection.py); names are checked when the server is built.
    toolsets: str = Field("", alias="PLIVO_MCP_TOOLSETS")
    tools: str = Field("", alias="PLIVO_MCP_TOOLS")
    # Writes that the API can run asynchronously report their result here (the operator's endpoint).
    callback_url: str | None = Field(None, alias="PLIVO_MCP_CALLBACK_URL")
    callback_method: Literal["GET", "POST"] = Field("POST", alias="PLIVO_MCP_CALLBACK_METHOD")

    # HTTP transport, per connection: time to send a whole request (headers and body), time a connection may
    # stay silent (new or between requests), and connections held at once (beyond: the longest waiting one is
    # closed, or a 503 when all are busy).
    http_request_timeout_s: float = Field(10.0, alias="PLIVO_MCP_HTTP_REQUEST_TIMEOUT_S", gt=0, le=600)
    http_idle_timeout_s: float = Field(5.0, alias="PLIVO_MCP_HTTP_IDLE_TIMEOUT_S", gt=0, le=3600)
    http_max_connections: int = Field(200, alias="PLIVO_MCP_HTTP_MAX_CONNECTIONS", ge=1, le=100000)

    # Scale-out (README "Scale out"): what every process of a deployment shares through Redis (or Valkey).
    redis_url: str | None = Field(None, alias="PLIVO_MCP_REDIS_URL", repr=False)
    redis_prefix: str = Field("plivo-mcp", alias="PLIVO_MCP_REDIS_PREFIX", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    accept_per_process_single_use: bool = Field(False, alias="PLIVO_MCP_ACCEPT_PER_PROCESS_SINGLE_USE")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^(redis|rediss|unix)://\S+$", value):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("plivo_api_url", "plivo_lookup_url", "proxy", "callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return value
        if not re.match(r"^https?://[^\s/?#]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value  # DEBUG, Info and debug alike

    @field_validator("http_token")
    @classmethod
    def _strong_token(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if len(value) < 16 or any(c.isspace() for c in value):
            raise ValueError("must be at least 16 characters with no spaces")
        return value

    @property
    def is_subaccount(self) -> bool:
        return is_subaccount_id(self.plivo_auth_id)

    @property
    def allowed_hosts(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts_csv.split(",") if h.strip()]

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins_csv.split(",") if o.strip()]


_ENV_NAMES: dict[str, str] = {name: str(field.alias) for name, field in Settings.model_fields.items()}


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; overrides win (the `--sandbox` credentials, the `--read-only` flag).

    Raises ConfigError with one line that names the variable to fix.
    """
    try:
        env = {alias: os.environ[alias] for alias in _ENV_NAMES.values() if alias in os.environ}
        settings = Settings.model_validate({**env, **{_ENV_NAMES.get(k, k): v for k, v in overrides.items()}})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else "environment"
        raise ConfigError(f"{_ENV_NAMES.get(loc, loc)}: {err['msg']}") from None
    sandbox_hint = "or run `plivo-mcp serve --sandbox` to try it against the embedded sandbox"
    if settings.allow_request_credentials and not (settings.plivo_auth_id or settings.plivo_auth_token):
        # A multi-tenant HTTP server may hold no account of its own: every request brings its credentials.
        return settings
    if not settings.plivo_auth_id:
        raise ConfigError(f"PLIVO_AUTH_ID is not set: export your Plivo Auth ID, {sandbox_hint}")
    if not AUTH_ID_PATTERN.match(settings.plivo_auth_id):
        raise ConfigError(
            f"PLIVO_AUTH_ID is malformed: expected MA or SA followed by 18 upper-case letters or digits, "
            f"{sandbox_hint}")
    if not settings.plivo_auth_token:
        raise ConfigError(f"PLIVO_AUTH_TOKEN is not set: export your Plivo Auth Token, {sandbox_hint}")
    if len(settings.plivo_auth_token) < 8 or any(c.isspace() for c in settings.plivo_auth_token):
        raise ConfigError(f"PLIVO_AUTH_TOKEN is malformed (too short or contains spaces), {sandbox_hint}")
    return settings
