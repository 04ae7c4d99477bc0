"""The signed-fetch verifier core against the recorded vectors and the rules they stand for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config.errors import SignedFetchError
from integrations.signed_fetch import (
    EphemeralCache,
    SignedFetchVerifier,
    Verification,
    not_signed_by_scene,
    signed_by_explorer,
    signed_by_scene,
)
from integrations.signed_fetch.jsdates import js_date_parse
from integrations.signed_fetch.jsnumbers import js_number
from integrations.signed_fetch.keccak import keccak256
from tests.signing import (
    Identity,
    chain_headers,
    ephemeral_message,
    link,
    make_identity,
    metadata_text,
    personal_sign,
    sign_payload,
    signed_headers,
    signed_payload,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "signed-fetch-vectors.json").read_text())
GUARDS = {"scene": signed_by_scene, "explorer": signed_by_explorer}
NOW = 1_767_225_600_000
WINDOW = 60_000
SCENE = {"signer": "decentraland-kernel-scene", "sceneId": "bafkrei-scene", "parcel": "-9,-9"}
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def verifier(now: int = NOW, cache: EphemeralCache | None = None) -> SignedFetchVerifier:
    return SignedFetchVerifier(window_ms=WINDOW, clock=lambda: now, cache=cache)


@pytest.fixture(scope="module")
def identity() -> Identity:
    return make_identity(expiration_ms=NOW + 3_600_000)


async def verify(
    headers: dict[str, str],
    method: str = "POST",
    path: str = "/scene-admin",
    now: int = NOW,
    guard: Any = None,
) -> Verification:
    return await verifier(now).verify(method, path, headers, guard)


async def refusal(headers: dict[str, str], **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(SignedFetchError) as caught:
        await verify(headers, **kwargs)
    return caught.value.status, caught.value.message


def with_entity_signature(headers: dict[str, str], signature: str) -> dict[str, str]:
    entity = json.loads(headers["x-identity-auth-chain-2"])
    entity["signature"] = signature
    return {**headers, "x-identity-auth-chain-2": json.dumps(entity)}


def entity_signature(headers: dict[str, str]) -> str:
    return str(json.loads(headers["x-identity-auth-chain-2"])["signature"])


# The recorded vectors, each at its own `now`.


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda vector: vector["id"])
async def test_vector_gets_the_recorded_outcome(vector: dict[str, Any]) -> None:
    checker = verifier(vector["now"])
    guard = GUARDS[vector["metadata_validator"]]
    call = checker.verify(vector["method"], vector["path"], vector["headers"], guard)
    if vector["expected_valid"]:
        result = await call
        assert result.address == vector["expected_address"]
        assert result.metadata == json.loads(vector["headers"]["x-identity-metadata"])
        return
    with pytest.raises(SignedFetchError) as caught:
        await call
    assert caught.value.status == vector["expected_status"]
    assert caught.value.message == vector["expected_message"]


def test_all_six_vectors_are_present() -> None:
    assert len(VECTORS["vectors"]) == 6


# Requests signed here with real keys.


async def test_signed_request_names_its_owner_in_lower_case(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    result = await verify(headers, guard=signed_by_scene)
    assert result == Verification(identity.lower_address, SCENE)


async def test_method_and_path_are_compared_case_insensitively(identity: Identity) -> None:
    headers = signed_headers(identity, "post", "/Scene-Admin", SCENE, NOW)
    assert (await verify(headers, method="POST", path="/scene-admin")).address


async def test_wrong_method_is_refused(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    status, message = await refusal(headers, method="DELETE")
    assert status == 401
    assert message.startswith("Invalid signature: ERROR: Invalid final authority. Expected: del")


@pytest.mark.parametrize("offset", [-WINDOW, WINDOW, 0])
async def test_timestamp_at_the_window_edges_passes(identity: Identity, offset: int) -> None:
    headers = signed_headers(identity, "GET", "/scene-bans", SCENE, NOW + offset)
    assert (await verify(headers, method="GET", path="/scene-bans")).address


async def test_timestamp_one_ms_too_old_is_expired(identity: Identity) -> None:
    ts = NOW - WINDOW - 1
    headers = signed_headers(identity, "GET", "/scene-bans", SCENE, ts)
    assert await refusal(headers, method="GET", path="/scene-bans") == (
        401,
        f"Expired signature: signature timestamp: {ts}, timestamp expiration: "
        f"{ts + WINDOW}, local timestamp: {NOW}",
    )


async def test_timestamp_one_ms_too_far_ahead_is_refused(identity: Identity) -> None:
    ts = NOW + WINDOW + 1
    headers = signed_headers(identity, "GET", "/scene-bans", SCENE, ts)
    assert await refusal(headers, method="GET", path="/scene-bans") == (
        401,
        f"Signature timestamp is too far in the future: signature timestamp: {ts}, "
        f"local timestamp: {NOW}",
    )


async def test_missing_timestamp_counts_as_zero_and_is_expired(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    del headers["x-identity-timestamp"]
    status, message = await refusal(headers)
    assert status == 401
    assert message.startswith("Expired signature: signature timestamp: 0, ")


@pytest.mark.parametrize("raw", ["soon", "Infinity", "1e400", "0x", "12abc"])
async def test_non_numeric_timestamp_is_400(identity: Identity, raw: str) -> None:
    headers = {**signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)}
    headers["x-identity-timestamp"] = raw
    assert await refusal(headers) == (400, f"Invalid chain timestamp: {raw}")


async def test_timestamp_written_as_hex_is_signed_as_written(identity: Identity) -> None:
    raw = hex(NOW)
    payload = signed_payload("POST", "/scene-admin", raw, metadata_text(SCENE))
    headers = {
        **chain_headers(sign_payload(identity, payload)),
        "x-identity-timestamp": raw,
        "x-identity-metadata": metadata_text(SCENE),
    }
    assert (await verify(headers)).address == identity.lower_address


def test_timestamp_parsing_follows_javascript_number() -> None:
    assert js_number(" 1767225595000\n") == 1767225595000
    assert js_number("1.767225595e12") == 1767225595000
    assert js_number("0x10") == 16
    assert js_number("") == 0
    assert js_number("1_000") != js_number("1_000")  # NaN


async def test_expired_ephemeral_key_is_refused() -> None:
    stale = make_identity(expiration_ms=NOW)
    headers = signed_headers(stale, "POST", "/scene-admin", SCENE, NOW)
    assert await refusal(headers) == (
        401,
        "Invalid signature: ERROR. Link type: ECDSA_EPHEMERAL. Ephemeral key expired. "
        f"Expiration: {NOW}. Test: {NOW}.",
    )


async def test_ephemeral_key_one_ms_from_expiry_passes() -> None:
    fresh = make_identity(expiration_ms=NOW + 1)
    headers = signed_headers(fresh, "POST", "/scene-admin", SCENE, NOW)
    assert (await verify(headers)).address == fresh.lower_address


@pytest.mark.parametrize(
    "expiration",
    ["2026-01-31T00:00:00", "2026-01-31", "2026-01-31T01:00:00+01:00", "2026-01-31T00:00:00Z"],
)
async def test_ephemeral_dates_in_other_javascript_forms_pass(expiration: str) -> None:
    other = make_identity(expiration_text=expiration)
    headers = signed_headers(other, "POST", "/scene-admin", SCENE, NOW)
    assert (await verify(headers)).address == other.lower_address


def test_date_forms_parse_to_the_same_instant() -> None:
    expected = 1_769_817_600_000
    for text in ("2026-01-31T00:00:00.000Z", "2026-01-31", "2026-01-30T19:00:00-05:00"):
        assert js_date_parse(text) == expected
    assert js_date_parse("2026-02-30") is None
    assert js_date_parse("tomorrow") is None


async def test_ephemeral_message_with_crlf_is_checked_without_the_cr() -> None:
    owner_key = make_identity()
    plain = owner_key.chain[1]["payload"]
    signature = personal_sign(owner_key.owner, plain)
    owner_key.chain[1] = link("ECDSA_EPHEMERAL", plain.replace("\n", "\r\n"), signature)
    headers = signed_headers(owner_key, "POST", "/scene-admin", SCENE, NOW)
    assert (await verify(headers)).address == owner_key.lower_address


async def test_unparseable_expiration_is_refused() -> None:
    broken = make_identity(expiration_text="someday")
    headers = signed_headers(broken, "POST", "/scene-admin", SCENE, NOW)
    assert await refusal(headers) == (
        401,
        "Invalid signature: ERROR. Link type: ECDSA_EPHEMERAL. Invalid expiration date in "
        'ephemeral payload: "someday".',
    )


async def test_ephemeral_message_without_address_line_is_refused(identity: Identity) -> None:
    message = "Decentraland Login\nExpiration: 2026-01-31T00:00:00.000Z"
    bad = Identity(identity.owner, identity.ephemeral, identity.expiration_ms, list(identity.chain))
    bad.chain[1] = link("ECDSA_EPHEMERAL", message, personal_sign(identity.owner, message))
    status, message = await refusal(signed_headers(bad, "POST", "/scene-admin", SCENE, NOW))
    assert status == 401
    assert "Invalid ephemeral payload. Expected 3 lines" in message


async def test_ephemeral_signed_by_someone_else_is_refused(identity: Identity) -> None:
    impostor = make_identity(ephemeral=identity.ephemeral)
    forged = Identity(identity.owner, identity.ephemeral, identity.expiration_ms)
    forged.chain = [identity.chain[0], impostor.chain[1]]
    status, message = await refusal(signed_headers(forged, "POST", "/scene-admin", SCENE, NOW))
    assert status == 401
    assert message == (
        "Invalid signature: ERROR. Link type: ECDSA_EPHEMERAL. Invalid signer address. "
        f"Expected: {identity.lower_address}. Actual: {impostor.lower_address}."
    )


@pytest.mark.parametrize("form", ["v01", "high_s", "upper"])
async def test_equivalent_signature_encodings_are_accepted(identity: Identity, form: str) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    raw = bytes.fromhex(entity_signature(headers)[2:])
    if form == "v01":
        raw = raw[:64] + bytes((raw[64] - 27,))
    elif form == "high_s":
        s = CURVE_ORDER - int.from_bytes(raw[32:64], "big")
        raw = raw[:32] + s.to_bytes(32, "big") + bytes((55 - raw[64],))
    text = "0x" + (raw.hex().upper() if form == "upper" else raw.hex())
    assert (await verify(with_entity_signature(headers, text))).address == identity.lower_address


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("0xzz", "String signatures must be encoded in hex"),
        ("abcd", "String signatures must be encoded in hex"),
        ("0x" + "ab" * 64, "Invalid ethereum signature"),
        ("0x" + "11" * 64 + "1d", "Invalid signature recovery value: 29. Expected 27 or 28"),
        ("0x" + "00" * 32 + "11" * 32 + "1b", "r must be 0 < r < CURVE.n"),
    ],
)
async def test_malformed_signatures_are_refused(
    identity: Identity, signature: str, reason: str
) -> None:
    headers = with_entity_signature(
        signed_headers(identity, "POST", "/scene-admin", SCENE, NOW), signature
    )
    assert await refusal(headers) == (
        401,
        f"Invalid signature: ERROR. Link type: ECDSA_SIGNED_ENTITY. {reason}.",
    )


async def test_empty_entity_signature_is_refused(identity: Identity) -> None:
    headers = with_entity_signature(
        signed_headers(identity, "POST", "/scene-admin", SCENE, NOW), ""
    )
    status, message = await refusal(headers)
    assert status == 401
    assert "'signature' must be present for type 'ECDSA_SIGNED_ENTITY'" in message


# Chain shape.


async def test_no_chain_is_invalid_auth_chain() -> None:
    assert await refusal({"x-identity-timestamp": str(NOW)}) == (400, "Invalid Auth Chain")


async def test_gap_at_index_one_is_invalid_auth_chain(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    del headers["x-identity-auth-chain-1"]
    assert await refusal(headers) == (400, "Invalid Auth Chain")


async def test_eleven_links_exceed_the_maximum(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    for index in range(3, 11):
        headers[f"x-identity-auth-chain-{index}"] = headers["x-identity-auth-chain-2"]
    assert await refusal(headers) == (400, "Auth chain exceeds maximum length of 10")


async def test_link_that_is_not_json_is_400(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-auth-chain-1"] = "not json"
    status, message = await refusal(headers)
    assert status == 400
    assert message.startswith("Invalid chain format: ")
    assert len(message) <= len("Invalid chain format: ") + 65


@pytest.mark.parametrize(
    "item", ['{"type":"SIGNER","payload":"invalid-signature"}', "[1,2]", '{"type":1}']
)
async def test_link_without_string_fields_is_400(identity: Identity, item: str) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-auth-chain-3"] = item
    assert await refusal(headers) == (
        400,
        "Invalid chain format: malformed auth link at position 3",
    )


async def test_signer_link_out_of_place_is_malformed(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-auth-chain-0"], headers["x-identity-auth-chain-1"] = (
        headers["x-identity-auth-chain-1"],
        headers["x-identity-auth-chain-0"],
    )
    assert await refusal(headers) == (401, "Invalid signature: ERROR: Malformed authChain")


async def test_unknown_link_type_ends_on_an_empty_authority(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-auth-chain-3"] = json.dumps(link("MYSTERY", "x", "y"))
    status, message = await refusal(headers)
    assert status == 401
    assert message.endswith(". Current .")


async def test_contract_wallet_link_in_a_long_chain_needs_a_provider(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-auth-chain-3"] = json.dumps(
        link("ECDSA_EIP_1654_SIGNED_ENTITY", "x", "0x00")
    )
    assert await refusal(headers) == (
        401,
        "Invalid signature: ERROR. Link type: ECDSA_EIP_1654_SIGNED_ENTITY. Missing provider.",
    )


# Metadata and guards.


@pytest.mark.parametrize("raw", ["[]", "42", '""', "", "{oops", '"text"'])
async def test_metadata_that_is_not_an_object_is_400(identity: Identity, raw: str) -> None:
    payload = signed_payload("POST", "/scene-admin", str(NOW), raw)
    headers = {
        **chain_headers(sign_payload(identity, payload)),
        "x-identity-timestamp": str(NOW),
        "x-identity-metadata": raw,
    }
    assert await refusal(headers) == (400, f'Invalid chain metadata: "{raw}"')


async def test_long_metadata_is_clipped_in_the_message(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW)
    headers["x-identity-metadata"] = "[" + "1," * 100 + "1]"
    status, message = await refusal(headers)
    assert status == 400
    assert message == f'Invalid chain metadata: "{headers["x-identity-metadata"][:64]}…"'


@pytest.mark.parametrize("raw", ["null", None])
async def test_null_or_absent_metadata_is_an_empty_object(
    identity: Identity, raw: str | None
) -> None:
    payload = signed_payload("POST", "/scene-admin", str(NOW), raw or "")
    headers = {**chain_headers(sign_payload(identity, payload)), "x-identity-timestamp": str(NOW)}
    if raw is not None:
        headers["x-identity-metadata"] = raw
    assert (await verify(headers)).metadata == {}


async def test_guard_refusal_shows_the_metadata(identity: Identity) -> None:
    metadata = {"signer": "dcl:explorer", "isGuest": False}
    headers = signed_headers(identity, "POST", "/scene-admin", metadata, NOW)
    assert await refusal(headers, guard=signed_by_scene) == (
        400,
        'Invalid metadata content: {"signer":"dcl:explorer","isGuest":false}',
    )


async def test_window_is_checked_before_metadata(identity: Identity) -> None:
    headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW - 2 * WINDOW)
    headers["x-identity-metadata"] = "[]"
    status, message = await refusal(headers)
    assert (status, message.split(":")[0]) == (401, "Expired signature")


async def test_optional_mode_turns_any_failure_into_no_identity(identity: Identity) -> None:
    checker = verifier()
    scene_signed = signed_headers(identity, "POST", "/users/0x1/bans", SCENE, NOW)
    assert await checker.verify_optional("POST", "/users/0x1/bans", {}) is None
    assert (
        await checker.verify_optional("POST", "/users/0x1/bans", scene_signed, not_signed_by_scene)
        is None
    )
    moderator = signed_headers(
        identity, "POST", "/users/0x1/bans", {"signer": "dcl:moderator"}, NOW
    )
    result = await checker.verify_optional(
        "POST", "/users/0x1/bans", moderator, not_signed_by_scene
    )
    assert result is not None
    assert result.address == identity.lower_address


# The ephemeral cache.


async def test_cached_ephemeral_recovery_still_checks_expiry() -> None:
    short = make_identity(expiration_ms=NOW + 1_000)
    cache = EphemeralCache()
    first = signed_headers(short, "POST", "/scene-admin", SCENE, NOW)
    await verifier(NOW, cache).verify("POST", "/scene-admin", first)
    assert len(cache) == 1

    later = NOW + 1_000
    second = signed_headers(short, "POST", "/scene-admin", SCENE, later)
    with pytest.raises(SignedFetchError) as caught:
        await verifier(later, cache).verify("POST", "/scene-admin", second)
    assert "Ephemeral key expired" in caught.value.message


async def test_cache_holds_one_entry_per_ephemeral_key(identity: Identity) -> None:
    cache = EphemeralCache()
    checker = verifier(NOW, cache)
    for offset in range(3):
        headers = signed_headers(identity, "POST", "/scene-admin", SCENE, NOW + offset)
        await checker.verify("POST", "/scene-admin", headers)
    assert len(cache) == 1


def test_keccak_matches_the_known_empty_digest() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


def test_signing_helper_writes_iso_expirations() -> None:
    message = ephemeral_message("0xAbC", "2026-01-31T00:00:00.000Z")
    assert message.splitlines()[2] == "Expiration: 2026-01-31T00:00:00.000Z"
