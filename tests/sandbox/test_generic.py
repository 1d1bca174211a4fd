"""The generic resource simulation (plivo_mcp/sandbox/generic.py) and the Lookup host, through the official plivo
SDK where it has the method and raw HTTP otherwise.

The package's catalog is being filled in parallel, so these tests drive the sandbox with a test-only catalog
(generic_catalog.json beside this file: ~120 operations of OPERATIONS.md, with the examples the sandbox seeds),
installed by monkeypatching `plivo_mcp.catalog.catalog` before the sandbox is built. One test also runs every
operation of the package's own catalog, whatever it holds by then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from plivo import exceptions

import plivo_mcp.catalog as catalog_module
from plivo_mcp.catalog import Catalog, Operation, parse
from plivo_mcp.sandbox import Sandbox, generic
from plivo_mcp.sandbox import app as app_module
from plivo_mcp.sandbox.calls import Calls
from plivo_mcp.sandbox.generic import GenericObjects, Simulation, pattern_of
from plivo_mcp.sandbox.numbers import Numbers
from tests.conftest import FIXTURES_DIR

TEST_CATALOG: Catalog = parse(json.loads((Path(__file__).parent / "generic_catalog.json").read_text()))
CONF, MEMBER = "My-Conf-Room", "17"
MPC, PARTICIPANT = "name_MyMPC", "49"
BRAND = "BRPXS6E"


@pytest.fixture
def gsb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh sandbox whose generic simulation serves the test catalog."""
    monkeypatch.setattr(catalog_module, "catalog", lambda: TEST_CATALOG)
    with Sandbox(db=":memory:") as sandbox:
        yield sandbox


def _op(op_id: str) -> Operation:
    op = TEST_CATALOG.get(op_id)
    assert op is not None, op_id
    return op


# ---- routing: decided per operation, from the catalog and the resource modules ------------------------------------

def test_routing_keeps_what_resource_modules_implement_and_serves_the_rest(gsb: Sandbox) -> None:
    sim = gsb.app.simulation
    # Computed, not listed: the calls module answers POST Call/ and GET Call/{id}/ (?status=live), so they stay
    # its; playing into a call it does not implement, so the simulation answers that on the same path shape.
    assert {"call.create", "call.get_live", "call.get_queued"}.isdisjoint(sim.served_ops)
    assert {"call.play", "call.stream_start", "conference.member_mute"} <= sim.served_ops
    real_list = gsb.app.routes.match(["Call"])
    assert real_list is not None and real_list[0]["GET"].__module__ == "plivo_mcp.sandbox.calls"
    # Adding one's own carrier numbers (POST Number/) is generic beside the numbers module's GET Number/.
    number_routes, _ = gsb.app.routes.match(["Number"]) or ({}, [])
    assert number_routes["GET"].__module__ == "plivo_mcp.sandbox.numbers"
    assert isinstance(number_routes["POST"], generic.GenericRoute)
    # Literal segments win: PhoneNumber/Compliance/ is not PhoneNumber/{number}/ (buying), at any depth.
    compliance = gsb.app.routes.match(["PhoneNumber", "Compliance"])
    assert compliance is not None and compliance[1] == [] and set(compliance[0]) == {"GET", "POST"}
    buy = gsb.app.routes.match(["PhoneNumber", "14155550100"])
    assert buy is not None and buy[1] == ["14155550100"]
    verify = gsb.app.routes.match(["VerifiedCallerId", "Verification", "abc"])
    assert verify is not None and verify[1] == ["abc"]
    deep = gsb.app.routes.match(["MultiPartyCall", MPC, "Participant", PARTICIPANT, "Record", "Pause"])
    assert deep is not None and deep[1] == [MPC, PARTICIPANT]


def test_literal_path_never_reaches_the_parameter_route(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    before = gsb.store.storage(Numbers).all_of([gsb.auth_id])
    r = api.post("/PhoneNumber/Compliance/", data={"data": json.dumps({"country_iso": "DE"})})
    assert r.status_code == 201 and "compliance_id" in r.json(), r.text
    assert gsb.store.storage(Numbers).all_of([gsb.auth_id]) == before  # nothing bought
    r = api.delete("/PhoneNumber/Compliance/")  # the literal path owns it: 405, not the buy route's
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "POST"}


# ---- a generic resource's whole life, through the SDK ---------------------------------------------------------------

def test_brand_create_get_list_delete_through_sdk(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    created = client.brand.create(brand_alias="acme", brand_type="STARTER", profile_uuid="p-1")
    brand_id = created.brand_id
    assert re.fullmatch(r"B[A-Z0-9]{6}", brand_id) and "being processed" in created.message
    got = client.brand.get(brand_id)
    assert got.brand.brand_id == brand_id and got.brand.brand_alias == "acme" and got.brand.profile_uuid == "p-1"
    assert got.brand.brand_type == "STARTER"
    listed = client.brand.list()
    assert [b.brand_id for b in listed.brands] == [brand_id, BRAND]  # newest first, then the seeded example
    assert listed.meta.total_count == 2
    assert [b.brand_id for b in client.brand.list(limit=1, offset=1).brands] == [BRAND]
    assert client.brand.list(type="STARTER").meta.total_count >= 1
    usecases = client.brand.get_usecases(brand_id)
    assert any(u.code == "MIXED" for u in usecases.use_cases)
    assert client.brand.delete(brand_id).message == "Brand Deactivated"
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.brand.get(brand_id)
    with pytest.raises(exceptions.ValidationError, match="profile_uuid parameter is missing"):
        client.request("POST", ("10dlc", "Brand"), {"brand_alias": "a", "brand_type": "STARTER"})
    with pytest.raises(exceptions.ValidationError, match="brand_type must be one of STANDARD, STARTER"):
        client.request("POST", ("10dlc", "Brand"), {"brand_alias": "a", "brand_type": "X", "profile_uuid": "p"})


def test_profile_crud_through_sdk(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    made = client.profile.create(profile_alias="acme-profile", customer_type="DIRECT", entity_type="PRIVATE",
                                 company_name="ACME", vertical="ENERGY", ein="123456789",
                                 address={"street": "1 Main St", "city": "Austin", "state": "TX",
                                          "postal_code": "78701", "country": "US"})
    uuid_ = made.profile_uuid
    profile = client.profile.get(uuid_).profile
    assert (profile.company_name, profile.address.city, profile.ein) == ("ACME", "Austin", "123456789")
    updated = client.profile.update(uuid_, {"company_name": "ACME Inc", "vertical": "TECHNOLOGY"})
    assert updated.profile.company_name == "ACME Inc"
    assert client.profile.get(uuid_).profile.vertical == "TECHNOLOGY"
    assert uuid_ in [p.profile_uuid for p in client.profile.list().profiles]
    client.profile.delete(uuid_)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.profile.get(uuid_)
    with pytest.raises(exceptions.ValidationError, match="ein is not in the expected format"):
        client.profile.create(profile_alias="x", customer_type="DIRECT", entity_type="PRIVATE", company_name="A",
                              vertical="ENERGY", ein="12-34")


def test_powerpack_and_its_number_pool_through_sdk(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    made = client.powerpacks.create(name="alerts", sticky_sender=False)
    assert made.name == "alerts" and made.sticky_sender is False
    pack = client.powerpacks.get(made.uuid)
    assert pack.number_pool.startswith(f"/v1/Account/{gsb.auth_id}/NumberPool/")
    # The SDK reads the pool id out of the number_pool URI and goes there: the pool is per powerpack.
    added = pack.add_number("14155550100")
    assert added.number == "14155550100" and added.number_pool_uuid == pack.number_pool.split("/")[5]
    assert [n.number for n in pack.list_numbers().objects] == ["14155550100"]
    assert pack.find_number("14155550100").number == "14155550100"
    assert pack.count_numbers() == 1
    client.request("DELETE", ("NumberPool", pack.number_pool.split("/")[5], "Number", "14155550100"), {})
    assert pack.count_numbers() == 0
    client.request("POST", ("Powerpack", made.uuid), {"name": "renamed"})
    assert client.powerpacks.get(made.uuid).name == "renamed"
    assert made.uuid in [p.uuid for p in client.powerpacks.list().objects]
    assert pack.delete().response == "success"
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.powerpacks.get(made.uuid)


def test_the_other_sdk_resources_work_end_to_end(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    masking = client.masking_sessions.create_masking_session(first_party="14155550100", second_party="14155550101",
                                                             session_expiry=600)
    session = client.masking_sessions.get_masking_session(masking.session_uuid).response
    assert (session.first_party, session.session_expiry) == ("14155550100", 600)
    client.masking_sessions.update_masking_session(masking.session_uuid, session_expiry=900)
    listed = client.masking_sessions.list_masking_session(first_party="14155550100").response
    assert [s.session_expiry for s in listed.objects] == [900]

    verify = client.verify_session.create(recipient="14155550100", channel="sms")
    assert client.verify_session.get(verify.session_uuid).status == "in-progress"
    client.verify_session.validate(verify.session_uuid, otp="123456")
    assert client.verify_session.get(verify.session_uuid).status == "verified"
    assert verify.session_uuid in [s.session_uuid for s in client.verify_session.list().sessions]

    client.verify_callerids.initiate_verify(phone_number="+14155550123", alias="desk", auth_token="not-kept")
    caller_id = client.verify_callerids.get_verified_caller_id("14155550123")
    assert (caller_id.phone_number, caller_id.alias) == ("+14155550123", "desk")
    assert "not-kept" not in json.dumps(gsb.store.snapshot())  # a secret parameter is never stored
    assert client.verify_callerids.verify_caller_id(caller_id.verification_uuid, otp="123456").verification_uuid
    client.verify_callerids.update_verified_caller_id("14155550123", alias="front desk")
    assert client.verify_callerids.get_verified_caller_id("+14155550123").alias == "front desk"

    token = client.token.create(iss=gsb.auth_id, sub="alice", incoming_allow=True).token
    assert token.count(".") == 2

    tfv = client.tollfree_verification.create(profile_uuid="p", usecase="2FA", number="18449605287", volume="100")
    assert "18449605287" in tfv.message
    assert client.tollfree_verification.get(tfv.uuid).status == "SUBMITTED"

    user = client.end_users.create(name="Bruce", last_name="Wayne", end_user_type="individual")
    application = client.compliance_applications.create(end_user_id=user.end_user_id, alias="de-local",
                                                        document_ids=["d1"], end_user_type="business")
    client.compliance_applications.submit(application.compliance_application_id)
    got = client.compliance_applications.get(application.compliance_application_id)
    assert (got.status, got.document_ids, got.alias) == ("submitted", ["d1"], "de-local")
    assert client.compliance_document_types.list().objects
    assert client.compliance_requirements.list(country_iso2="DE").objects


# ---- deep paths: member actions, multi-party calls ------------------------------------------------------------------

def test_conference_member_actions_change_the_member(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    assert client.conferences.list().conferences == [CONF]
    assert client.conferences.member_mute(CONF, MEMBER).message == "muted"
    member = client.conferences.get(CONF).members[0]
    assert (member.member_id, member.muted, member.deaf) == (MEMBER, True, False)
    client.conferences.member_deaf(CONF, MEMBER)
    client.request("DELETE", ("Conference", CONF, "Member", MEMBER, "Mute"), {}, is_voice_request=True)
    member = client.conferences.get(CONF).members[0]
    assert (member.muted, member.deaf) == (False, True)
    with pytest.raises(exceptions.ResourceNotFoundError, match="Member '99' not found"):
        client.conferences.member_mute(CONF, "99")
    with pytest.raises(exceptions.ResourceNotFoundError, match="Conference 'nope' not found"):
        client.conferences.member_mute("nope", MEMBER)
    assert client.conferences.member_kick(CONF, MEMBER).message == "kicked"
    conference = client.conferences.get(CONF)
    assert conference.members == [] and conference.conference_member_count == "0"
    client.conferences.delete(CONF)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.conferences.get(CONF)


def test_member_all_acts_on_every_member(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    r = api.post(f"/Conference/{CONF}/Member/all/Mute/")
    assert r.status_code == 202, r.text
    members = api.get(f"/Conference/{CONF}/").json()["members"]
    assert members and all(m["muted"] for m in members)


def test_multi_party_call_participant_record_pause_and_new_call_by_name(gsb: Sandbox, plivo_for) -> None:
    client = plivo_for(gsb)
    mpc = client.multi_party_calls
    r = mpc.pause_participant_recording(PARTICIPANT, friendly_name="MyMPC")
    assert r.message.endswith("record paused")
    assert mpc.get_participant(PARTICIPANT, friendly_name="MyMPC").recording == "paused"
    # A multi-party call is made by adding its first participant; after that it is found by name and by uuid.
    added = mpc.add_participant(role="agent", friendly_name="standup", from_="14155550100", to_="14155550199")
    assert added.message == "add participant action initiated" and added.calls[0].to == "14155550199"
    by_name = mpc.get(friendly_name="standup")
    assert by_name.friendly_name == "standup"
    assert mpc.get(uuid=by_name.mpc_uuid).friendly_name == "standup"
    participants = mpc.list_participants(uuid=by_name.mpc_uuid)
    assert len(participants.objects) == 1
    mpc.update_participant(participants.objects[0].member_id, friendly_name="standup", mute=True)
    assert mpc.get_participant(participants.objects[0].member_id, friendly_name="standup").mute is True
    assert sorted(m.friendly_name for m in mpc.list()) == ["MyMPC", "standup"]
    # plivo-python's start sends status as a one-element list (["active"]): accepted as the string it stands for.
    assert mpc.start(friendly_name="standup").message == "MPC: standup started"
    assert mpc.get(friendly_name="standup").status == "Active"
    mpc.stop(uuid=by_name.mpc_uuid)
    with pytest.raises(exceptions.ResourceNotFoundError):
        mpc.get(friendly_name="standup")
    r = httpx.post(f"{gsb.base_url}/v1/Account/{gsb.auth_id}/MultiPartyCall/name_x/Participant/",
                   json={"role": "boss", "from": "1", "to": "2"}, auth=(gsb.auth_id, gsb.auth_token))
    assert r.status_code == 400 and r.json()["error"] == "role must be one of agent, supervisor, customer"
    assert mpc.list().meta.total_count == 1  # the refused participant made no multi-party call


def test_fixed_body_tells_operations_on_one_path_apart(gsb: Sandbox, http_for) -> None:
    route, _ = gsb.app.routes.match(["NumberPool", "np", "Number", "14155550100"]) or ({}, [])
    assert route["POST"].choose({"service": "sms"}).op.id == "powerpack.add_number"
    assert route["POST"].choose({"rent": "true"}).op.id == "powerpack.buy_add_number"
    assert route["POST"].choose({"rent": True, "service": "sms"}).op.id == "powerpack.buy_add_number"
    start, _ = gsb.app.routes.match(["MultiPartyCall", MPC]) or ({}, [])
    assert start["POST"].choose({"status": ["active"]}).op.id == "multi_party_call.start"
    r = http_for(gsb).post(f"/MultiPartyCall/{MPC}/", json={})
    assert r.status_code == 400 and r.json()["error"] == "this request must carry status=active"


def test_action_on_a_real_parent_needs_the_real_object(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    r = api.post("/Call/acfbf0b5-12e0-4d74-85f7-fce15f8f07ec/Play/", json={"urls": "https://example.com/a.mp3"})
    assert r.status_code == 404 and "Call" in r.json()["error"]
    number = gsb.store.rent_number(gsb.auth_id)
    call = api.post("/Call/", json={"from": number, "to": "14155550104", "answer_url": "https://example.com/a"})
    assert call.status_code == 201, call.text
    uuid_ = call.json()["request_uuid"]
    gsb.clock.advance(10)  # answered: live
    assert gsb.store.storage(Calls).get([gsb.auth_id], uuid_) is not None
    r = api.post(f"/Call/{uuid_}/Play/", json={"urls": "https://example.com/a.mp3"})
    assert (r.status_code, r.json()["message"]) == (202, "play started")
    r = api.post(f"/Call/{uuid_}/", json={"legs": "aleg", "aleg_url": "https://example.com/next"})
    assert (r.status_code, r.json()["message"]) == (202, "call transfered")  # sic, as the API spells it
    assert api.post(f"/Call/{uuid_}/", json={"legs": "all"}).status_code == 400
    stream = api.post(f"/Call/{uuid_}/Stream/", json={"service_url": "wss://example.com/s"})
    assert stream.status_code == 201, stream.text
    streams = api.get(f"/Call/{uuid_}/Stream/").json()["objects"]
    assert [s["stream_id"] for s in streams] == [stream.json()["stream_id"]] and streams[0]["call_uuid"] == uuid_
    assert api.delete(f"/Call/{uuid_}/Stream/").status_code == 204
    assert api.get(f"/Call/{uuid_}/Stream/").json()["objects"] == []


# ---- accounts, seeds, state --------------------------------------------------------------------------------------

def test_subaccount_and_main_account_see_only_their_own_generic_objects(gsb: Sandbox, plivo_for) -> None:
    main = plivo_for(gsb)
    sa, token = gsb.store.create_subaccount(gsb.auth_id, "team")
    sub = plivo_for(gsb, sa, token)
    mine = main.brand.create(brand_alias="main", brand_type="STARTER", profile_uuid="p").brand_id
    theirs = sub.brand.create(brand_alias="sub", brand_type="STARTER", profile_uuid="p").brand_id
    assert [b.brand_id for b in main.brand.list().brands] == [mine, BRAND]
    assert [b.brand_id for b in sub.brand.list().brands] == [theirs, BRAND]
    for client, other in ((main, theirs), (sub, mine)):
        with pytest.raises(exceptions.ResourceNotFoundError):
            client.brand.get(other)
        with pytest.raises(exceptions.ResourceNotFoundError):
            client.brand.delete(other)
    # Each account has its own seeded example: deleting the main account's leaves the subaccount's.
    main.brand.delete(BRAND)
    assert sub.brand.get(BRAND).brand.brand_id == BRAND
    with pytest.raises(exceptions.ResourceNotFoundError):
        main.brand.get(BRAND)
    # A subaccount deleted without cascade hands its objects to the main account, like the other resources.
    main.subaccounts.delete(sa, cascade=False)
    assert main.brand.get(theirs).brand.brand_alias == "sub"


def test_main_account_only_operation_refuses_subaccounts(gsb: Sandbox, http_for) -> None:
    sa, token = gsb.store.create_subaccount(gsb.auth_id, "team")
    sub = http_for(gsb, sa, token)
    r = sub.delete("/EndUser/9a3c2b1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/")
    assert r.status_code == 403 and "main account" in r.json()["error"]
    assert http_for(gsb).delete("/EndUser/9a3c2b1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/").status_code == 204


def test_reads_write_nothing_and_seeds_deleted_stay_deleted(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    before = gsb.store.snapshot()
    for path in (f"/10dlc/Brand/{BRAND}/", "/10dlc/Brand/", f"/Conference/{CONF}/", "/MultiPartyCall/",
                 f"/MultiPartyCall/{MPC}/Participant/{PARTICIPANT}/", "/Verify/Session/"):
        assert api.get(path).status_code == 200, path
    assert gsb.store.snapshot() == before  # a preview GET must leave the database as it was
    assert api.delete(f"/10dlc/Brand/{BRAND}/").status_code == 200
    assert api.get(f"/10dlc/Brand/{BRAND}/").status_code == 404
    assert api.get("/10dlc/Brand/").json()["brands"] == []
    # Deleting a multi-party call takes its participants with it.
    assert api.delete(f"/MultiPartyCall/{MPC}/").status_code == 204
    assert api.get(f"/MultiPartyCall/{MPC}/Participant/{PARTICIPANT}/").status_code == 404


def test_generic_objects_are_bounded_per_account(gsb: Sandbox, http_for, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generic, "MAX_OBJECTS_PER_ACCOUNT", 3)
    api = http_for(gsb)
    body = {"brand_alias": "a", "brand_type": "STARTER", "profile_uuid": "p"}
    assert [api.post("/10dlc/Brand/", json=body).status_code for _ in range(3)] == [202, 202, 202]
    r = api.post("/10dlc/Brand/", json=body)
    assert r.status_code == 400 and "at most 3" in r.json()["error"]
    assert len(api.get("/10dlc/Brand/").json()["brands"]) == 4  # three made and the seed, nothing half-made
    sa, token = gsb.store.create_subaccount(gsb.auth_id, "other")
    assert http_for(gsb, sa, token).post("/10dlc/Brand/", json=body).status_code == 202  # another account's room
    # One object is bounded too, and a refused write changes nothing.
    monkeypatch.setattr(generic, "MAX_OBJECTS_PER_ACCOUNT", 100)
    before = gsb.store.snapshot()
    r = api.post("/10dlc/Brand/", json={**body, "brand_alias": "x" * (generic.MAX_OBJECT_BYTES + 1)})
    assert r.status_code == 400 and "larger than" in r.json()["error"]
    assert gsb.store.snapshot() == before


# ---- validation and request bodies ----------------------------------------------------------------------------------

def test_form_values_are_typed_by_the_catalog(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    r = api.post("/Masking/Session/", data={"first_party": "14155550100", "second_party": "14155550101",
                                            "session_expiry": "600", "record": "true"})
    assert r.status_code == 201, r.text
    session = r.json()["session"]
    assert (session["session_expiry"], session["record"]) == (600, True)
    r = api.post("/Masking/Session/", data={"first_party": "1", "second_party": "2", "session_expiry": "soon"})
    assert r.status_code == 400 and r.json()["error"] == "session_expiry must be an integer"
    r = api.post("/Masking/Session/", json={"first_party": "1"})
    assert r.status_code == 400 and r.json()["error"] == "second_party parameter is missing"
    r = api.post(f"/MultiPartyCall/{MPC}/Participant/", json={"role": "agent", "max_duration": 10})
    assert r.status_code == 400 and r.json()["error"] == "max_duration must be at least 300"


def test_callback_url_declared_by_the_operation_is_not_async_mode(gsb: Sandbox, http_for) -> None:
    api = http_for(gsb)
    # A masking session's callback_url is its own setting: the answer is the session, synchronously.
    r = api.post("/Masking/Session/", json={"first_party": "1", "second_party": "2",
                                            "callback_url": "http://127.0.0.1:9/cb"})
    assert r.status_code == 201 and r.json()["session"]["callback_url"] == "http://127.0.0.1:9/cb"
    # Where the operation does not declare it, callback_url is the API's async mode, as for every voice call.
    r = api.post(f"/Conference/{CONF}/Member/{MEMBER}/Mute/", json={"callback_url": "http://127.0.0.1:9/cb"})
    assert r.status_code == 200 and r.json()["message"] == "async api spawned"


def test_multipart_uploads_record_name_and_size_only(gsb: Sandbox, plivo_for, tmp_path: Path) -> None:
    client = plivo_for(gsb)
    png, gif = tmp_path / "logo.png", tmp_path / "anim.gif"
    png.write_bytes(b"\x89PNG" + b"x" * 1000)
    gif.write_bytes(b"GIF89a" + b"y" * 50)
    uploaded = client.media.upload([str(png), str(gif)])
    assert [(o.file_name, o.size, o.content_type, o.status_code) for o in uploaded.objects] == [
        ("logo.png", 1004, "image/png", 201), ("anim.gif", 56, "image/gif", 201)]
    media = client.media.get(uploaded.objects[0].media_id)
    assert (media.file_name, media.size) == ("logo.png", 1004)
    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4 " + b"z" * 300)
    made = client.addresses.create(
        country_iso="FR", salutation="Mr", first_name="Bruce", last_name="Wayne", address_line1="128",
        address_line2="RUE DU COMMANDANT GUILBAUD", city="PARIS", region="PARIS", postal_code="75016",
        address_proof_type="others", file_to_upload=str(proof))
    address = client.addresses.get(made.id)
    assert (address.first_name, address.file["file_name"], address.file["size"]) == ("Bruce", "proof.pdf", 309)
    # Without a document plivo-python still sends an empty part named `file`: that is no file.
    bare = client.addresses.create(
        country_iso="FR", salutation="Ms", first_name="Diana", last_name="Prince", address_line1="1",
        address_line2="RUE X", city="PARIS", region="PARIS", postal_code="75001", address_proof_type="others")
    bare_address = client.addresses.get(bare.id)
    assert bare_address.first_name == "Diana" and "file" not in bare_address and "uploaded_files" not in bare_address
    identity = client.identities.create(
        country_iso="FR", salutation="Mr", first_name="Bruce", last_name="Wayne", birth_place="PARIS",
        birth_date="1970-01-01", nationality="FR", id_nationality="FR", id_issue_date="2010-01-01", id_type="passport",
        id_number="33522", address_line1="128", address_line2="RUE X", city="PARIS", region="PARIS",
        postal_code="75016", file_to_upload=str(proof))
    assert client.identities.get(identity.id).file["file_name"] == "proof.pdf"
    document = client.compliance_documents.create(end_user_id="u1", document_type_id="t1", alias="lease",
                                                  file=str(proof))
    stored = client.compliance_documents.get(document.compliance_document_id)
    assert (stored.alias, stored.file.file_name, stored.file.size) == ("lease", "proof.pdf", 309)
    compliance = client.phone_number_compliance.create(
        data={"country_iso": "DE", "number_type": "local", "alias": "berlin"}, documents=[str(proof)])
    got = client.phone_number_compliance.get(compliance.compliance_id)
    assert (got.alias, got.country_iso) == ("berlin", "DE")
    # plivo-python sends these parts without a type of their own.
    assert [vars(f) for f in got.uploaded_files] == [
        {"field": "documents[0].file", "file_name": "proof.pdf", "size": 309,
         "content_type": "application/octet-stream"}]
    assert "z" * 300 not in json.dumps(gsb.store.snapshot())  # the content itself is never kept


def test_body_size_is_bounded(gsb: Sandbox, http_for, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MAX_BODY_BYTES", 4096)
    api = http_for(gsb)
    before = gsb.store.snapshot()
    r = api.post("/Media/", files=[("file", ("big.png", b"x" * 8192, "image/png"))])
    assert r.status_code == 413 and "larger than" in r.json()["error"]
    assert gsb.store.snapshot() == before


# ---- the Lookup host ----------------------------------------------------------------------------------------------

def test_lookup_host_through_sdk(gsb: Sandbox, plivo_for, monkeypatch: pytest.MonkeyPatch) -> None:
    import plivo.resources.lookup as sdk_lookup

    monkeypatch.setattr(sdk_lookup, "LOOKUP_API_ENDPOINT", f"{gsb.base_url}/v1/Number")
    client = plivo_for(gsb)
    found = client.lookup.get("+14154305555")
    assert found.phone_number == "+14154305555" and found.country.iso2 == "US"
    assert found.format.national == "(415) 430-5555" and found.format.rfc3966 == "tel:+1-415-430-5555"
    assert found.carrier.type in ("mobile", "fixed", "voip") and found.resource_uri.endswith("?type=carrier")
    assert client.lookup.get("447911123456").carrier.type == "mobile"  # a UK mobile range
    assert client.lookup.get("+16135550123").country.iso2 == "CA"
    assert client.lookup.get("+18005550123").carrier.type == "toll-free"
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.lookup.get("+99912345678")


def test_lookup_host_errors_and_auth(gsb: Sandbox) -> None:
    auth = (gsb.auth_id, gsb.auth_token)
    r = httpx.get(f"{gsb.base_url}/v1/Number/+99912345678", params={"type": "carrier"}, auth=auth)
    assert r.status_code == 404 and r.json()["error_code"] == 404
    assert r.json()["message"] == "Phone number is invalid or does not exist."
    r = httpx.get(f"{gsb.base_url}/v1/Number/not-a-number", auth=auth)
    assert r.status_code == 400 and r.json()["error_code"] == 400
    r = httpx.get(f"{gsb.base_url}/v1/Number/+14154305555", params={"type": "caller-name"}, auth=auth)
    assert r.status_code == 400 and "type" in r.json()["message"]
    assert httpx.get(f"{gsb.base_url}/v1/Number/+14154305555").status_code == 401
    assert httpx.get(f"{gsb.base_url}/v1/Number/+14154305555", auth=(gsb.auth_id, "wrong")).status_code == 401


# ---- fidelity: answers keyed like the SDKs' fixtures --------------------------------------------------------------

def _fixture_object(ref: str) -> dict[str, Any]:
    name, _, path = ref.partition("#")
    file = FIXTURES_DIR / name
    if not file.exists():
        pytest.skip(f"Plivo fixtures not found at {FIXTURES_DIR}")
    data: Any = json.loads(file.read_text())
    if path:
        data = data[path]
    if isinstance(data, list):
        data = data[0]
    return {k: v for k, v in data.items() if k != "api_id"}


@pytest.mark.parametrize("which", ["test catalog", "package catalog"])
def test_seeded_objects_have_the_fixtures_keys(which: str, request: pytest.FixtureRequest, http_for) -> None:
    sandbox: Sandbox = request.getfixturevalue("gsb" if which == "test catalog" else "sb")
    api = http_for(sandbox)
    sim = sandbox.app.simulation
    checked = 0
    for shape in sim.shapes:
        ref = sim.kinds.get(shape.kind, {}).get("fixture")
        if ref is None or shape.target != "item" or shape.op.method != "GET" or shape.op.id not in sim.served_ops:
            continue
        path = shape.op.path
        for name in shape.names:
            path = path.replace(f"{{{name}}}", str(shape.op.param(name).example))  # type: ignore[union-attr]
        r = api.get(f"/{path}")
        if r.status_code == 404 and shape.chain and shape.chain[0] in sim.real_kinds:
            continue  # under a live call: none in this sandbox
        assert r.status_code == 200, (shape.op.id, r.text)
        body = r.json()
        wrap = (sim.spec(shape.kind).get("get") or {}).get("wrap")
        obj = body[wrap] if wrap else body
        expected = _fixture_object(ref)
        missing = set(expected) - set(obj)
        assert not missing, (shape.op.id, missing)
        checked += 1
    assert checked >= 12


# ---- every operation, end to end --------------------------------------------------------------------------------

def _example_request(op: Operation) -> tuple[str, dict[str, Any]]:
    path = op.path
    for p in op.params:
        if p.place == "path":
            path = path.replace(f"{{{p.name}}}", str(p.example))
    values = {p.name: p.example for p in op.params if p.place != "path" and p.required and p.type not in ("file",)
              and p.items != "file"}
    kwargs: dict[str, Any] = {"params": dict(op.fixed_query)}
    values.update(op.fixed_body)
    if op.method == "GET":
        kwargs["params"].update(values)
    elif op.multipart:
        kwargs["data"] = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in values.items()}
        kwargs["files"] = [(p.name, ("doc.pdf", b"%PDF-1.4", "application/pdf")) for p in op.params
                           if "file" in (p.type, p.items)]
    else:
        kwargs["json"] = values
    return path, kwargs


def _run_every_operation(sb: Sandbox, cat: Catalog) -> dict[str, int]:
    """Each operation on a fresh subaccount (each account has its own seeds), or the main account where it must;
    one connection for all of them."""
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=f"{sb.base_url}/v1/Account/", timeout=10.0) as api:
        for op in cat.operations.values():
            if op.host != "api":
                continue
            account, token = ((sb.auth_id, sb.auth_token) if op.main_account_only
                              else sb.store.create_subaccount(sb.auth_id, f"op {op.id}"))
            path, kwargs = _example_request(op)
            r = api.request(op.method, f"{account}/{path}", auth=(account, token), **kwargs)
            assert r.status_code < 500 and r.status_code != 405, (op.id, r.status_code, r.text)
            statuses[op.id] = r.status_code
    return statuses


def test_every_test_catalog_operation_works_on_its_examples(gsb: Sandbox) -> None:
    statuses = _run_every_operation(gsb, TEST_CATALOG)
    sim = gsb.app.simulation
    under_a_call = {s.op.id for s in sim.shapes if s.chain and s.chain[0] == "Call/"}
    failed = {op_id: status for op_id, status in statuses.items()
              if op_id in sim.served_ops and op_id not in under_a_call and not 200 <= status < 300}
    assert failed == {}
    # Those need a live call, which no example can name: the answer says so.
    assert {statuses[i] for i in under_a_call if i in sim.served_ops} == {404}


def test_every_package_catalog_operation_works_on_its_examples(sb: Sandbox) -> None:
    # The package's own catalog: no operation may crash the sandbox or fall outside its routes, and every one the
    # simulation serves works on the catalog's examples (what a caller, or call_operation's test, sends first).
    sim = sb.app.simulation
    statuses = _run_every_operation(sb, catalog_module.catalog())
    assert len(statuses) == sum(1 for op in catalog_module.catalog().operations.values() if op.host == "api")
    under_a_call = {s.op.id for s in sim.shapes if s.chain and s.chain[0] in sim.real_kinds}
    failed = {op_id: status for op_id, status in statuses.items()
              if op_id in sim.served_ops and op_id not in under_a_call and not 200 <= status < 300}
    assert failed == {}


def test_a_catalog_pattern_that_does_not_compile_fails_at_construction() -> None:
    bad = parse({"resources": {"x": "x"}, "operations": [
        {"id": "x.create", "resource": "x", "summary": "s", "method": "POST", "path": "X/", "class": "write",
         "params": [{"name": "code", "type": "string", "pattern": "[0-9"}]}]})
    with pytest.raises(ValueError, match=re.escape("'x.create': parameter 'code': bad pattern")):
        Simulation(bad, {})


def test_pattern_helpers() -> None:
    assert pattern_of("Conference/{conference_name}/Member/{member_id}/Mute/") == (
        "Conference", None, "Member", None, "Mute")
    assert pattern_of("") == ()
    assert generic.kind_of(("NumberPool", None, "Number")) == "NumberPool/{}/Number/"
    assert GenericObjects.tables[0].owned
