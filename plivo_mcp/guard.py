"""The confirmation guard in front of every destructive or costly tool.

A guarded tool acts only after an explicit confirmation of a preview computed from live state:
- a client that can elicit: the person is shown the preview and must type the resource's name or id
  (the SDK's resolver mechanism, so it works on both protocol eras);
- any other client: the first call returns the preview and a signed, single-use `confirmation_token`; a second
  call with the same arguments plus that token acts, if the state still matches the preview.
Everything fails closed: a decline, a cancel, a wrong answer, an elicitation failure, a bad token or a changed
state means nothing happens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from plivo_mcp.core.deps import deps_for, host_of
from plivo_mcp.core.runner import CONFIRMED_PARAM, TOKEN_PARAM
from plivo_mcp.core.sdk import stash, stashed, with_signature
from plivo_mcp.errors import PlivoToolError

if TYPE_CHECKING:
    from plivo_mcp.config import Settings
    from plivo_mcp.core.deps import Deps
    from plivo_mcp.core.spec import ToolSpec

ConfirmationToken = Annotated[str | None, Field(max_length=2048, description=(
    "From the preview; resend with the same arguments to act."))]
_PREVIEW_KEY = "preview"


class Confirmation(BaseModel):
    """The form a person fills in to confirm."""

    confirm: str = Field(description="Type the name or id shown above to confirm")


class NotAsked(BaseModel):
    """The client cannot be asked: fall back to the two-step token flow."""

    reason: str = "client cannot elicit"


def digest(value: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:32]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def render_preview(tool: str, preview: dict[str, Any]) -> str:
    """The preview as lines a person can read in a confirmation dialog."""
    lines = [str(preview.get("action", tool))]
    for key, value in preview.items():
        if key in ("action", "confirm_with"):
            continue
        lines.append(f"- {key.replace('_', ' ')}: {_canonical(value) if isinstance(value, dict | list) else value}")
    lines.append(f"Type {preview['confirm_with']} to confirm.")
    return "\n".join(lines)


class Guard:
    def __init__(self, config: Settings, clock: Callable[[], float] = time.time) -> None:
        self.mode = config.confirm_mode
        self.ttl_s = config.confirm_ttl_s
        self._key = (config.confirm_secret or secrets.token_hex(32)).encode()
        self.clock = clock
        # Single use across every process sharing PLIVO_MCP_REDIS_URL; without it, within this process only
        # (start-up refuses a shared key or several workers without Redis unless the operator accepts that).
        self.used: UsedTokens = LocalUsedTokens(clock)
        if config.redis_url:
            from plivo_mcp.shared_state import RedisUsedTokens, redis_state

            self.used = RedisUsedTokens(redis_state(config), clock)

    # --- elicitation path (runs as the SDK resolver, before the tool body) ---------------------------------
    async def ask(self, spec: ToolSpec, ctx: Context, args: dict[str, Any]) -> NotAsked | Elicit[Confirmation]:
        if not spec.guards(args):
            return NotAsked(reason="this call needs no confirmation")  # the runner does not consult the guard either
        caps = ctx.client_capabilities
        if caps is None or caps.elicitation is None:
            return NotAsked()
        # From 2026-07-28 the resolver runs again when the client returns the person's answer: a preview that
        # fails then is a change since the preview the person answered.
        answering = bool(ctx.input_responses)
        preview = await _preview(spec, deps_for(ctx), args, since_shown=answering)
        stash(ctx, _PREVIEW_KEY, preview)  # the body re-checks the state against exactly this preview
        return Elicit(render_preview(spec.name, preview), Confirmation)

    # --- the decision, in the tool body --------------------------------------------------------------------
    async def authorize(self, spec: ToolSpec, deps: Deps, args: dict[str, Any], token: str | None,
                        confirmed: Any) -> dict[str, Any] | None:
        """None means: go ahead. A dict is a preview answer to return instead of acting. Refusals raise."""
        if isinstance(confirmed, AcceptedElicitation) and isinstance(confirmed.data, Confirmation):
            await self._check_elicited(spec, deps, args, confirmed.data)
            return None
        if isinstance(confirmed, AcceptedElicitation) and isinstance(confirmed.data, NotAsked):
            if self.mode == "elicit":
                raise PlivoToolError(
                    "confirmation_unavailable", f"{spec.name} needs a person's confirmation and this client "
                    "cannot ask for one (PLIVO_MCP_CONFIRM=elicit); nothing was done.",
                    hint="Use a client that supports elicitation, or ask the operator to allow token confirmation.")
            return await self._check_token(spec, deps, args, token)
        if confirmed is not None and getattr(confirmed, "action", None) in ("decline", "cancel"):
            raise PlivoToolError("not_confirmed", f"The person chose {confirmed.action}; nothing was done.",
                                 hint="Do not retry unless the person asks again.")
        raise PlivoToolError("not_confirmed", "No confirmation was obtained; nothing was done.")

    async def _check_elicited(self, spec: ToolSpec, deps: Deps, args: dict[str, Any],
                              answer: Confirmation) -> None:
        shown = stashed(deps.ctx, _PREVIEW_KEY)
        if shown is None:
            raise PlivoToolError("not_confirmed", "The confirmation could not be matched to a preview; nothing "
                                 "was done.")
        if answer.confirm.strip() != str(shown["confirm_with"]):
            raise PlivoToolError("not_confirmed", f"The confirmation typed does not match "
                                 f"{shown['confirm_with']!r}; nothing was done.", account_text=True,
                                 hint="Ask the person again.")
        fresh = await _preview(spec, deps, args, since_shown=True)
        if digest(fresh) != digest(shown):
            raise PlivoToolError("state_changed", "The account changed after the preview was shown; nothing was "
                                 "done.", preview=fresh, account_text=True, hint="Show the new preview and ask again.")
        return None

    async def _check_token(self, spec: ToolSpec, deps: Deps, args: dict[str, Any],
                           token: str | None) -> dict[str, Any] | None:
        account = deps.client.auth_id
        if token is None:
            return self._preview_answer(spec, args, account, await _preview(spec, deps, args))
        # Every check that needs no API call comes first: a forged or stale token costs Plivo nothing.
        claims = self._verify(token)
        if claims["tool"] != spec.name:
            raise _bad_token(f"it was issued for {claims['tool']}, not {spec.name}")
        if claims["account"] != account:
            raise _bad_token("it was issued for another account")
        if claims["args"] != digest(args):
            raise _bad_token("the arguments differ from the previewed ones")
        if claims["exp"] < self.clock():
            raise _bad_token("it has expired")
        # Reserved before anything awaits the network: of concurrent calls with one token, exactly one gets
        # past this line, so exactly one write can follow.
        if not await self.used.reserve(claims["nonce"], claims["exp"]):
            raise _bad_token("it has already been used")
        try:
            preview = await _preview(spec, deps, args, since_shown=True)
        except BaseException:
            await self.used.release(claims["nonce"])  # nothing was done: the person may confirm again
            raise
        if claims["preview"] != digest(preview):
            # The token stays spent: the answer carries a fresh one for the fresh preview.
            answer = self._preview_answer(spec, args, account, preview)
            raise PlivoToolError("state_changed", "The account changed since the preview; nothing was done. "
                                 "Here is the fresh preview.", preview=answer["preview"],
                                 confirmation_token=answer["confirmation_token"], account_text=True,
                                 hint="Show the fresh preview to the person before confirming again.")
        return None

    def _preview_answer(self, spec: ToolSpec, args: dict[str, Any], account: str,
                        preview: dict[str, Any]) -> dict[str, Any]:
        claims = {"tool": spec.name, "account": account, "args": digest(args),
                  "preview": digest(preview), "exp": int(self.clock()) + self.ttl_s, "nonce": secrets.token_hex(8)}
        return {
            "status": "confirmation_required",
            "done": False,
            "preview": {k: v for k, v in preview.items() if k != "confirm_with"},
            "confirmation_token": self._sign(claims),
            "expires_in_s": self.ttl_s,
            "next_step": f"Show this preview to the person. Only if they agree, call {spec.name} again with the "
                         "same arguments plus confirmation_token.",
        }

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def _sign(self, claims: dict[str, Any]) -> str:
        body = _b64(_canonical(claims).encode())
        return f"{body}.{self._mac(body)}"

    def _verify(self, token: str) -> dict[str, Any]:
        body, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._mac(body)):
            raise _bad_token("its signature is not valid")
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            raise _bad_token("it is malformed") from None
        if not isinstance(claims, dict) or not {"tool", "account", "args", "preview", "exp", "nonce"} <= set(claims):
            raise _bad_token("it is malformed")
        return claims



class UsedTokens(Protocol):
    """Where spent confirmation tokens are recorded. `reserve` must be atomic: check and record in one step."""

    async def reserve(self, nonce: str, expires_at: float) -> bool:
        """Record `nonce` as spent until `expires_at`; False if it already was."""
        ...

    async def release(self, nonce: str) -> None:
        """Forget a reservation whose call did nothing."""
        ...


class LocalUsedTokens:
    """Spent tokens of this process. Bounded by what the server itself signed within one TTL: an entry is only
    made for a token whose signature checked out, and it goes once the token would have expired anyway."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    async def reserve(self, nonce: str, expires_at: float) -> bool:
        with self._lock:  # no await in here: check and record are one step for every task and thread
            now = self._clock()
            for spent in [n for n, exp in self._used.items() if exp < now]:
                del self._used[spent]
            if nonce in self._used:
                return False
            self._used[nonce] = expires_at
            return True

    async def release(self, nonce: str) -> None:
        with self._lock:
            self._used.pop(nonce, None)


def _bad_token(why: str) -> PlivoToolError:
    return PlivoToolError("invalid_confirmation", f"confirmation_token refused: {why}; nothing was done.",
                          parameter="confirmation_token",
                          hint="Call again without confirmation_token to get a fresh preview and token.")


# What a preview raises when the object it describes is gone or no longer in the state it acts on (a deleted
# application, a call that ended, a queued call that started ringing).
_GONE = frozenset({"not_found", "call_ended", "wrong_state"})


async def _preview(spec: ToolSpec, deps: Deps, args: dict[str, Any], since_shown: bool = False) -> dict[str, Any]:
    """The tool's preview from live state. `since_shown`: at confirmation, when a preview was already shown; the
    object having gone since is then `state_changed` (what was confirmed no longer exists), not the first-call
    answer (`not_found`, `call_ended`, `wrong_state`) that reads as if the assistant had asked for nothing."""
    assert spec.preview is not None, f"{spec.name} is not guarded"
    try:
        return await spec.preview(deps, **args)
    except PlivoToolError as exc:
        if not since_shown or exc.code not in _GONE:
            raise
        why = exc.message.removesuffix("; nothing was done.").rstrip(".")
        raise PlivoToolError("state_changed", f"The account changed since the preview: {why}; nothing was done.",
                             parameter=exc.parameter, account_text=True, now=exc.code,
                             hint=exc.hint or "Nothing is left to confirm; look at the current state first.") from exc


def guard_parameters(spec: ToolSpec) -> list[inspect.Parameter]:
    """A guarded tool's two extra parameters: the visible token and the hidden confirmation resolver.

    The resolver takes the tool's own arguments by name (that is how the SDK feeds resolvers), so it is built
    here from the tool's parameters rather than written out for each guarded tool.
    """
    arg_names = [p.name for p in spec.parameters()]

    async def ask(ctx: Context, **args: Any) -> Any:
        guard = host_of(ctx).guard
        assert isinstance(guard, Guard)
        return await guard.ask(spec, ctx, args)

    with_signature(ask, f"confirm_{spec.name}",
                   [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
                   + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in arg_names], None)
    confirmed_type = Annotated[ElicitationResult[Confirmation], Resolve(ask)]
    return [inspect.Parameter(TOKEN_PARAM, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=ConfirmationToken),
            inspect.Parameter(CONFIRMED_PARAM, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=confirmed_type)]
