"""The challenge list (search, filters, sorts, pages), metadata flags, and 4xx on bad input."""

from collections.abc import Iterator
from typing import Any

import pytest
from challenges_support import CONDITIONAL, DAY, ETH, RFP, ChallengeChain, api_client, index, sample_metadata
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web3 import Web3

from backend.api.pagination import encode_cursor
from backend.services.challenges.metadata import RetryPolicy, resolve_pending_metadata
from backend.services.storage.cid import bytes_cid
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import canonical_json, metadata_hash
from devstack.services import LocalIpfsNode

ETHER = 10**18


@pytest.fixture
def ipfs(running_ipfs_node: LocalIpfsNode) -> Iterator[IpfsClient]:
    with IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=2.0) as client:
        yield client


@pytest.fixture
def client(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with api_client(database_url, monkeypatch) as api:
        yield api


def _ids(client: TestClient, **params: Any) -> list[int]:
    response = client.get("/api/challenges", params=params)
    assert response.status_code == 200, response.text
    return [item["challenge_id"] for item in response.json()["items"]]


def test_the_list_is_searched_filtered_sorted_and_paged(
    w3: Web3, escrows: Any, engine: Engine, ipfs: IpfsClient, client: TestClient
) -> None:
    chain = ChallengeChain(w3, escrows)
    solar, _ = chain.create_with_metadata(ipfs, sample_metadata(), slots=(ETHER,), submission_period=7 * DAY)
    water, _ = chain.create_with_metadata(
        ipfs,
        sample_metadata("Water purification for villages", description="Clean drinking water.", tags=["water"]),
        kind=CONDITIONAL,
        slots=(2 * ETHER, ETHER),
        submission_period=3 * DAY,
    )
    battery, _ = chain.create_with_metadata(
        ipfs,
        sample_metadata("Battery recycling proposals", description="Recover lithium.", tags=["energy", "recycling"]),
        kind=RFP,
        slots=(),
        submission_period=10 * DAY,
        sender=1,
    )
    token_challenge = chain.create(slots=(5 * ETHER,), token=escrows.token.address, submission_period=5 * DAY)
    chain.send(chain.escrow.functions.cancel(token_challenge), 0)
    index(w3, engine, escrows)
    assert resolve_pending_metadata(engine, ipfs).verified == 3

    assert _ids(client) == [token_challenge, battery, water, solar]
    assert _ids(client, sort="deadline") == [water, token_challenge, solar, battery]
    assert _ids(client, sort="prize") == [token_challenge, water, solar, battery]
    # Full-text search: title, description and tags, words as prefixes, every word required.
    assert _ids(client, q="solar") == [solar]
    assert _ids(client, q="photovolta") == [solar]
    assert _ids(client, q="energy") == [battery, solar]
    assert _ids(client, q="energy lithium") == [battery]
    assert _ids(client, q="drinking water") == [water]
    assert _ids(client, q="nothing-like-this") == []
    assert _ids(client, q='"solar* (^') == [solar]  # search syntax is not the user's to write
    # Filters.
    assert _ids(client, status="cancelled") == [token_challenge]
    assert _ids(client, status="open", type="ideation") == [solar]
    assert _ids(client, type="rfp") == [battery]
    assert _ids(client, token=escrows.token.address.lower()) == [token_challenge]
    assert _ids(client, token=ETH) == [battery, water, solar]
    assert _ids(client, seeker=w3.eth.accounts[1]) == [battery]
    assert _ids(client, min_prize=str(ETHER)) == [token_challenge, water, solar]
    assert _ids(client, min_prize=str(ETHER + 1), max_prize=str(3 * ETHER)) == [water]
    assert _ids(client, max_prize="0") == [battery]
    now = chain.now()
    assert _ids(client, deadline_before=now + 6 * DAY) == [token_challenge, water]
    assert _ids(client, deadline_after=now + 6 * DAY, q="energy") == [battery, solar]
    # Metadata is only shown when verified; the token challenge's fake CID is not.
    listed = {item["challenge_id"]: item for item in client.get("/api/challenges").json()["items"]}
    assert listed[water]["title"] == "Water purification for villages"
    assert listed[water]["tags"] == ["water"]
    assert listed[token_challenge]["metadata_status"] == "unavailable"
    assert listed[token_challenge]["title"] is None

    for sort in ("newest", "deadline", "prize"):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 1} | ({"cursor": cursor} if cursor else {})
            page = client.get("/api/challenges", params=params).json()
            seen += [item["challenge_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == _ids(client, sort=sort)
    first_page = client.get("/api/challenges", params={"sort": "prize", "limit": 2}).json()
    assert (
        client.get("/api/challenges", params={"sort": "newest", "cursor": first_page["next_cursor"]}).status_code == 400
    )


def test_metadata_that_does_not_match_the_chain_is_flagged_and_never_shown(
    w3: Web3, escrows: Any, engine: Engine, ipfs: IpfsClient, client: TestClient
) -> None:
    chain = ChallengeChain(w3, escrows)
    genuine = sample_metadata("The genuine terms")
    substituted = sample_metadata("Substituted terms with a bigger prize", prize_display="1000 ETH")
    cid = ipfs.add_bytes(canonical_json(substituted)).cid
    flagged = chain.create(metadata_cid=bytes(cid), metadata_hash=metadata_hash(genuine))
    index(w3, engine, escrows)

    assert resolve_pending_metadata(engine, ipfs).mismatched == 1
    detail = client.get(f"/api/challenges/{flagged}").json()
    assert detail["metadata_status"] == "mismatch"
    assert (detail["title"], detail["tags"], detail["description_snippet"], detail["metadata"]) == (None,) * 4
    assert detail["metadata_cid"] == str(cid)
    assert _ids(client, q="substituted") == []
    assert _ids(client, q="genuine") == []
    # Flagged for good: the job does not fetch it again.
    assert resolve_pending_metadata(engine, ipfs) == type(resolve_pending_metadata(engine, ipfs))()


def test_unavailable_metadata_is_retried_with_backoff_until_it_appears(
    w3: Web3, escrows: Any, engine: Engine, ipfs: IpfsClient, client: TestClient
) -> None:
    chain = ChallengeChain(w3, escrows)
    # Unique per test run: the IPFS node is shared by the SQLite and PostgreSQL runs.
    title = f"Published late {escrows.challenge.address}"
    metadata = sample_metadata(title)
    raw = canonical_json(metadata)
    challenge_id = chain.create(metadata_cid=bytes(bytes_cid(raw)), metadata_hash=metadata_hash(metadata))
    index(w3, engine, escrows)
    policy = RetryPolicy(initial_s=60, max_s=600)
    start = chain.now()

    assert resolve_pending_metadata(engine, ipfs, policy=policy, now=start).unavailable == 1
    assert client.get(f"/api/challenges/{challenge_id}").json()["metadata_status"] == "unavailable"
    assert resolve_pending_metadata(engine, ipfs, policy=policy, now=start + 59).unavailable == 0  # not due yet
    assert resolve_pending_metadata(engine, ipfs, policy=policy, now=start + 60).unavailable == 1
    assert resolve_pending_metadata(engine, ipfs, policy=policy, now=start + 60 + 119).unavailable == 0  # doubled

    assert ipfs.add_bytes(raw).cid == bytes_cid(raw)
    assert resolve_pending_metadata(engine, ipfs, policy=policy, now=start + 60 + 120).verified == 1
    detail = client.get(f"/api/challenges/{challenge_id}").json()
    assert (detail["metadata_status"], detail["title"]) == ("verified", title)
    assert _ids(client, q="late") == [challenge_id]


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/challenges?cursor=not-a-cursor!", 400, "invalid page cursor"),
        ("/api/challenges?cursor=" + encode_cursor(["newest", "x", 1]), 400, "invalid page cursor"),
        ("/api/challenges?sort=prize&cursor=" + encode_cursor(["prize", "12a", 1]), 400, "invalid page cursor"),
        ("/api/challenges?sort=deadline&cursor=" + encode_cursor(["newest", 1, 1]), 400, "sorted by 'newest'"),
        ("/api/challenges?q=%20%2A%2A%20", 400, "no words"),
        ("/api/challenges?min_prize=5&max_prize=4", 400, "min_prize is larger"),
        ("/api/challenges?min_prize=" + str(2**256), 400, "exceeds a uint256"),
        ("/api/challenges?min_prize=1.5", 422, None),
        ("/api/challenges?min_prize=-1", 422, None),
        ("/api/challenges?status=finished", 422, None),
        ("/api/challenges?type=bounty", 422, None),
        ("/api/challenges?sort=oldest", 422, None),
        ("/api/challenges?seeker=0x1234", 422, None),
        ("/api/challenges?deadline_before=-3", 422, None),
        ("/api/challenges?limit=0", 422, None),
        ("/api/challenges?limit=101", 422, None),
        ("/api/challenges?colour=red", 422, None),
        ("/api/challenges/0", 422, None),
        ("/api/challenges/abc", 422, None),
        ("/api/challenges/" + str(2**63), 422, None),
        ("/api/challenges/7", 404, "no challenge 7"),
        ("/api/challenges/7/timeline", 404, "no challenge 7"),
        ("/api/challenges/7/submissions", 404, "no challenge 7"),
        ("/api/teams/3", 404, "no team 3"),
        ("/api/teams/-3", 422, None),
    ],
)
def test_bad_input_is_a_4xx_that_says_what_is_wrong(
    client: TestClient, path: str, status: int, detail: str | None
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    if detail is not None:
        assert detail in response.json()["detail"]


def test_the_openapi_documents_every_challenge_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/challenges",
        "/api/challenges/{challenge_id}",
        "/api/challenges/{challenge_id}/timeline",
        "/api/challenges/{challenge_id}/submissions",
        "/api/teams/{team_id}",
    ):
        operation = paths[path]["get"]
        assert operation["summary"] and operation["description"]
        assert {"200", "422"} <= set(operation["responses"])
        assert "400" in operation["responses"] or "404" in operation["responses"]
