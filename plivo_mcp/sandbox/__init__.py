"""Plivo-compatible sandbox API (Account, Subaccount, Application, Endpoint, Number, PhoneNumber, Pricing).

`Sandbox` serves it on loopback for tests, benchmarks, the demo and `plivo-mcp sandbox`.

Layout: one module per resource (its paths, handlers and storage, declared as its `RESOURCE`); routes.py, the
one list of them; app.py, the ASGI app (authentication, rate limit, faults, callbacks) dispatching through that
list; router.py, what handlers use to read a request and answer; storage.py, the SQLite core each resource's
storage builds on (accounts.py: the accounts every row belongs to); store.py, the Database with shortcuts for
tests; runner.py, `Sandbox`.

Choices where the API is ambiguous (see each resource module for details):
- A dropped connection (fault) is injected *after* the request is processed: a create whose answer is lost has
  still happened exactly once. Forced statuses and malformed bodies are injected *before* processing (no effect).
- Subaccount credentials: `GET /` returns the subaccount's own view; `POST /` and every `Subaccount/` path are
  403. Other resources are scoped to the subaccount's own objects (others' ids answer 404).
- A path `{auth_id}` that differs from the BasicAuth user is 401, like bad or disabled credentials.
- With `callback_url`, the result (errors included, except an invalid callback_url/callback_method, which is a
  synchronous 400) is delivered as JSON `{"status": <int>, "body": <object|null>}` (POST), or as query
  parameters `status` and `body` (JSON text) for callback_method=GET.
- Unrented numbers (and numbers of a subaccount deleted with cascade) go back to the inventory.
- Buying a number takes its setup fee and first month's rental off the main account's cash_credits (a
  subaccount's purchase too); too little credit is a 400 and nothing changes. It renews the same day next month
  (Jan 31 -> Feb 28/29). "Today" comes from the clock given to `Sandbox(clock=...)`, else the system clock.
- Admin paths outside /v1/, for what no SDK can do against the real API: `POST /sandbox/endpoints/{id}/register`
  (JSON `contact`, `user_agent`, `expires` seconds; all optional) and `POST /sandbox/endpoints/{id}/unregister`.
  Same BasicAuth and scoping as the API, loopback clients only, never touched by the fault plan.
"""

from plivo_mcp.sandbox.runner import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Sandbox

__all__ = ["DEMO_AUTH_ID", "DEMO_AUTH_TOKEN", "Sandbox"]
