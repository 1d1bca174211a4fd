"""What every process of one deployment must share, kept in Redis (or Valkey) when PLIVO_MCP_REDIS_URL is set.

Two things change behaviour when a deployment runs more than one process (replicas, `--workers N`):
- the record of spent confirmation tokens: without it a token is single-use only within the process that saw it
  used, so with a shared PLIVO_MCP_CONFIRM_SECRET every replica would accept it once, and so would a restarted one;
- the per-account pacing (Plivo's 300 requests per 5 s): per process, N processes would send up to N x 300.

Keys are namespaced (`{PLIVO_MCP_REDIS_PREFIX}:used:…`, `…:rate:…`) and every key carries an expiry.

When Redis cannot be reached or fails, one log line says so (and one when it answers again), not one per call:
- the guard fails closed: a call that would act on a confirmation token is refused with `unavailable`;
- pacing falls back to this process's own limiter (ratelimit.py), so reads keep being served, each process
  then pacing on its own as it would without Redis.
After a failure Redis is not tried again for `retry_interval_s`, so an unreachable host costs a call nothing
(no connect timeout per call); the first call after that interval finds out whether it is back.

Everything Redis-related is imported on first use: a server without PLIVO_MCP_REDIS_URL never imports redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
import secrets
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from plivo_mcp.errors import PlivoToolError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from plivo_mcp.config import Settings
    from plivo_mcp.ratelimit import RateLimiter

T = TypeVar("T")

# A token's record outlives the token by this much: a replica whose clock runs behind the one that checked it
# first still finds the record while it believes the token valid.
CLOCK_MARGIN_S = 60
# A slot taken by a request still in flight is held at most this long past one window: if the process that took
# it dies, the slot comes back by itself. A request that takes longer stops holding it until it finishes (its
# finish is then recorded as usual, for one window).
IN_FLIGHT_LEASE_S = 60.0
# While every slot is held by requests still in flight, nothing says when one frees up: poll this often.
_IN_FLIGHT_POLL_S = 0.025


class SharedStateUnavailable(Exception):
    """Redis could not be asked (unreachable, failing, or within the pause after a failure)."""


class RedisState:
    """One Redis connection pool per event loop for a URL, and the record of whether it currently answers."""

    def __init__(self, url: str, prefix: str, *, timeout_s: float = 2.0, retry_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.retry_interval_s = retry_interval_s
        self._clock = clock
        # A pool is bound to the loop it was opened on; tests and threaded servers run several loops at once.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self._next_try = 0.0
        self._scripts: dict[str, Any] = {}
        self._member_prefix = secrets.token_hex(6)
        self._members = itertools.count()

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{name}"

    def new_member(self) -> str:
        """A name for one slot, unique across processes."""
        return f"{self._member_prefix}:{next(self._members)}"

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None:
                import redis.asyncio as aioredis
                from redis.asyncio.retry import Retry
                from redis.backoff import NoBackoff

                # One immediate retry: a pooled connection that Redis closed (a restart) fails once, then
                # reconnects. No backoff: a caller waits at most about two timeouts, never a retry schedule.
                client = aioredis.Redis.from_url(
                    self.url, socket_connect_timeout=self.timeout_s, socket_timeout=self.timeout_s,
                    retry=Retry(NoBackoff(), 1), client_name="plivo-mcp")
                self._clients[loop] = client
            return client

    def script(self, name: str, source: str, client: Redis) -> Any:
        """The registered Lua script (EVALSHA, loaded again by redis-py if Redis lost it in a restart)."""
        with self._lock:
            script = self._scripts.get(name)
            if script is None:
                script = self._scripts[name] = client.register_script(source)
            return script

    async def run(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """Run one operation against Redis; SharedStateUnavailable if it cannot be done now."""
        from redis.exceptions import RedisError

        if self._failing_since is not None and self._clock() < self._next_try:
            raise SharedStateUnavailable("redis failed moments ago")
        try:
            result = await operation(self._client())
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            raise SharedStateUnavailable(type(exc).__name__) from None
        if self._failing_since is not None:
            self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self._failing_since is None
            now = self._clock()
            if first:
                self._failing_since = now
            self._next_try = now + self.retry_interval_s
        if first:  # one line per outage, not one per call
            _log().warning("redis_unavailable", error=type(exc).__name__, detail=str(exc)[:200],
                           effect="calls that act on a confirmation token are refused; pacing is per process "
                                  "until Redis answers again")

    def _recovered(self) -> None:
        with self._lock:
            since, self._failing_since = self._failing_since, None
        if since is not None:
            _log().info("redis_available", outage_s=round(self._clock() - since, 1))

    @property
    def failing(self) -> bool:
        return self._failing_since is not None

    async def aclose(self) -> None:
        """Close the pool of the running loop (the others close with their loops)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()


_STATES: dict[tuple[str, str], RedisState] = {}
_STATES_LOCK = threading.Lock()


def redis_state(config: Settings) -> RedisState:
    """The one RedisState of this process for the configured URL and prefix (the guard and every client share
    its pools). Only the operator's configuration makes entries here, so there are a handful at most."""
    if not config.redis_url:
        raise ValueError("PLIVO_MCP_REDIS_URL is not set")
    key = (config.redis_url, config.redis_prefix)
    with _STATES_LOCK:
        state = _STATES.get(key)
        if state is None:
            from plivo_mcp.secrets import OPERATOR_SECRETS

            OPERATOR_SECRETS.add(urlsplit(config.redis_url).password)  # never in an answer or a log line
            state = _STATES[key] = RedisState(config.redis_url, config.redis_prefix)
        return state


def start_problem(config: Settings, *, workers: int, transport: str) -> str | None:
    """Why the server must not start as asked, in one line, or None.

    Without Redis, single use of a confirmation token holds within one process only. That is what a single
    process with a random key gives (its tokens die with it); but several workers, or a key shared with other
    replicas or kept across restarts, would each accept a token once more. Refused unless the operator says so.
    """
    if workers > 1 and transport != "http":
        return "--workers needs --transport http"
    if config.redis_url:
        from importlib.util import find_spec

        if find_spec("redis") is None:  # found without importing it
            return ("PLIVO_MCP_REDIS_URL is set but the redis package is not installed: "
                    "pip install 'plivo-mcp[redis]'")
        return None
    if config.accept_per_process_single_use:
        return None
    if workers > 1:
        reason = f"--workers {workers} without PLIVO_MCP_REDIS_URL: each worker would accept a confirmation token once"
    elif config.confirm_secret:
        reason = ("PLIVO_MCP_CONFIRM_SECRET without PLIVO_MCP_REDIS_URL: every process sharing the secret, and this "
                  "one after a restart, would accept a confirmation token once more")
    else:
        return None
    return (f"refusing to start: {reason}. Set PLIVO_MCP_REDIS_URL to share single use, or "
            "PLIVO_MCP_ACCEPT_PER_PROCESS_SINGLE_USE=1 to accept single use per process.")


# --- spent confirmation tokens ------------------------------------------------------------------------------
class RedisUsedTokens:
    """Spent tokens for every process sharing this Redis: SET NX with the token's remaining lifetime (plus a
    margin for clocks) as expiry, so check-and-record is one atomic step and a record lasts as long as it matters.
    """

    def __init__(self, state: RedisState, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock

    async def reserve(self, nonce: str, expires_at: float) -> bool:
        ttl_ms = max(1, math.ceil((expires_at - self._clock() + CLOCK_MARGIN_S) * 1000))
        key = self._state.key("used", nonce)
        try:
            recorded = await self._state.run(lambda redis: redis.set(key, b"1", nx=True, px=ttl_ms))
        except SharedStateUnavailable:
            raise PlivoToolError(
                "unavailable", "Confirmation tokens cannot be checked right now: the server's shared store (Redis) "
                "does not answer; nothing was done.", status=503,
                hint="Retry in a moment with the same confirmation_token; reads keep working.") from None
        return bool(recorded)

    async def release(self, nonce: str) -> None:
        key = self._state.key("used", nonce)
        with suppress(SharedStateUnavailable):  # if Redis is away the token stays spent: fail closed
            await self._state.run(lambda redis: redis.delete(key))


# --- shared pacing ------------------------------------------------------------------------------------------
# A sorted set per credential pair: one member per slot, scored with the time (Redis's own clock, in ms) until
# which it is held: start + window + lease while in flight, finish + window once finished. The same rule as
# ratelimit.RateLimiter, on one clock for every process: any window Plivo looks at can only hold requests whose
# slots were all held at once at its end, and at most `rate` are.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[4])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
"""
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
return 0
"""


class SharedRateLimiter:
    """At most `rate` requests per `window_s` for one credential pair across every process sharing the Redis.

    `async with limiter.slot():` like ratelimit.RateLimiter, which it falls back to while Redis fails. The key is a
    digest of (API URL, auth id, token), like the local registry's: a wrong token never spends the budget of the
    account it names, and no token is stored in clear.
    """

    def __init__(self, state: RedisState, base_url: str, auth_id: str, auth_token: str, rate: int,
                 window_s: float) -> None:
        self._state = state
        self._pair = (base_url, auth_id, auth_token)
        digest = hashlib.sha256("\0".join(self._pair).encode()).hexdigest()[:32]
        self.key = state.key("rate", digest)
        self.rate = rate
        self.window_s = window_s
        self._window_ms = max(1, round(window_s * 1000))
        self._lease_ms = round(IN_FLIGHT_LEASE_S * 1000)

    def fallback(self) -> RateLimiter:
        from plivo_mcp.ratelimit import limiter_for

        return limiter_for(*self._pair, self.rate, self.window_s)

    async def _acquire(self) -> str | None:
        """The member holding a slot, or None when Redis cannot be asked."""
        member = self._state.new_member()
        args = [self.rate, self._window_ms, self._lease_ms, member]

        async def take(redis: Redis) -> int:
            return int(await self._state.script("acquire", _ACQUIRE, redis)(keys=[self.key], args=args, client=redis))

        while True:
            try:
                wait_ms = await self._state.run(take)
            except SharedStateUnavailable:
                return None
            if wait_ms <= 0:
                return member
            # A wait longer than a window means the oldest slot is still in flight: it may finish any moment.
            wait_s = _IN_FLIGHT_POLL_S if wait_ms > self._window_ms else wait_ms / 1000
            # Jitter, so the waiters of every process do not all ask again in the same millisecond.
            await asyncio.sleep(wait_s + random.uniform(0, 0.005))

    async def _release(self, member: str) -> None:
        async def give_back(redis: Redis) -> Any:
            script = self._state.script("release", _RELEASE, redis)
            return await script(keys=[self.key], args=[self._window_ms, member], client=redis)

        with suppress(SharedStateUnavailable):  # if Redis is away the slot stays held until its lease ends
            await self._state.run(give_back)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        member = await self._acquire()
        if member is None:
            async with self.fallback().slot():
                yield
            return
        try:
            yield
        finally:
            await self._release(member)


def _log() -> Any:
    from plivo_mcp.logs import get_logger

    return get_logger("plivo_mcp.shared_state")
