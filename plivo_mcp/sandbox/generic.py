"""The generic resource simulation: every catalog operation that no resource module of the sandbox implements.

The resources that matter have modules of their own (calls, messages, numbers...). The long tail (conferences,
multi-party calls, powerpacks, 10DLC brands and campaigns, compliance, masking, verify...) is served from data:
the operation catalog (plivo_mcp/catalog: methods, path templates, parameters, examples) says what exists and
what each request must carry; generic_bodies.json (beside this module, derived from the Plivo SDKs' test fixtures)
says what the objects look like and how the API words its answers. Nothing here is written per operation.

How a catalog operation is served (decided once, when the app is built, by `Simulation`):
- If a resource module already answers that method on that path shape (`Call/{id}/`, `Call/{id}/Record/`...), it
  keeps it. Otherwise the simulation does, on the operation's own path, however deep
  (`MultiPartyCall/{mpc}/Participant/{id}/Record/Pause/`). Literal segments win over parameters when the app
  routes (`PhoneNumber/Compliance/` is not a number to buy).
- Each path is classified by shape: an item (`.../{id}/`: get, update, delete), a collection (`X/` with items
  under it, or a list: list, create, delete all), an action on an item (`.../{id}/Mute/`, `.../{id}/Record/Pause/`:
  answers like the fixtures and, where the data says so, sets a field or removes the item), an action on a
  collection (`10dlc/Campaign/Import/`), or a singleton (`JWT/Token/`).
- A "kind" is a collection path with `{}` for parameters (`Conference/{}/Member/`): objects of a kind are kept per
  account and per parent (the ids of the path parameters before theirs), as JSON, in one table.

State is the caller's own: a subaccount sees only its objects and the main account only its own (unlike the
resource modules, where a main account also sees its subaccounts'). Every account starts with one object per
path-parameter example of the catalog (`Param.example`), so every operation works end to end on the example ids.
Those seeds are virtual until changed: reading never writes (a preview GET leaves the database as it was); an
update stores the object, a delete leaves a tombstone.

Validation is the catalog's: required parameters (400 "<name> parameter is missing"), types (form values are
converted: "5" to 5, "true" to true, a JSON text to an object), enums, bounds, lengths and patterns. Parameters
the catalog does not declare are ignored (the SDKs repeat path ids in bodies), except uploaded files, whose name
and size (never their content) are recorded.

Not faithful: nothing generic costs money; objects do not change state by themselves (a brand stays as
registered, a masking session never expires); effects across resources are not simulated (a conference recording
makes no Recording, a powerpack does not check that its numbers are rented).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import secrets
import sqlite3
import string
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from plivo_mcp.catalog import Catalog, Operation, Param
from plivo_mcp.sandbox.router import ApiError, Ctx, Handler, Resource, Result, page
from plivo_mcp.sandbox.storage import Storage, StoreError, Table

Pattern = tuple[str | None, ...]  # a path's segments, None for a parameter
Target = Literal["item", "collection", "action", "collection_action", "singleton"]

MAX_OBJECTS_PER_ACCOUNT = 2000  # generic objects one account may hold (tombstones of deleted seeds included)
MAX_OBJECT_BYTES = 32 * 1024  # one object's JSON
_SEP = "\x1f"  # joins the parent ids of a nested object (an id carrying it is refused: see Simulation.serve)
_SEED_NAMESPACE = uuid.UUID("6f1c2a9e-4f55-4c1b-9d59-4b1a0d6e9c11")
_SEED_TIME = "2024-01-15T09:30:00.000000Z"  # "now" in seeded objects: a fixed date, so that reads are stable
_SECRET_WORDS = ("token", "password", "secret")  # such parameters are never stored (nor echoed back)
_PAGING = frozenset({"limit", "offset", "cursor"})
_TOKEN = re.compile(r"\{(id|parent|auth_id|now|today|uuid(?::[a-z_]+)?|param\.[A-Za-z0-9_]+|object\.[A-Za-z0-9_]+)\}")


# ---- uploads ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as the app hands it to handlers: its name, size and type only."""

    filename: str
    size: int
    content_type: str

    def describe(self) -> dict[str, Any]:
        return {"file_name": self.filename, "size": self.size, "content_type": self.content_type}


def _empty(value: Any) -> bool:
    """Not given: the SDKs send "", [] or {} for what the caller left out (plivo-python's brand create: url="",
    profile create: address={}, an address without a document: an empty part named `file`)."""
    if isinstance(value, Upload):
        return value.size == 0
    if isinstance(value, list) and value and all(isinstance(v, Upload) for v in value):
        return all(v.size == 0 for v in value)
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _uploads(value: Any) -> list[Upload]:
    """The non-empty files in a parameter's value."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, Upload) and v.size > 0]


# ---- storage ----------------------------------------------------------------------------------------------------

GENERIC_OBJECTS = Table(
    name="generic_objects", key="owner, kind, parent, id", owned=True,
    # body NULL: a seeded object that was deleted. seeded: the row began as a seed (listed after created ones).
    create="""CREATE TABLE IF NOT EXISTS generic_objects (
        owner TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT NOT NULL, id TEXT NOT NULL, body TEXT,
        seeded INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (owner, kind, parent, id))""",
)


class GenericObjects(Storage):
    """Objects of the generic simulation: (owner, kind, parent, id) -> JSON body."""

    tables = (GENERIC_OBJECTS,)

    def rows(self, owner: str, kind: str, parent: str) -> list[dict[str, Any]]:
        """Stored rows of one collection (tombstones included): created ones newest first, then former seeds."""
        return self.db.query("SELECT id, body, seeded FROM generic_objects WHERE owner=? AND kind=? AND parent=?"
                             " ORDER BY seeded ASC, rowid DESC", (owner, kind, parent))

    def row(self, owner: str, kind: str, parent: str, obj_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT id, body, seeded FROM generic_objects WHERE owner=? AND kind=? AND parent=?"
                           " AND id=?", (owner, kind, parent, obj_id))

    @staticmethod
    def put(c: sqlite3.Connection, owner: str, kind: str, parent: str, obj_id: str, body: dict[str, Any] | None,
            seeded: bool) -> None:
        text = None if body is None else json.dumps(body, separators=(",", ":"))
        if text is not None and len(text) > MAX_OBJECT_BYTES:
            raise StoreError(400, f"the object would be larger than {MAX_OBJECT_BYTES // 1024} KB")
        c.execute("INSERT INTO generic_objects(owner, kind, parent, id, body, seeded) VALUES (?,?,?,?,?,?)"
                  " ON CONFLICT(owner, kind, parent, id) DO UPDATE SET body=excluded.body",
                  (owner, kind, parent, obj_id, text, int(seeded)))

    @staticmethod
    def remove(c: sqlite3.Connection, owner: str, kind: str, parent: str, obj_id: str, tombstone: bool) -> None:
        """Delete one object and everything under it (`Conference/{}/Member/` objects go with their conference);
        a seeded object leaves a tombstone, so that it does not come back."""
        if tombstone:
            GenericObjects.put(c, owner, kind, parent, obj_id, None, seeded=True)
        else:
            c.execute("DELETE FROM generic_objects WHERE owner=? AND kind=? AND parent=? AND id=?",
                      (owner, kind, parent, obj_id))
        own = f"{parent}{_SEP}{obj_id}" if parent else obj_id
        c.execute("DELETE FROM generic_objects WHERE owner=? AND substr(kind, 1, ?)=? AND (parent=? OR"
                  " substr(parent, 1, ?)=?)", (owner, len(kind) + 3, kind + "{}/", own, len(own) + 1, own + _SEP))

    @staticmethod
    def count(c: sqlite3.Connection, owner: str) -> int:
        row = c.execute("SELECT COUNT(*) AS n FROM generic_objects WHERE owner=?", (owner,)).fetchone()
        return int(row["n"])

    def subaccount_deleted(self, c: sqlite3.Connection, sa: str, parent: str, cascade: bool) -> None:
        # Every account has its own copy of the seeds, so moving can clash: the main account's own object wins.
        if not cascade:
            c.execute("UPDATE OR IGNORE generic_objects SET owner=? WHERE owner=? AND body IS NOT NULL", (parent, sa))
        c.execute("DELETE FROM generic_objects WHERE owner=?", (sa,))


RESOURCE = Resource(paths={}, storage=GenericObjects)  # its paths are computed from the catalog (Simulation)


# ---- the data ---------------------------------------------------------------------------------------------------

@functools.cache
def bodies() -> dict[str, Any]:
    """generic_bodies.json: per-kind object templates and answers (package data, read once)."""
    text = resources.files(__package__).joinpath("generic_bodies.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def pattern_of(path: str) -> Pattern:
    """`Conference/{conference_name}/Member/` -> ("Conference", None, "Member")."""
    return tuple(None if s.startswith("{") else s for s in path.split("/") if s)


def kind_of(segments: Sequence[str | None]) -> str:
    """The kind key of a collection path: ("Conference", None, "Member") -> "Conference/{}/Member/"."""
    return "".join("{}/" if s is None else f"{s}/" for s in segments)


def _path_names(path: str) -> tuple[str, ...]:
    return tuple(s[1:-1] for s in path.split("/") if s.startswith("{"))


def _noun(kind: str) -> str:
    literals = [s for s in kind.split("/") if s and s != "{}"]
    return literals[-1] if literals else "object"


def _now_text(ctx: Ctx) -> str:
    now = ctx.db.clock()
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- templates --------------------------------------------------------------------------------------------------

@dataclass
class Render:
    """What placeholders of a template stand for (see generic_bodies.json's `_about`)."""

    ctx: Ctx
    id: str = ""
    parent: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    object: dict[str, Any] = field(default_factory=dict)
    objects: list[dict[str, Any]] = field(default_factory=list)
    seed_key: str | None = None  # set for a seeded object: its named uuids are derived, not random
    now: str = ""
    _named: dict[str, str] = field(default_factory=dict)

    def named_uuid(self, name: str) -> str:
        if name not in self._named:
            self._named[name] = (str(uuid.uuid5(_SEED_NAMESPACE, f"{self.seed_key}|{name}"))
                                 if self.seed_key is not None else str(uuid.uuid4()))
        return self._named[name]

    def token(self, m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "id":
            return self.id
        if name == "parent":
            return self.parent[-1] if self.parent else ""
        if name == "auth_id":
            return self.ctx.caller
        if name == "now":
            return self.now
        if name == "today":
            return self.now[:10]
        if name == "uuid":
            return str(uuid.uuid4())
        if name.startswith("uuid:"):
            return self.named_uuid(name[5:])
        source = self.params if name.startswith("param.") else self.object
        value = source.get(name.split(".", 1)[1])
        return "" if value is None else value if isinstance(value, str) else json.dumps(value)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            if value == "{object}":
                return dict(self.object)
            if value == "{objects}":
                return list(self.objects)
            if value == "{jwt}":
                return _jwt(self.ctx, self.params)
            return _TOKEN.sub(self.token, value) if "{" in value else value
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


def _jwt(ctx: Ctx, params: Mapping[str, Any]) -> str:
    """A token shaped like Plivo's access tokens (header.claims.signature), signed with nothing real."""
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()
    now = int(ctx.db.clock().timestamp())
    # plivo-python sends the permissions as per.voice.{incoming_allow, outgoing_allow}; flat names are accepted too.
    per = params.get("per")
    voice: Mapping[str, Any] = (per["voice"] if isinstance(per, dict) and isinstance(per.get("voice"), dict)
                                else params)
    claims = {"iss": params.get("iss") or ctx.caller, "sub": params.get("sub") or "", "nbf": params.get("nbf") or now,
              "exp": params.get("exp") or now + 86400, "app": params.get("app") or "",
              "per": {"voice": {"incoming_allow": voice.get("incoming_allow") in (True, "true"),
                                "outgoing_allow": voice.get("outgoing_allow", True) in (True, "true")}}}
    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256', 'cty': 'plivo;v=1', 'typ': 'JWT'})}.{part(claims)}.{signature}"


# ---- validation -------------------------------------------------------------------------------------------------

@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_int_text(v: str) -> bool:
    return re.fullmatch(r"\s*-?\d{1,15}\s*", v) is not None


def _coerce(name: str, kind: str, v: Any, items: str | None = None) -> Any:
    """A value as the catalog types it; form values arrive as text. Raises the API's 400 naming `name`."""
    if kind == "string":
        if isinstance(v, list) and len(v) == 1:  # plivo-python sends MPC start's status as ["active"]
            v = v[0]
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ApiError(400, f"{name} must be a string")
        return str(v)
    if kind == "integer":
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str) and _is_int_text(v):
            return int(v)
        raise ApiError(400, f"{name} must be an integer")
    if kind == "number":
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v
        if isinstance(v, str):
            try:
                return int(v) if _is_int_text(v) else float(v)
            except ValueError:
                pass
        raise ApiError(400, f"{name} must be a number")
    if kind == "boolean":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        raise ApiError(400, f"{name} must be true or false")
    if kind == "object":
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                raise ApiError(400, f"{name} must be a JSON object") from None
        if not isinstance(v, dict):
            raise ApiError(400, f"{name} must be an object")
        return v
    if kind == "array":
        if isinstance(v, str):
            text = v.strip()
            if text.startswith("["):
                try:
                    v = json.loads(text)
                except ValueError:
                    raise ApiError(400, f"{name} must be a JSON array") from None
            else:
                v = [s.strip() for s in text.split(",") if s.strip()]
        elif not isinstance(v, list):
            v = [v]
        return [_coerce(f"{name}[{i}]", items, e) for i, e in enumerate(v)] if items else v
    if kind == "file":
        if not isinstance(v, Upload):
            raise ApiError(400, f"{name} must be a file (a part of a multipart/form-data request)")
        return v
    return v


def _check(p: Param, v: Any) -> None:
    """Enum, bounds, length and pattern of one (coerced) value of parameter `p`."""
    values = v if isinstance(v, list) else [v]
    for one in values:
        if p.enum is not None and one not in p.enum and str(one) not in [str(e) for e in p.enum]:
            raise ApiError(400, f"{p.name} must be one of {', '.join(str(e) for e in p.enum)}")
        if isinstance(one, int | float) and not isinstance(one, bool):
            if p.minimum is not None and one < p.minimum:
                raise ApiError(400, f"{p.name} must be at least {p.minimum:g}")
            if p.maximum is not None and one > p.maximum:
                raise ApiError(400, f"{p.name} must be at most {p.maximum:g}")
        if isinstance(one, str):
            if p.max_length is not None and len(one) > p.max_length:
                raise ApiError(400, f"{p.name} must be at most {p.max_length} characters")
            if p.pattern is not None and not _compiled(p.pattern).search(one):
                raise ApiError(400, f"{p.name} is not in the expected format ({p.pattern})")


def validate(op: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
    """The declared (non-path) parameters of `op` that were given, converted to their types and checked."""
    out: dict[str, Any] = {}
    for p in op.params:
        if p.place == "path":
            continue
        v = params.get(p.name)
        if _empty(v):
            if p.required:
                raise ApiError(400, f"{p.name} parameter is missing")
            continue
        v = _coerce(p.name, p.type, v, p.items)
        _check(p, v)
        out[p.name] = v
    return out


# ---- the model --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    """One catalog operation as the simulation sees it."""

    op: Operation
    pattern: Pattern
    names: tuple[str, ...]  # its path parameters, in order
    chain: tuple[str, ...]  # the kind of each path parameter
    target: Target
    kind: str  # the kind it acts on (for a singleton: its own path)
    action: str | None = None  # "Mute", "Record/Pause", "Import"...


def classify(op: Operation, patterns: set[Pattern], lists: set[Pattern]) -> Shape:
    """Where `op` acts, given every path pattern there is and those that are listed (a collection is a path with
    items under it, or one that is listed)."""
    segs = pattern_of(op.path)
    positions = [i for i, s in enumerate(segs) if s is None]
    chain = tuple(kind_of(segs[:i]) for i in positions)
    names = _path_names(op.path)
    if segs and segs[-1] is None:
        return Shape(op, segs, names, chain, "item", chain[-1])
    if (*segs, None) in patterns or segs in lists:
        return Shape(op, segs, names, chain, "collection", kind_of(segs))
    last = positions[-1] if positions else -1
    for j in range(len(segs) - 1, last, -1):
        if j > 0 and ((*segs[:j], None) in patterns or segs[:j] in lists):
            return Shape(op, segs, names, chain, "collection_action", kind_of(segs[:j]), "/".join(
                s for s in segs[j:] if s is not None))
    if positions:
        return Shape(op, segs, names, chain, "action", chain[-1], "/".join(s for s in segs[last + 1:] if s))
    return Shape(op, segs, names, chain, "singleton", kind_of(segs))


class GenericRoute:
    """The handler of one (path pattern, method) that the simulation serves: picks the catalog operation (several
    can share a path, told apart by their fixed query, e.g. `?status=live`) and hands over."""

    def __init__(self, sim: Simulation, shapes: list[Shape]) -> None:
        self.sim = sim
        self.shapes = shapes

    def choose(self, params: Mapping[str, Any]) -> Shape:
        """The operation the request is: the one whose fixed query and body it carries (buying a number into a
        pool sends rent=true; adding one does not), then whose required parameters it gives, then that names most
        of them."""
        def fixed(s: Shape) -> dict[str, Any]:
            return {**s.op.fixed_query, **s.op.fixed_body}

        def score(s: Shape) -> tuple[int, bool, int]:
            return (len(fixed(s)), all(p.name in params for p in s.op.params if p.required),
                    sum(1 for p in s.op.params if p.name in params))
        fitting = [s for s in self.shapes if all(_comparable(params.get(k, "")) == _comparable(v)
                                                 for k, v in fixed(s).items())]
        if not fitting:
            wanted = " or ".join(", ".join(f"{k}={v}" for k, v in fixed(s).items()) for s in self.shapes)
            raise ApiError(400, f"this request must carry {wanted}")
        return max(fitting, key=score)

    def allows_async(self, params: Mapping[str, Any]) -> bool:
        """Whether `callback_url` means the API's asynchronous mode here: not when the operation declares it as
        its own parameter (a masking session's callback, a conference recording's)."""
        try:
            return self.choose(params).op.param("callback_url") is None
        except ApiError:
            return True

    def __call__(self, ctx: Ctx, *values: str) -> Result:
        return self.sim.serve(ctx, self.choose(ctx.params), values)


class Simulation:
    """The generic half of the sandbox's routing, computed from a catalog and the resource modules' own routes."""

    def __init__(self, cat: Catalog, real: Mapping[Pattern, Mapping[str, Handler]],
                 data: Mapping[str, Any] | None = None) -> None:
        self.data = dict(data if data is not None else bodies())
        self.kinds: dict[str, dict[str, Any]] = self.data.get("kinds", {})
        self.real = real
        api_ops = [op for op in cat.operations.values() if op.host == "api"]
        for op in api_ops:  # a catalog pattern that does not compile fails here, not on some later request
            for p in op.params:
                if p.pattern is not None:
                    try:
                        _compiled(p.pattern)
                    except re.error as exc:
                        raise ValueError(f"catalog entry {op.id!r}: parameter {p.name!r}: bad pattern: {exc}") from None
        patterns = {pattern_of(op.path) for op in api_ops} | set(real)
        lists = {pattern_of(op.path) for op in api_ops if op.is_list}
        self.shapes = [classify(op, patterns, lists) for op in api_ops]
        # A kind is the resource modules' when they answer GET on its items (Call/{id}/): its objects are theirs.
        self.real_kinds = {kind_of(p[:-1]) for p, h in real.items() if p and p[-1] is None and "GET" in h}
        # Of a real item, the query variants under which it "exists" for an action (a live call, a queued one).
        self.variants: dict[Pattern, list[dict[str, str]]] = {}
        for s in self.shapes:
            if s.target == "item" and s.op.method == "GET" and s.op.fixed_query:
                self.variants.setdefault(s.pattern, []).append(dict(s.op.fixed_query))
        served: dict[Pattern, dict[str, list[Shape]]] = {}
        for s in self.shapes:
            if s.op.method in real.get(s.pattern, {}):
                continue
            served.setdefault(s.pattern, {}).setdefault(s.op.method, []).append(s)
        self.routes: dict[Pattern, dict[str, Handler]] = {
            p: {m: GenericRoute(self, shapes) for m, shapes in by_method.items()} for p, by_method in served.items()}
        self.served_ops = {s.op.id for by in served.values() for shapes in by.values() for s in shapes}
        # Kinds whose objects are looked up (a 404 when absent), and those a caller can create directly: objects of
        # a kind nobody can create (a multi-party call) come into being when something is created under them.
        self.known = {self.canonical(s.kind) for s in self.shapes if s.target != "singleton"}
        self.creatable = {self.canonical(s.kind) for s in self.shapes
                          if (s.target == "collection" and s.op.method == "POST")
                          or (s.target == "collection_action" and self._action(s.kind, s.action, "POST")
                              .get("create"))}
        self.seeds = self._seeds()

    # ---- the data of a kind ----

    def canonical(self, kind: str) -> str:
        """The kind whose objects `kind` shares (`MultiPartyCall/{}/Member/` is the participants')."""
        same = self.kinds.get(kind, {}).get("same_as")
        return same if isinstance(same, str) else kind

    def spec(self, kind: str) -> dict[str, Any]:
        return self.kinds.get(self.canonical(kind), {})

    def _action(self, kind: str, action: str | None, method: str) -> dict[str, Any]:
        for k in (kind, self.canonical(kind)):
            entry = self.kinds.get(k, {}).get("actions", {}).get(action or "", {}).get(method)
            if entry is not None:
                return dict(entry)
        return {}

    def id_field(self, kind: str, shape: Shape | None = None) -> str | None:
        spec = self.spec(kind)
        if "id_field" in spec:
            value = spec["id_field"]
            return value if isinstance(value, str) else None
        # No data for this kind: its items' path parameter names the id field (brand_id, session_uuid...).
        for s in self.shapes:
            if s.target == "item" and self.canonical(s.kind) == self.canonical(kind) and s.names:
                return s.names[-1]
        return shape.names[-1] if shape is not None and shape.names else "id"

    def normal_id(self, kind: str, value: str) -> str:
        return value.lstrip("+") if self.spec(kind).get("strip_plus") else value

    def _seeds(self) -> dict[tuple[str, str], list[str]]:
        """(kind, parent) -> ids every account starts with: the examples of the catalog's path parameters."""
        seeds: dict[tuple[str, str], list[str]] = {}
        for s in self.shapes:
            examples: list[str] = []
            for name, kind in zip(s.names, s.chain, strict=True):
                param = s.op.param(name)
                example = None if param is None or param.example is None else str(param.example)
                if example is None or example == self.spec(kind).get("all_id"):
                    break
                kind = self.canonical(kind)
                example = self.normal_id(kind, example)
                if kind not in self.real_kinds:
                    ids = seeds.setdefault((kind, _SEP.join(examples)), [])
                    if example not in ids:
                        ids.append(example)
                examples.append(example)
        return seeds

    # ---- objects ----

    def _store(self, ctx: Ctx) -> GenericObjects:
        return ctx.db.storage(GenericObjects)

    def build(self, ctx: Ctx, kind: str, obj_id: str, parent: tuple[str, ...], fields: Mapping[str, Any],
              seed: bool = False) -> dict[str, Any]:
        """A new object of `kind`: its template with `fields` over it (twice, so the template may refer to
        `{object.x}` of the result)."""
        spec = self.spec(kind)
        template = spec.get("object") or {}
        overrides: dict[str, Any] = {}
        id_field = self.id_field(kind)
        for prefix, alias_field in (spec.get("aliases") or {}).items():
            if obj_id.startswith(prefix):
                overrides[alias_field] = obj_id[len(prefix):]
                id_field = None
        if id_field:
            overrides[id_field] = obj_id
        overrides.update(fields)
        render = Render(ctx, id=obj_id, parent=parent, now=_SEED_TIME if seed else _now_text(ctx),
                        seed_key=f"{kind}|{_SEP.join(parent)}|{obj_id}" if seed else None)
        first = {**render(template), **overrides}
        render.object = first
        return {**render(template), **overrides}

    def objects(self, ctx: Ctx, kind: str, parent: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
        """The caller's objects of one collection: created ones newest first, then the seeds still there."""
        kind = self.canonical(kind)
        key = _SEP.join(parent)
        rows = self._store(ctx).rows(ctx.caller, kind, key)
        stored = {r["id"]: r for r in rows}
        out = [(r["id"], json.loads(r["body"])) for r in rows if not r["seeded"] and r["body"] is not None]
        seed_ids = self.seeds.get((kind, key), [])
        for sid in seed_ids:
            r = stored.get(sid)
            if r is None:
                out.append((sid, self.build(ctx, kind, sid, parent, {}, seed=True)))
            elif r["body"] is not None:
                out.append((sid, json.loads(r["body"])))
        out.extend((r["id"], json.loads(r["body"])) for r in rows
                   if r["seeded"] and r["body"] is not None and r["id"] not in seed_ids)
        return out

    def find(self, ctx: Ctx, kind: str, parent: tuple[str, ...], raw_id: str) -> tuple[str, dict[str, Any]] | None:
        kind = self.canonical(kind)
        obj_id = self.normal_id(kind, raw_id)
        key = _SEP.join(parent)
        row = self._store(ctx).row(ctx.caller, kind, key, obj_id)
        if row is not None:
            return None if row["body"] is None else (obj_id, json.loads(row["body"]))
        if obj_id in self.seeds.get((kind, key), ()):
            return obj_id, self.build(ctx, kind, obj_id, parent, {}, seed=True)
        for prefix, alias_field in (self.spec(kind).get("aliases") or {}).items():
            if raw_id.startswith(prefix):
                value = raw_id[len(prefix):]
                return next(((i, o) for i, o in self.objects(ctx, kind, parent) if o.get(alias_field) == value), None)
        return None

    def is_seed(self, kind: str, parent: tuple[str, ...], obj_id: str) -> bool:
        return obj_id in self.seeds.get((self.canonical(kind), _SEP.join(parent)), ())

    def _real_exists(self, ctx: Ctx, pattern: Pattern, value: str) -> bool:
        get = self.real.get(pattern, {}).get("GET")
        if get is None:
            return True
        for query in self.variants.get(pattern) or [{}]:
            try:
                status, _ = get(Ctx(ctx.db, ctx.caller, ctx.caller_row, dict(query)), value)
            except (ApiError, StoreError):
                continue
            if status == 200:
                return True
        return False

    def resolve(self, ctx: Ctx, shape: Shape, values: Sequence[str], upto: int,
                create: list[tuple[str, tuple[str, ...], str]] | None = None) -> tuple[str, ...]:
        """The canonical ids of the first `upto` path parameters, each checked to exist (404 otherwise). With
        `create`, a missing one of a kind that cannot be created directly is noted there instead (it comes into
        being with what is created under it)."""
        ids: list[str] = []
        for i in range(upto):
            kind = self.canonical(shape.chain[i])
            value = values[i]
            if kind in self.real_kinds:
                if not self._real_exists(ctx, (*pattern_of(kind), None), value):
                    raise ApiError(404, f"{_noun(kind)} {value!r} not found")
                ids.append(value)
                continue
            if kind not in self.known:
                ids.append(self.normal_id(kind, value))
                continue
            found = self.find(ctx, kind, tuple(ids), value)
            if found is not None:
                ids.append(found[0])
            elif create is not None and kind not in self.creatable:
                obj_id = self.normal_id(kind, value)
                create.append((kind, tuple(ids), obj_id))
                ids.append(obj_id)
            else:
                raise ApiError(404, f"{_noun(kind)} {value!r} not found")
        return tuple(ids)

    # ---- serving ----

    def serve(self, ctx: Ctx, shape: Shape, values: Sequence[str]) -> Result:
        op = shape.op
        if any(_SEP in v for v in values):
            raise ApiError(404, "not found")
        if op.main_account_only and ctx.is_sub:
            raise ApiError(403, f"subaccount credentials cannot do this ({op.id}): it is for the main account")
        args = validate(op, ctx.params)
        kind, method = shape.kind, op.method
        if shape.target == "singleton":
            return self._singleton(ctx, shape, args)
        if self.canonical(kind) in self.real_kinds:
            return self._on_real(ctx, shape, values, args)
        if shape.target == "collection":
            if method == "GET":
                return self._list(ctx, shape, values, args)
            if method == "POST":
                return self._create(ctx, shape, values, args, self.spec(kind).get("create") or {})
            if method == "DELETE":
                return self._delete_all(ctx, shape, values)
        if shape.target == "collection_action":
            return self._collection_action(ctx, shape, values, args)
        if shape.target == "item":
            if method == "GET":
                return self._get(ctx, shape, values)
            if method in ("POST", "PATCH", "PUT"):
                return self._update(ctx, shape, values, args)
            if method == "DELETE":
                return self._delete(ctx, shape, values)
        if shape.target == "action":
            return self._item_action(ctx, shape, values, args)
        raise ApiError(405, "method not allowed")

    def _answer(self, ctx: Ctx, entry: Mapping[str, Any], status: int, body: Any, render: Render) -> Result:
        status = int(entry.get("status", status))
        if status == 204:
            return 204, None
        rendered = render(entry.get("body", body))
        if rendered is None:
            rendered = {}
        elif not isinstance(rendered, dict):
            rendered = {"result": rendered}
        return status, {"api_id": ctx.api_id, **{k: v for k, v in rendered.items() if k != "api_id"}}

    def _stored_fields(self, ctx: Ctx, shape: Shape, args: Mapping[str, Any],
                       merge: Iterable[str] = ()) -> dict[str, Any]:
        """What a create or an update keeps of the request: its declared parameters (never a secret), objects
        named in `merge` spread out (a compliance request's `data`), and a description of every uploaded file."""
        fields: dict[str, Any] = {}
        for name, v in args.items():
            if name in shape.op.fixed_query or name in shape.op.fixed_body or any(
                    w in name.lower() for w in _SECRET_WORDS):
                continue
            if name in merge and isinstance(v, dict):
                fields.update(v)
                continue
            if isinstance(v, Upload):
                v = v.describe()
            elif isinstance(v, list):
                v = [e.describe() if isinstance(e, Upload) else e for e in v]
            fields[name] = v
        for name in merge:
            raw = ctx.params.get(name)
            if name not in args and isinstance(raw, str):
                try:
                    decoded = json.loads(raw)
                except ValueError:
                    raise ApiError(400, f"{name} must be a JSON object") from None
                if isinstance(decoded, dict):
                    fields.update(decoded)
        others = [{"field": k, **u.describe()} for k, v in ctx.params.items() if k not in args for u in _uploads(v)]
        if others:
            fields["uploaded_files"] = others
        return fields

    def _render(self, ctx: Ctx, obj_id: str = "", parent: tuple[str, ...] = (), args: Mapping[str, Any] | None = None,
                obj: dict[str, Any] | None = None, objs: list[dict[str, Any]] | None = None) -> Render:
        params = {**{k: v for k, v in ctx.params.items() if not isinstance(v, Upload | list)}, **(args or {})}
        return Render(ctx, id=obj_id, parent=parent, params=params, object=obj or {}, objects=objs or [],
                      now=_now_text(ctx))

    def _room(self, c: sqlite3.Connection, ctx: Ctx, adding: int) -> None:
        if GenericObjects.count(c, ctx.caller) + adding > MAX_OBJECTS_PER_ACCOUNT:
            raise ApiError(400, f"sandbox limit: an account holds at most {MAX_OBJECTS_PER_ACCOUNT} objects of the "
                                "generic resources; delete some first")

    def _new_id(self, ctx: Ctx, shape: Shape, kind: str, parent: tuple[str, ...]) -> str:
        for _ in range(20):
            candidate = _generate_id(self.spec(kind).get("id_shape"), self._example_id(kind))
            if self.find(ctx, kind, parent, candidate) is None:
                return candidate
        raise ApiError(500, "could not allocate an id")

    def _example_id(self, kind: str) -> str | None:
        for (k, _), ids in self.seeds.items():
            if k == self.canonical(kind) and ids:
                return ids[0]
        return None

    def _write_missing(self, c: sqlite3.Connection, ctx: Ctx,
                       missing: list[tuple[str, tuple[str, ...], str]]) -> None:
        for kind, parent, obj_id in missing:
            GenericObjects.put(c, ctx.caller, kind, _SEP.join(parent), obj_id,
                               self.build(ctx, kind, obj_id, parent, {}), seeded=False)

    def _create(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any],
                entry: Mapping[str, Any]) -> Result:
        kind = self.canonical(shape.kind)
        missing: list[tuple[str, tuple[str, ...], str]] = []
        parent = self.resolve(ctx, shape, values, len(shape.names), missing)
        fields = self._stored_fields(ctx, shape, args, entry.get("merge", ()))
        made: list[tuple[str, dict[str, Any]]] = []
        if entry.get("each_upload"):
            files = [u for v in ctx.params.values() for u in _uploads(v)]
            if not files:
                name = next((p.name for p in shape.op.params if "file" in (p.type, p.items)), "file")
                raise ApiError(400, f"{name} parameter is missing")
            for upload in files:
                obj_id = self._new_id(ctx, shape, kind, parent)
                item = {k: v for k, v in fields.items() if k != "uploaded_files" and not _is_upload_record(v)}
                made.append((obj_id, self.build(ctx, kind, obj_id, parent, {**item, **upload.describe()})))
        elif entry.get("each"):
            name = entry["each"]
            elements = args.get(name)
            if not isinstance(elements, list) or not elements:
                raise ApiError(400, f"{name} parameter is missing")
            rest = {k: v for k, v in fields.items() if k != name}
            for element in elements:
                obj_id = self.normal_id(kind, str(element))
                made.append((obj_id, self.build(ctx, kind, obj_id, parent, rest)))
        else:
            id_from = entry.get("id_from") or self.spec(kind).get("id_from")
            if id_from:
                given = args.get(id_from, ctx.params.get(id_from))
                if given in (None, ""):
                    raise ApiError(400, f"{id_from} parameter is missing")
                obj_id = self.normal_id(kind, str(given))
            else:
                obj_id = self._new_id(ctx, shape, kind, parent)
            made.append((obj_id, self.build(ctx, kind, obj_id, parent, fields)))
        with ctx.db.tx() as c:
            self._room(c, ctx, len(made) + len(missing))
            self._write_missing(c, ctx, missing)
            for obj_id, obj in made:
                GenericObjects.put(c, ctx.caller, kind, _SEP.join(parent), obj_id, obj,
                                   seeded=self.is_seed(kind, parent, obj_id))
        item_extra = entry.get("item") or {}
        objs = [{**obj, **item_extra} for _, obj in made]
        id_field = self.id_field(kind, shape) or "id"
        render = self._render(ctx, made[0][0], parent, args, made[0][1], objs)
        return self._answer(ctx, entry, 201, {"message": "created", id_field: "{id}"}, render)

    def _list(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any]) -> Result:
        kind = self.canonical(shape.kind)
        parent = self.resolve(ctx, shape, values, len(shape.names))
        objs = [o for _, o in self.objects(ctx, kind, parent)]
        filters = [n for n in args if n not in _PAGING and "__" not in n and n not in shape.op.fixed_query]
        for name in filters:
            wanted = _comparable(args[name])
            objs = [o for o in objs if name not in o or _comparable(o[name]) == wanted]
        spec = self.spec(shape.kind).get("list") or {}
        if spec.get("ids_only"):
            ids = [o.get(self.id_field(kind) or "id") for o in objs]
            return 200, {"api_id": ctx.api_id, spec.get("key", "objects"): ids}
        resource = "/".join(v if s is None else s for s, v in _zip_values(shape.pattern, values))
        status, body = page(ctx, resource, objs, lambda o: o, tuple(filters))
        assert body is not None
        key = spec.get("key", "objects")
        if key != "objects":
            body[key] = body.pop("objects")
        extra = self._render(ctx, parent=parent, args=args)(spec.get("extra") or {})
        if spec.get("wrap"):
            return status, {"api_id": body.pop("api_id"), spec["wrap"]: body, **extra}
        return status, {**body, **extra}

    def _get(self, ctx: Ctx, shape: Shape, values: Sequence[str]) -> Result:
        kind = self.canonical(shape.kind)
        parent = self.resolve(ctx, shape, values, len(shape.names) - 1)
        found = self.find(ctx, kind, parent, values[-1])
        if found is None:
            raise ApiError(404, f"{_noun(kind)} {values[-1]!r} not found")
        obj_id, obj = found
        for name, embed in (self.spec(kind).get("embed") or {}).items():
            children = [o for _, o in self.objects(ctx, embed["kind"], (*parent, obj_id))]
            obj[name] = children
            if embed.get("count"):
                obj[embed["count"]] = str(len(children))
        wrap = (self.spec(kind).get("get") or {}).get("wrap")
        return 200, {"api_id": ctx.api_id, **({wrap: obj} if wrap else obj)}

    def _update(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any]) -> Result:
        kind = self.canonical(shape.kind)
        entry = self.spec(kind).get("update") or {}
        missing: list[tuple[str, tuple[str, ...], str]] = []
        creatable = kind in self.creatable
        parent = self.resolve(ctx, shape, values, len(shape.names) - 1, None if creatable else missing)
        fields = {} if entry.get("store") is False else self._stored_fields(ctx, shape, args, entry.get("merge", ()))
        fields.update(entry.get("set") or {})
        found = self.find(ctx, kind, parent, values[-1])
        if found is None:
            if creatable:
                raise ApiError(404, f"{_noun(kind)} {values[-1]!r} not found")
            # Nothing creates these but this path (a number added to a pool, a transcription ordered for a
            # recording, a multi-party call started by name): the update makes it.
            obj_id = self.normal_id(kind, values[-1])
            obj = self.build(ctx, kind, obj_id, parent, fields)
        else:
            obj_id, obj = found
            obj = {**obj, **fields}
        with ctx.db.tx() as c:
            self._room(c, ctx, 1 + len(missing))
            self._write_missing(c, ctx, missing)
            GenericObjects.put(c, ctx.caller, kind, _SEP.join(parent), obj_id, obj,
                               seeded=self.is_seed(kind, parent, obj_id))
        return self._answer(ctx, entry, 202, {"message": "changed"}, self._render(ctx, obj_id, parent, args, obj))

    def _targets(self, ctx: Ctx, shape: Shape, values: Sequence[str]) -> tuple[tuple[str, ...],
                                                                                   list[tuple[str, dict[str, Any]]]]:
        """The parent ids and the object(s) the last path parameter names (`all` names every one, where the data
        allows it)."""
        kind = self.canonical(shape.kind)
        parent = self.resolve(ctx, shape, values, len(shape.names) - 1)
        if values[-1] == self.spec(shape.kind).get("all_id"):
            return parent, self.objects(ctx, kind, parent)
        found = self.find(ctx, kind, parent, values[-1])
        if found is None:
            raise ApiError(404, f"{_noun(kind)} {values[-1]!r} not found")
        return parent, [found]

    def _delete(self, ctx: Ctx, shape: Shape, values: Sequence[str]) -> Result:
        kind = self.canonical(shape.kind)
        parent, targets = self._targets(ctx, shape, values)
        self._remove(ctx, kind, parent, [i for i, _ in targets])
        obj = targets[0][1] if targets else {}
        entry = self.spec(kind).get("delete") or {}
        return self._answer(ctx, entry, 204, None, self._render(ctx, values[-1], parent, obj=obj))

    def _remove(self, ctx: Ctx, kind: str, parent: tuple[str, ...], ids: Iterable[str]) -> None:
        with ctx.db.tx() as c:
            for obj_id in ids:
                GenericObjects.remove(c, ctx.caller, kind, _SEP.join(parent), obj_id,
                                      tombstone=self.is_seed(kind, parent, obj_id))

    def _delete_all(self, ctx: Ctx, shape: Shape, values: Sequence[str]) -> Result:
        kind = self.canonical(shape.kind)
        parent = self.resolve(ctx, shape, values, len(shape.names))
        self._remove(ctx, kind, parent, [i for i, _ in self.objects(ctx, kind, parent)])
        entry = self.spec(kind).get("delete_all") or {}
        return self._answer(ctx, entry, 204, None, self._render(ctx, parent=parent))

    def _item_action(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any]) -> Result:
        kind = self.canonical(shape.kind)
        entry = self._action(shape.kind, shape.action, shape.op.method)
        parent, targets = self._targets(ctx, shape, values)
        if entry.get("remove"):
            self._remove(ctx, kind, parent, [i for i, _ in targets])
        elif entry.get("set"):
            with ctx.db.tx() as c:
                for obj_id, obj in targets:
                    obj.update(entry["set"])
                    GenericObjects.put(c, ctx.caller, kind, _SEP.join(parent), obj_id, obj,
                                       seeded=self.is_seed(kind, parent, obj_id))
        obj = targets[0][1] if targets else {}
        render = self._render(ctx, values[-1], parent, args, obj)
        return self._answer(ctx, entry, *_action_default(shape, obj), render)

    def _collection_action(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any]) -> Result:
        entry = self._action(shape.kind, shape.action, shape.op.method)
        if entry.get("create"):
            return self._create(ctx, shape, values, args, entry)
        parent = self.resolve(ctx, shape, values, len(shape.names))
        return self._answer(ctx, entry, *_action_default(shape, {}), self._render(ctx, parent=parent, args=args))

    def _on_real(self, ctx: Ctx, shape: Shape, values: Sequence[str], args: Mapping[str, Any]) -> Result:
        """An operation on the resource modules' objects that they do not implement (play into a live call): the
        object must exist there (for a call: be live, when the catalog says how to ask), and the answer is the
        data's; nothing is stored."""
        if shape.target in ("item", "action"):
            self.resolve(ctx, shape, values, len(shape.names))
        render = self._render(ctx, values[-1] if values else "", args=args)
        if shape.target == "action":
            return self._answer(ctx, self._action(shape.kind, shape.action, shape.op.method),
                                *_action_default(shape, {}), render)
        write = "update" if shape.op.method in ("POST", "PATCH", "PUT") else "delete"
        if shape.target == "collection":
            write = "create" if shape.op.method == "POST" else "delete_all"
        entry = self.spec(shape.kind).get(write) if shape.op.method != "GET" else None
        default: tuple[int, Any] = {"GET": (200, {}), "DELETE": (204, None)}.get(shape.op.method,
                                                                                  (202, {"message": "changed"}))
        return self._answer(ctx, entry or {}, *default, render)

    def _singleton(self, ctx: Ctx, shape: Shape, args: Mapping[str, Any]) -> Result:
        entry = (self.data.get("paths", {}).get(shape.kind) or {}).get(shape.op.method) or {}
        default = (200, {}) if shape.op.method == "GET" else (202, {"message": "accepted"})
        return self._answer(ctx, entry, *default, self._render(ctx, args=args))


def _action_default(shape: Shape, obj: dict[str, Any]) -> tuple[int, Any]:
    if shape.op.method == "GET":
        return 200, obj
    if shape.op.method == "DELETE":
        return 204, None
    return 202, {"message": f"{shape.action} accepted"}


def _is_upload_record(v: Any) -> bool:
    return (isinstance(v, dict) and set(v) == {"file_name", "size", "content_type"}) or (
        isinstance(v, list) and bool(v) and all(_is_upload_record(e) for e in v))


def _zip_values(pattern: Pattern, values: Sequence[str]) -> list[tuple[str | None, str]]:
    it = iter(values)
    return [(s, next(it) if s is None else s) for s in pattern]


def _comparable(v: Any) -> str:
    if isinstance(v, list) and len(v) == 1:  # plivo-python sends MPC start's status as ["active"]
        v = v[0]
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).lower()


_ALNUM = string.ascii_uppercase + string.digits


def _generate_id(shape: Any, example: str | None) -> str:
    """A new id in the resource's shape: the data's `id_shape` ("uuid", "digits:14", "alnum:B:7", "name"), else
    the shape of the catalog's example id."""
    if isinstance(shape, str):
        kind, _, rest = shape.partition(":")
        if kind == "digits":
            digits = int(rest or 14)
            return secrets.choice("123456789") + "".join(secrets.choice(string.digits) for _ in range(digits - 1))
        if kind == "alnum":
            prefix, _, length = rest.partition(":")
            return prefix + "".join(secrets.choice(_ALNUM) for _ in range(int(length or 7) - len(prefix)))
        if kind == "name":
            return f"conf-{secrets.token_hex(4)}"
        return str(uuid.uuid4())
    if example and example.isdigit():
        return _generate_id(f"digits:{len(example)}", None)
    if example and re.fullmatch(r"[A-Z][A-Z0-9]{4,15}", example):
        return _generate_id(f"alnum:{example[0]}:{len(example)}", None)
    return str(uuid.uuid4())
