"""The official SDK as the oracle for the catalog: each entry's plivo-python method is called against a recording
server on loopback, and what it sent must be what the catalog says: the HTTP method, the path (the template with
the examples filled in), the always-sent query or body, and the parameter names, each in its place.

Every method is called with every catalog parameter it accepts (required and optional, the catalog's examples as
values), so a misspelt optional name fails as surely as a wrong path. A catalog parameter the SDK cannot send at
all must be listed in API_ONLY with where the API documents it; a name the SDK sends that the catalog does not
know fails unless SDK_ECHOES lists it (the SDK repeating an id, or its own bookkeeping). The catalog describes the
API: where plivo-python sends a different value shape (a list for a string, "true" for true), only names are
compared, and the tables below say so.

The server answers 200 with a plausible JSON body so the SDK does not crash; a crash after the request was
recorded does not matter (it parses some answers into shapes of its own).
"""

from __future__ import annotations

import base64
import inspect
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from plivo_mcp.catalog import Operation, Param, catalog

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
NUMBER_POOL_ID = "659c7f88-c819-46e2-8af4-2d8a84249099"

# Catalog parameters plivo-python's method cannot send, and where the API documents them.
API_ONLY: dict[str, dict[str, str]] = {
    "account.update": {"state": "api-reference-latest.txt, 'Update the account details'",
                       "timezone": "api-reference-latest.txt, 'Update the account details'"},
    "call.list": {**{f"bill_duration__{s}": "WIRE-FACTS-COMMS.md Call list filters (go and node send them)"
                     for s in ("gt", "gte", "lt", "lte")},
                  "stir_verification": "WIRE-FACTS-COMMS.md Call list filters"},
}

# Names the SDK sends that are not catalog parameters, and why that is harmless.
SDK_ECHOES: dict[str, dict[str, str]] = {
    # to_param_dict(locals()) repeats the identifiers it took as arguments.
    "multi_party_call": {"uuid": "the MPC id, also in the path", "friendly_name": "the MPC id, also in the path"},
    "subaccount": {"auth_id": "the subaccount id, also in the path"},
    # The file's local path goes out as a form field next to the file itself.
    "address": {"file_to_upload": "the local path of the uploaded file"},
    "identity": {"file_to_upload": "the local path of the uploaded file"},
}

# Where the catalog's value and plivo-python's differ in shape (the catalog says what the API takes): only the
# names are compared for these fixed-body fields.
FIXED_VALUE_QUIRKS = {("multi_party_call.start", "status"): "plivo-python sends ['active'], the API takes 'active'"}

# Python argument names that are not the wire name (nor the wire name plus "_": from_, to_, type_).
PY_NAMES: dict[tuple[str, str], str] = {
    ("subaccount.get", "subaccount_id"): "auth_id",
    ("subaccount.update", "subaccount_id"): "auth_id",
    ("subaccount.delete", "subaccount_id"): "auth_id",
    ("powerpack.get", "powerpack_uuid"): "uuid",
    ("call.get_live", "call_uuid"): "_id",
    ("call.get_queued", "call_uuid"): "_id",
    ("compliance_document_type.get", "document_type_id"): "doc_id",
    ("powerpack.add_tollfree", "tollfree"): "number",
    ("lookup.get", "type"): "info_type",
    ("media.upload", "file"): "media_file",
    ("address.create", "file"): "file_to_upload",
    ("address.update", "file"): "file_to_upload",
    ("identity.create", "file"): "file_to_upload",
    ("identity.update", "file"): "file_to_upload",
}


@dataclass
class Call:
    """One way of calling an entry's SDK method: parameters left out (mutually exclusive ones) and values
    replaced (a WhatsApp-only parameter needs type=whatsapp)."""

    omit: frozenset[str] = frozenset()
    values: dict[str, Any] = field(default_factory=dict)


_SMS_ONLY = frozenset({"template", "interactive", "location"})
# Entries whose parameters cannot all go in one call.
CALLS: dict[str, list[Call]] = {
    "message.create": [Call(omit=_SMS_ONLY | {"powerpack_uuid"}),  # src and dst
                       Call(omit=_SMS_ONLY | {"src"}),  # from a powerpack's pool instead of src
                       Call(omit=frozenset({"powerpack_uuid"}), values={"type": "whatsapp"})],  # WhatsApp objects
    "multi_party_call.add_participant": [Call(omit=frozenset({"call_uuid"})),  # dial from/to
                                         Call(omit=frozenset({"from", "to"}))],  # or move a live call in
}


def _sample(param: Param) -> Any:
    """A value for a parameter: its example, else one its constraints allow."""
    if param.example is not None:
        return param.example
    if param.enum:
        return param.enum[0]
    if param.default is not None:
        return param.default
    samples: dict[str, Any] = {"string": "sample", "integer": int(param.minimum or 1), "number": 1.0,
                               "boolean": True, "array": [{}] if param.items == "object" else ["sample"],
                               "object": {}}
    return samples[param.type]


# ---- the recording server ---------------------------------------------------------------------------------------

@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any = None  # JSON, decoded
    form: dict[str, str] = field(default_factory=dict)  # urlencoded or multipart fields
    files: list[str] = field(default_factory=list)  # multipart file part names

    def sent_names(self) -> set[str]:
        if self.method == "GET":
            return set(self.query)
        if isinstance(self.body, dict):
            return set(self.body)
        # documents[0].file, documents[1].file: one array parameter on the wire as indexed parts
        return {re.sub(r"\[\d+\]\.file$", "", name) for name in (*self.form, *self.files)}


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection for the whole module
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK wait between
    records: list[Recorded]

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        content_type = self.headers.get("Content-Type") or ""
        rec = Recorded(self.command, unquote(url.path), parse_qs(url.query, keep_blank_values=True), content_type)
        if raw and content_type.startswith("application/json"):
            rec.body = json.loads(raw)
        elif raw and content_type.startswith("application/x-www-form-urlencoded"):
            rec.form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        elif content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
                                                          + raw)
            for part in message.iter_parts():
                name = str(part.get_param("name", header="content-disposition"))
                if part.get_filename() is not None:
                    rec.files.append(name)
                else:
                    rec.form[name] = part.get_content()
        self.records.append(rec)
        answer = json.dumps({
            "api_id": "0b8a783c-9906-4c84-8ace-cb88413a1da6", "message": "recorded", "objects": [],
            "meta": {"limit": 20, "offset": 0, "next": None, "previous": None, "total_count": 0},
            "number_pool": f"/v1/Account/{AUTH_ID}/NumberPool/{NUMBER_POOL_ID}/",
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet: a test's output is its assertions
        pass


@dataclass
class Oracle:
    client: Any
    records: list[Recorded]
    files_dir: Path


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    import plivo
    import plivo.resources.lookup as lookup_module
    import plivo.rest.client as rc

    records: list[Recorded] = []
    handler = type("Handler", (_Recorder,), {"records": records})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with pytest.MonkeyPatch.context() as mp:
        # As tests/conftest.py's plivo_for does: the SDK has no base-URL option, only these module constants.
        for name in ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
                     "API_VOICE_BASE_URI_FALLBACK_2"):
            mp.setattr(rc, name, f"{base}/v1/Account")
        mp.setattr(lookup_module, "LOOKUP_API_ENDPOINT", f"{base}/v1/Number")
        client = plivo.RestClient(AUTH_ID, "sample-token")
        yield Oracle(client, records, tmp_path_factory.mktemp("uploads"))
        client.session.close()
        client.multipart_session.close()
    server.shutdown()
    server.server_close()


# ---- calling an entry's SDK method --------------------------------------------------------------------------------

def _local_file(oracle: Oracle, upload: dict[str, Any]) -> str:
    """plivo-python uploads from a local path: the catalog's {filename, content_base64} written to one."""
    path = oracle.files_dir / upload["filename"]
    path.write_bytes(base64.b64decode(upload["content_base64"]))
    return str(path)


def _python_value(oracle: Oracle, op: Operation, param: Param, value: Any) -> Any:
    if param.type == "file":
        return _local_file(oracle, value)
    if param.items == "file":
        return [_local_file(oracle, item) for item in value]
    if op.id == "message.create":
        from plivo.utils.interactive import Interactive
        from plivo.utils.location import Location
        from plivo.utils.template import Template

        if param.name == "log":  # plivo-python takes only the strings "true"/"false"
            return str(value).lower()
        if param.name in ("template", "interactive", "location"):
            return {"template": Template, "interactive": Interactive, "location": Location}[param.name](**value)
    return value


def _python_name(op: Operation, param: Param, signature: inspect.Signature) -> str | None:
    for name in (PY_NAMES.get((op.id, param.name)), param.name, param.name + "_"):
        if name and name in signature.parameters:
            return name
    return None


def _mpc_kwargs(value: str) -> dict[str, str]:
    kind, _, rest = value.partition("_")
    return {"uuid": rest} if kind == "uuid" else {"friendly_name": rest}


def _target(oracle: Oracle, op: Operation, given: dict[str, Any]) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The SDK callable for an entry and the catalog arguments it takes as keywords (the rest of `given` goes into
    the object it is called on). The odd shapes, and why:"""
    from plivo.resources.messages import Message
    from plivo.resources.numberpools import NumberPool
    from plivo.resources.powerpacks import Powerpack

    client = oracle.client
    assert op.sdk is not None
    owner, _, method = op.sdk.rpartition(".")
    rest = dict(given)
    if owner == "Message":  # listMedia is a method of a Message object, not of client.messages
        return getattr(Message(client, {"message_uuid": rest.pop("message_uuid")}), method), rest
    if owner == "Powerpack":  # update and delete are methods of a Powerpack object; update takes one params dict
        pp = Powerpack(client, {"uuid": rest.pop("powerpack_uuid")})
        if method == "update":
            return lambda **kw: pp.update(params=kw), rest
        return getattr(pp, method), rest
    if owner.startswith("numberpool."):  # a pool's numbers, shortcodes and tollfree sub-objects, built from its id
        pool = NumberPool(client, {"number_pool_id": rest.pop("number_pool_id")})
        return getattr(getattr(pool, owner.split(".")[1]), method), rest
    if op.id == "profile.update":  # profile.update(profile_uuid, params): every field in one dict
        uuid = rest.pop("profile_uuid")
        return lambda **kw: client.profile.update(uuid, params=kw), rest
    if op.id == "token.create":  # the API's per.voice.* permissions are two flat keywords in plivo-python
        per = rest.pop("per")["voice"]
        return lambda **kw: client.token.create(**kw, **per), rest
    function = getattr(getattr(client, owner), method)
    if "mpc_id" in rest:  # "uuid_<uuid>" / "name_<name>" in the path; plivo-python builds it from uuid=/friendly_name=
        mpc = rest.pop("mpc_id")
        return lambda **kw: function(**_mpc_kwargs(mpc), **kw), rest
    return function, rest


def _signature(function: Callable[..., Any], op: Operation) -> inspect.Signature:
    """The parameters the SDK takes; for the lambdas above, those of the method they stand for."""
    if op.id == "profile.update" or op.sdk == "Powerpack.update":
        return inspect.Signature([inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY)
                                  for p in op.params if p.place != "path"])
    if op.id == "token.create":
        import plivo.resources.token as token_module

        return inspect.signature(token_module.Token.create)
    if op.sdk and op.sdk.startswith("multi_party_calls."):
        from plivo.resources.multipartycall import MultiPartyCalls

        return inspect.signature(getattr(MultiPartyCalls, op.sdk.split(".")[1]))
    return inspect.signature(function)


@dataclass
class Outcome:
    request: Recorded | None
    given: dict[str, Any]  # wire name -> value, the catalog parameters passed (path ones included)
    error: str | None = None


def call_sdk(oracle: Oracle, op: Operation, how: Call) -> Outcome:
    values = {p.name: how.values.get(p.name, _sample(p)) for p in op.params if p.name not in how.omit}
    given = {name: _python_value(oracle, op, op.param(name), value)  # type: ignore[arg-type]
             for name, value in values.items()}
    function, keywords = _target(oracle, op, given)
    signature = _signature(function, op)
    kwargs: dict[str, Any] = {}
    for name, value in keywords.items():
        param = op.param(name)
        assert param is not None
        if op.id == "token.create" and name == "per":
            continue
        py_name = _python_name(op, param, signature)
        if py_name is None:
            assert name in API_ONLY.get(op.id, {}), (
                f"{op.id}: the catalog declares {name!r}, which plivo-python's {op.sdk} does not take (not in "
                f"API_ONLY either)")
            del given[name]
            continue
        kwargs[py_name] = value
    oracle.records.clear()
    error = None
    try:
        function(**kwargs)
    except Exception as exc:  # a crash parsing the answer is fine once the request went out
        error = f"{type(exc).__name__}: {exc}"
    request = oracle.records[-1] if oracle.records else None
    return Outcome(request, {k: values[k] for k in given}, error)


# ---- checking what was sent --------------------------------------------------------------------------------------

def expected_path(op: Operation, values: dict[str, Any]) -> str:
    path = re.sub(r"\{([a-z_0-9]+)\}", lambda m: str(values[m.group(1)]), op.path)
    return f"/v1/{path}" if op.host == "lookup" else f"/v1/Account/{AUTH_ID}/{path}"


def differences(op: Operation, outcome: Outcome) -> list[str]:
    sent = outcome.request
    if sent is None:
        return [f"no request was sent ({outcome.error})"]
    out = []
    if sent.method != op.method:
        out.append(f"HTTP method: SDK {sent.method}, catalog {op.method}")
    path = expected_path(op, outcome.given)
    if sent.path != path:
        out.append(f"path: SDK {sent.path}, catalog {path}")
    for key, value in op.fixed_query.items():
        if sent.query.get(key) != [value]:
            out.append(f"fixed query {key}={value}: SDK sent {sent.query.get(key)}")
    names = sent.sent_names()
    for key, value in op.fixed_body.items():
        if key not in names:
            out.append(f"fixed body {key}: not sent by the SDK")
        elif isinstance(sent.body, dict) and sent.body[key] != value and (op.id, key) not in FIXED_VALUE_QUIRKS:
            out.append(f"fixed body {key}: SDK sent {sent.body[key]!r}, catalog {value!r}")
    names -= set(op.fixed_query) | set(op.fixed_body)
    declared = {p.name for p in op.params}
    echoes = set(SDK_ECHOES.get(op.resource, {}))
    unknown = names - declared - echoes
    if unknown:
        out.append(f"SDK sent {sorted(unknown)}, which the catalog does not declare")
    given = {name for name in outcome.given if op.param(name).place != "path"}  # type: ignore[union-attr]
    missing = given - names
    if missing:
        out.append(f"catalog parameters {sorted(missing)} were given but the SDK did not send them by that name")
    place = "query" if sent.method == "GET" else "body"
    misplaced = sorted(n for n in names & declared if op.param(n).place not in (place, "path"))  # type: ignore
    if misplaced:
        out.append(f"{misplaced}: the SDK sends them in the {place}, the catalog says otherwise")
    multipart = sent.content_type.startswith("multipart/form-data")
    if op.method != "GET" and multipart != op.multipart:
        out.append(f"multipart: SDK {multipart}, catalog {op.multipart}")
    return out


ENTRIES = [op for op in catalog().operations.values() if op.sdk]


@pytest.mark.parametrize("op", ENTRIES, ids=[op.id for op in ENTRIES])
def test_the_sdk_sends_what_the_catalog_says(oracle: Oracle, op: Operation) -> None:
    given_somewhere: set[str] = set()
    problems = []
    for how in CALLS.get(op.id, [Call()]):
        outcome = call_sdk(oracle, op, how)
        given_somewhere |= set(outcome.given)
        problems += [f"{op.id} ({op.sdk}): {d}" for d in differences(op, outcome)]
    assert not problems, "\n".join(problems)
    unexercised = {p.name for p in op.params} - given_somewhere - set(API_ONLY.get(op.id, {}))
    assert not unexercised, f"{op.id}: parameters no call covered: {sorted(unexercised)}"


def test_every_entry_names_its_sdk_method() -> None:
    assert len(ENTRIES) == len(catalog().operations)


def test_the_oracle_catches_a_wrong_name(oracle: Oracle) -> None:
    """A catalog entry the SDK disagrees with fails: an optional parameter renamed, and a path changed."""
    import dataclasses

    play = catalog().get("call.play")
    assert play is not None
    renamed = dataclasses.replace(play, params=tuple(
        dataclasses.replace(p, name="loops") if p.name == "loop" else p for p in play.params))
    with pytest.raises(AssertionError, match="does not take"):
        call_sdk(oracle, renamed, Call())
    moved = dataclasses.replace(play, path="Call/{call_uuid}/Playback/")
    assert any(d.startswith("path:") for d in differences(moved, call_sdk(oracle, moved, Call())))
    make_call = catalog().get("call.create")
    assert make_call is not None  # plivo-python always sends ring_method: a catalog without it is incomplete
    short = dataclasses.replace(make_call, params=tuple(p for p in make_call.params if p.name != "ring_method"))
    assert any("['ring_method']" in d for d in differences(short, call_sdk(oracle, short, Call())))
