"""The shared API input types and page cursors: what they accept, normalize and refuse."""

import json
from pathlib import Path

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine

from backend.api.errors import BadRequestError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.api.responses import json_response
from backend.core.config import get_settings
from backend.errors import ConfigurationError
from backend.main import create_app
from backend.schemas.challenges import TeamMemberOut
from backend.schemas.common import EthAddress, Hex32, Page, TokenAmount
from backend.services.deployments import load_deployments

CHECKSUMMED = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ADDRESS = TypeAdapter(EthAddress)


@pytest.mark.parametrize("spelling", [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()])
def test_addresses_in_any_single_case_or_checksummed_are_normalized(spelling: str) -> None:
    assert ADDRESS.validate_python(spelling) == CHECKSUMMED


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC", "wrong EIP-55 checksum"),
        ("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293B", "not an Ethereum address"),
        ("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC00", "not an Ethereum address"),
        ("0xZZ44CdDdB6a900fa2b585dd299e03d12FA4293BC", "not an Ethereum address"),
    ],
)
def test_malformed_addresses_are_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        ADDRESS.validate_python(value)


def test_hashes_are_lower_cased_and_amounts_are_plain_decimals() -> None:
    assert TypeAdapter(Hex32).validate_python("0x" + "AB" * 32) == "0x" + "ab" * 32
    amount = TypeAdapter(TokenAmount)
    assert amount.validate_python(str(2**256 - 1)) == str(2**256 - 1)
    for bad in ("-1", "01", "1.5", "1e18", ""):
        with pytest.raises(ValidationError):
            amount.validate_python(bad)


def test_a_cursor_round_trips_and_a_foreign_one_is_a_400() -> None:
    cursor = encode_cursor([1_700_000_000, "0xabc"])
    assert decode_cursor(cursor, [int, str]) == (1_700_000_000, "0xabc")
    with pytest.raises(BadRequestError, match="not a cursor of this list"):
        decode_cursor(cursor, [int, int])
    with pytest.raises(BadRequestError, match="not a cursor this API issued"):
        decode_cursor("%%%", [int])


def test_a_backend_without_deployments_answers_503_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    monkeypatch.setenv("CROWDBOUNTY_DATABASE_URL", database_url)
    monkeypatch.setenv("CROWDBOUNTY_DEPLOYMENTS_FILE", str(tmp_path / "missing.json"))
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            response = client.get("/api/batches")
    finally:
        get_settings.cache_clear()
    assert response.status_code == 503
    assert "run `make up`" in response.json()["detail"]


def test_a_405_allows_every_method_of_the_path_not_only_one_routes() -> None:
    client = TestClient(create_app())  # no lifespan: a 405 never reaches the database
    response = client.request("OPTIONS", "/api/batches/1/results")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    assert client.request("DELETE", "/api/challenges").headers["allow"] == "GET"


def test_a_prebuilt_json_response_is_the_json_fastapi_would_send_for_the_response_model() -> None:
    page = Page[TeamMemberOut](items=[TeamMemberOut(address=CHECKSUMMED, confirmed=True)], next_cursor="abc")

    response = json_response(page)

    assert response.media_type == "application/json"
    assert response.body == TypeAdapter(Page[TeamMemberOut]).dump_json(page, by_alias=True)


def test_the_deployments_file_is_parsed_once_per_version_and_a_redeployment_is_read_afresh(tmp_path: Path) -> None:
    file = tmp_path / "deployments.json"
    file.write_text(json.dumps({"chain_id": 1337, "genesis_hash": "0x" + "00" * 32, "contracts": {}}))
    first = load_deployments(file)
    assert load_deployments(file) is first

    replacement = tmp_path / "deployments.json.new"
    replacement.write_text(json.dumps({"chain_id": 31337, "genesis_hash": "0x" + "11" * 32, "contracts": {}}))
    replacement.replace(file)  # how deployments are written: atomically, a new file
    assert load_deployments(file).chain_id == 31337

    file.write_text("{")  # a broken file is an error every time, never a stale answer
    with pytest.raises(ConfigurationError, match="is invalid"):
        load_deployments(file)


def test_each_api_thread_keeps_a_pooled_connection(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("CROWDBOUNTY_DATABASE_URL", database_url)
    monkeypatch.setenv("CROWDBOUNTY_API_THREADS", "3")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            pool = client.app.state.engine.pool  # type: ignore[attr-defined]
            tokens = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)  # type: ignore[union-attr]
    finally:
        get_settings.cache_clear()
    assert (pool.size(), tokens) == (3, 3)
