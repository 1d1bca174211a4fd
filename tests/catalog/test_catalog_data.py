"""The catalog's data (plivo_mcp/catalog/operations.json) against the list of operations it must cover
(../shared/plivo-api/OPERATIONS.md, parsed here table by table) and against itself: ids, classes, examples,
tools. What plivo-python actually sends for each entry is tests/catalog/test_sdk_oracle.py's job."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from plivo_mcp.catalog import Catalog, Operation, Param, catalog
from tests.conftest import FIXTURES_DIR

OPERATIONS_MD = Path(FIXTURES_DIR).parent / "OPERATIONS.md"

# OPERATIONS.md section title (up to " (" or ";") -> the catalog resource(s) its rows belong to.
SECTION_RESOURCES: dict[str, set[str]] = {
    "Account": {"account"}, "Subaccount": {"subaccount"}, "Application": {"application"},
    "Endpoint": {"endpoint"}, "Pricing": {"pricing"}, "Number / PhoneNumber": {"number", "phone_number"},
    "Message": {"message"}, "Media": {"media"}, "Lookup": {"lookup"}, "Call": {"call"},
    "Conference": {"conference"}, "MultiPartyCall": {"multi_party_call"}, "Recording": {"recording"},
    "Transcription": {"transcription"}, "Number masking session": {"masking_session"},
    "Verified caller ID": {"verified_caller_id"}, "Access token": {"token"}, "Verify OTP session": {"verify_session"},
    "Powerpack": {"powerpack"}, "10DLC brand": {"brand"}, "10DLC campaign": {"campaign"},
    "10DLC profile": {"profile"}, "Toll-free verification": {"tollfree_verification"}, "Address": {"address"},
    "Identity": {"identity"}, "End user": {"end_user"}, "Compliance document type": {"compliance_document_type"},
    "Compliance document": {"compliance_document"}, "Compliance requirement": {"compliance_requirement"},
    "Compliance application": {"compliance_application"}, "Phone-number compliance": {"phone_number_compliance"},
}
OUT_OF_SCOPE_HOSTS = ("S:", "P:")  # stats (call feedback) and PHLO: the issue names api.plivo.com and Lookup only
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Row:
    section: str
    methods: str  # the "SDK method" cell, aliases and all ("update = transfer")
    http: str
    host: str  # "api" or "lookup"
    path: str  # placeholders normalised to "{}"
    query: dict[str, str]  # from the path cell ("?status=live")
    op_class: str

    @property
    def names(self) -> set[str]:
        """The method names the row gives, last dotted part each: "numberpool.numbers.list/.count" ->
        {"list", "count"}."""
        out: set[str] = set()
        for alias in self.methods.split("="):
            alias = re.sub(r"\(.*?\)", "", alias).strip()
            for piece in alias.split("/"):
                if piece.strip():
                    out.add(piece.strip().rsplit(".", 1)[-1])
        return out

    def __str__(self) -> str:
        return f"{self.section}: {self.methods} ({self.http} {self.path or '(account root)'})"


def _normal(path: str) -> str:
    return _PLACEHOLDER.sub("{}", path)


def parse_operations_md(text: str) -> list[Row]:
    """Every in-scope row of OPERATIONS.md's tables (S: and P: rows, and sections without a table, skipped)."""
    rows: list[Row] = []
    section = ""
    for line in text.splitlines():
        if line.startswith("### "):
            section = re.split(r" \(|;", line[4:], maxsplit=1)[0].strip()
            continue
        if not line.startswith("| ") or line.startswith("| SDK method") or line.startswith("|---"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        methods, http, path_cell, op_class = cells[0], cells[1], cells[2], cells[-1]
        if path_cell.startswith(OUT_OF_SCOPE_HOSTS):
            continue
        host = "lookup" if path_cell.startswith("L:") else "api"
        quoted = re.search(r"`([^`]*)`", path_cell)
        raw = quoted.group(1) if quoted else ""  # "(account root)": the base itself
        path, _, query = raw.partition("?")
        rows.append(Row(section=section, methods=methods, http=http, host=host, path=_normal(path),
                        query=dict(kv.partition("=")[::2] for kv in query.split("&") if kv),
                        op_class=op_class.split()[0]))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    if not OPERATIONS_MD.exists():
        pytest.skip(f"OPERATIONS.md not found at {OPERATIONS_MD} (expected ../shared/plivo-api/OPERATIONS.md)")
    return parse_operations_md(OPERATIONS_MD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return catalog()


def _row_fixed_query(row: Row, op: Operation) -> dict[str, str]:
    """The row's query items the operation always sends: those that are not a parameter of it (`?type=carrier` is
    the lookup's `type` parameter's default; `?status=live` is fixed)."""
    return {k: v for k, v in row.query.items() if v and op.param(k) is None}


def matches(row: Row, op: Operation) -> bool:
    return (op.method == row.http and op.host == row.host and _normal(op.path) == row.path
            and op.fixed_query == _row_fixed_query(row, op))


def entries_for(row: Row, cat: Catalog) -> list[Operation]:
    found = [op for op in cat.operations.values() if matches(row, op)]
    if len(found) > 1:  # one method and path, told apart on the wire by a fixed body (add vs buy_add a number)
        found = [op for op in found if op.sdk and op.sdk.rsplit(".", 1)[-1] in row.names]
    return found


def test_the_table_parser_reads_every_section(rows: list[Row]) -> None:
    assert {r.section for r in rows} == set(SECTION_RESOURCES)
    assert len(rows) >= 180  # a parser that silently skipped tables would fall far short


def test_every_row_has_exactly_one_entry(rows: list[Row], cat: Catalog) -> None:
    problems = [f"{row}: {len(found)} entries {[op.id for op in found]}"
                for row in rows if len(found := entries_for(row, cat)) != 1]
    assert not problems, "\n".join(problems)


def test_every_entry_comes_from_one_row(rows: list[Row], cat: Catalog) -> None:
    covered = [op.id for row in rows for op in entries_for(row, cat)]
    assert sorted(covered) == sorted(cat.operations), set(cat.operations) ^ set(covered)


def test_entries_agree_with_their_row(rows: list[Row], cat: Catalog) -> None:
    problems = []
    for row in rows:
        for op in entries_for(row, cat):
            if op.op_class != row.op_class:
                problems.append(f"{op.id}: class {op.op_class}, OPERATIONS.md says {row.op_class}")
            if op.resource not in SECTION_RESOURCES[row.section]:
                problems.append(f"{op.id}: resource {op.resource}, section {row.section!r}")
            if not op.sdk or op.sdk.rsplit(".", 1)[-1] not in row.names:
                problems.append(f"{op.id}: sdk {op.sdk!r} is not one of the row's methods {sorted(row.names)}")
    assert not problems, "\n".join(problems)


def test_no_two_entries_send_the_same_request(cat: Catalog) -> None:
    seen: dict[tuple[Any, ...], str] = {}
    for op in cat.operations.values():
        key = (op.method, op.host, _normal(op.path), tuple(sorted(op.fixed_query.items())),
               tuple(sorted(op.fixed_body.items())))
        assert key not in seen, f"{op.id} and {seen[key]} are the same request on the wire"
        seen[key] = op.id


def test_ids_are_unique_and_named_after_their_resource() -> None:
    raw = json.loads(resources.files("plivo_mcp.catalog").joinpath("operations.json").read_text(encoding="utf-8"))
    ids = [entry["id"] for entry in raw["operations"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for entry in raw["operations"]:
        assert re.fullmatch(rf"{entry['resource']}\.[a-z][a-z0-9_]*", entry["id"]), entry["id"]
    assert set(raw["resources"]) == set().union(*SECTION_RESOURCES.values())
    assert all(0 < len(d) <= 140 and "\n" not in d for d in raw["resources"].values())


def test_every_tool_named_is_a_real_tool(cat: Catalog) -> None:
    from plivo_mcp.tools import TOOLSETS

    tools = {spec.name for toolset in TOOLSETS for spec in toolset.tools}
    unknown = {op.id: op.tool for op in cat.operations.values() if op.tool and op.tool not in tools}
    assert not unknown, unknown
    # The first-class tools each cover an operation: a renamed tool must not leave the catalog pointing nowhere.
    assert len({op.tool for op in cat.operations.values() if op.tool}) >= 25


def _value_problems(param: Param, given: object) -> list[str]:
    """Why `given` is not valid for `param` by the catalog's own constraints (empty: it is)."""
    python_types: dict[str, tuple[type, ...]] = {
        "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
        "object": (dict,), "file": (dict,)}
    out = []
    if not isinstance(given, python_types[param.type]) or (param.type in ("integer", "number")
                                                           and isinstance(given, bool)):
        return [f"{given!r} is not a {param.type}"]
    value: Any = given  # of the type the checks below need
    if param.enum is not None and value not in param.enum:
        out.append(f"{value!r} not in {param.enum}")
    if param.pattern is not None and not re.search(param.pattern, value):
        out.append(f"{value!r} does not match {param.pattern}")
    if param.minimum is not None and value < param.minimum:
        out.append(f"{value!r} < minimum {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        out.append(f"{value!r} > maximum {param.maximum}")
    if param.max_length is not None and len(value) > param.max_length:
        out.append(f"{value!r} longer than {param.max_length}")
    if param.type == "file" and set(value) != {"filename", "content_base64", "content_type"}:
        out.append("a file is {filename, content_base64, content_type}")
    if param.type == "array" and param.items:
        out += [p for item in value for p in _value_problems(Param(param.name, param.items, param.place), item)]
    return out


def test_required_and_path_params_have_valid_examples(cat: Catalog) -> None:
    problems = []
    for op in cat.operations.values():
        for param in op.params:
            if (param.required or param.place == "path") and param.example is None:
                problems.append(f"{op.id}.{param.name}: no example")
            for value, what in ((param.example, "example"), (param.default, "default")):
                if value is not None:
                    problems += [f"{op.id}.{param.name} {what}: {p}" for p in _value_problems(param, value)]
    assert not problems, "\n".join(problems)


def test_params_are_well_formed(cat: Catalog) -> None:
    for op in cat.operations.values():
        in_template = set(re.findall(r"\{([a-z_0-9]+)\}", op.path))
        assert {p.name for p in op.params if p.place == "path"} == in_template, op.id
        assert len({p.name for p in op.params}) == len(op.params), op.id
        assert (op.multipart and op.method != "GET") or not any(
            p.type == "file" or p.items == "file" for p in op.params), f"{op.id}: a file outside a multipart upload"
        assert not set(op.fixed_query) & {p.name for p in op.params}, op.id
        assert not set(op.fixed_body) & {p.name for p in op.params}, op.id
        assert not op.fixed_body or op.method != "GET", op.id
        assert op.host == "api" or not op.path.endswith("/"), f"{op.id}: lookup paths have no trailing slash"
        assert op.host == "lookup" or op.path == "" or op.path.endswith("/"), f"{op.id}: as plivo-python sends it"
        for param in op.params:
            assert param.type != "array" or param.items, f"{op.id}.{param.name}: an array needs its item type"
            # Short: they cost context each time an operation is described.
            assert 0 < len(param.description) <= 160, f"{op.id}.{param.name}: {len(param.description)} chars"


def test_summaries_are_one_short_line(cat: Catalog) -> None:
    for op in cat.operations.values():
        assert 10 <= len(op.summary) <= 130 and "\n" not in op.summary, op.id


# Lists whose items are bare ids (`{"calls": ["<uuid>", ...]}`): there are no fields to choose.
ID_LISTS = {"call.list_live", "call.list_queued"}


def test_list_operations_name_the_fields_kept(cat: Catalog) -> None:
    lists = [op for op in cat.operations.values() if op.is_list and op.id not in ID_LISTS]
    assert len(lists) >= 25
    missing = [op.id for op in lists if not 1 <= len(op.list_fields) <= 8]
    assert not missing, missing


def test_classes_guard_what_spends_or_removes(cat: Catalog) -> None:
    by_class: dict[str, set[str]] = {}
    for op in cat.operations.values():
        by_class.setdefault(op.op_class, set()).add(op.id)
    assert {"call.create", "message.create", "phone_number.buy", "lookup.get", "brand.create",
            "powerpack.buy_add_number", "verify_session.create"} <= by_class["costly"]
    assert {"number.unrent", "call.hangup", "subaccount.delete", "conference.member_kick",
            "campaign.number_unlink", "multi_party_call.kick_participant"} <= by_class["destructive"]
    assert all(op.method != "GET" for op in cat.operations.values() if op.guarded and op.host == "api")
    costly_without_pricing = {op.id for op in cat.operations.values()
                              if op.op_class == "costly" and not op.cost_note and not op.tool}
    assert not costly_without_pricing  # what a costly call spends is said somewhere


def test_subaccount_management_is_for_the_main_account(cat: Catalog) -> None:
    assert all(op.main_account_only for op in cat.operations.values() if op.resource == "subaccount")
    # Changing the account itself is the main account's (the sandbox answers a subaccount 403, plivo_mcp/sandbox/
    # account.py); everything else a subaccount does on its own objects.
    assert {op.id for op in cat.operations.values() if op.main_account_only} == {
        "account.update", *(op.id for op in cat.operations.values() if op.resource == "subaccount")}
