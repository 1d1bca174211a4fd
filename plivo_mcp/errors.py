"""Error taxonomy: every failure the assistant sees is a tool error with a machine-readable body."""

from __future__ import annotations

from typing import Any

# Plivo status -> (code, hint). The hint tells the assistant what to do next.
_STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("invalid_argument", "Fix the named parameter and call again."),
    401: ("auth_failed", "Check PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN; a subaccount can only act on its own resources."),
    403: ("forbidden", "These credentials may not do this; a main account may be needed."),
    404: ("not_found", "Check the id; list the resource to find valid ids."),
    405: ("invalid_request", "This operation is not supported for this resource."),
    409: ("conflict", "The resource is in a conflicting state; get it again and retry."),
    422: ("invalid_request", "The request was understood but refused; check the arguments."),
    429: ("rate_limited", "Plivo's rate limit was hit; wait and retry."),
}


class PlivoToolError(Exception):
    """A failure to report to the assistant as `isError` with a structured body."""

    def __init__(self, code: str, message: str, *, status: int | None = None, api_id: str | None = None,
                 hint: str | None = None, parameter: str | None = None, account_text: bool = False,
                 **extra: Any) -> None:
        super().__init__(message)
        # True when the message or extras carry text from the account or from Plivo (names, a preview, an
        # upstream error text): the answer is then marked as untrusted data, like a read tool's.
        self.account_text = account_text
        self.code = code
        self.message = message
        self.status = status
        self.api_id = api_id
        self.hint = hint
        self.parameter = parameter
        self.extra = extra

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "status": self.status, "error": self.message}
        if self.parameter:
            body["parameter"] = self.parameter
        if self.api_id:
            body["api_id"] = self.api_id
        body.update(self.extra)
        if self.hint:
            body["hint"] = self.hint
        return body


def invalid_argument(parameter: str, message: str) -> PlivoToolError:
    return PlivoToolError("invalid_argument", f"{parameter}: {message}", parameter=parameter,
                          hint="Fix the named parameter and call again; nothing was sent to Plivo.")


def from_status(status: int, error_text: str, api_id: str | None, **extra: Any) -> PlivoToolError:
    if status in _STATUS_CODES:
        code, hint = _STATUS_CODES[status]
    elif status >= 500:
        code, hint = "upstream_error", "Plivo failed; retry later. Writes were not retried automatically."
    else:
        code, hint = "upstream_error", "Unexpected answer from Plivo."
    return PlivoToolError(code, error_text or f"HTTP {status}", status=status, api_id=api_id, hint=hint,
                          account_text=bool(error_text), **extra)
