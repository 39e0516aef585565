"""POST /api/manifests on the real IPFS node, chain and both databases: a batch published
through the API is funded on chain with what the API returned, and the indexer and the
batch routes accept its manifest as verified; bad bodies are refused before anything is pinned."""

from typing import Any

import pytest
from conftest import sign_text, siwe_text
from eth_account import Account
from fastapi.testclient import TestClient
from microtask_support import ADDRESSES, KEYS, REQUESTER, REWARD, STRANGER, Market

from backend.schemas.manifests import MAX_TASKS
from backend.services.microtasks.manifest import parse_manifest

ROWS = [{"image": f"dog-{i}.png", "question": "Is it a dog?"} for i in range(5)]


@pytest.fixture
def api(market: Market) -> TestClient:
    """The market's client (its app serves /api/manifests)."""
    return market.client


def sign_in(client: TestClient, account_index: int) -> None:
    """A session cookie for dev account `account_index`, through the SIWE routes."""
    issued = client.post("/api/auth/nonce").json()
    account = Account.from_key(KEYS[account_index])
    text = siwe_text(account.address, issued["nonce"], domain=issued["domain"], uri=issued["uri"])
    response = client.post("/api/auth/login", json={"message": text, "signature": sign_text(account, text)})
    assert response.status_code == 200, response.text


def body(market: Market, tasks: list[Any], **metadata: Any) -> dict[str, Any]:
    fields = {
        "schema_version": 1,
        "kind": "task-batch",
        "title": "Label dogs",
        "instructions": "Say whether the picture shows a dog.",
        "reward_display": "0.001 ETH",
        "task_schema": {"type": "object"},
        "task_count": len(tasks),
        "deadline": market.chain_time() + 30 * 86400,
        "tags": ["images"],
    }
    return {"metadata": {**fields, **metadata}, "tasks": tasks}


def test_a_published_manifest_funds_a_batch_whose_tasks_the_api_lists(market: Market, api: TestClient) -> None:
    sign_in(api, REQUESTER)

    response = api.post("/api/manifests", json=body(market, ROWS))

    assert response.status_code == 201, response.text
    published = response.json()
    assert published["task_count"] == len(ROWS)
    manifest = parse_manifest(market.ipfs.fetch_bytes(published["manifest_cid"]), published["task_root"], len(ROWS))
    assert manifest.metadata_cid == published["metadata_cid"]
    assert manifest.metadata_hash == published["metadata_hash"]
    assert [task.input for task in manifest.tasks] == ROWS
    assert published["manifest_size"] == len(market.ipfs.fetch_bytes(published["manifest_cid"]))

    batch_id = market.fund(
        ROWS,
        taskRoot=bytes.fromhex(published["task_root"][2:]),
        manifestCid=published["manifest_cid"],
        bonusPool=0,
    )
    market.index()
    batch = api.get(f"/api/batches/{batch_id}").json()
    assert (batch["manifest_status"], batch["metadata_status"]) == ("verified", "verified")
    assert batch["title"] == "Label dogs"
    assert batch["requester"] == ADDRESSES[REQUESTER]
    assert batch["escrowed"] == str(REWARD * len(ROWS))
    tasks = api.get(f"/api/batches/{batch_id}/tasks").json()["items"]
    assert [task["input"] for task in tasks] == ROWS


def test_publishing_needs_a_session(market: Market, api: TestClient) -> None:
    response = api.post("/api/manifests", json=body(market, ROWS))

    assert response.status_code == 401
    assert "sign in" in response.json()["detail"]


@pytest.mark.parametrize(
    ("tasks", "metadata", "loc", "reason"),
    [
        (ROWS, {"task_count": 4}, ["body"], "task_count is 4 but 5 tasks were sent"),
        ([{"score": 0.5}], {}, ["body", "tasks"], "task 0: floats are not canonical"),
        ([], {"task_count": 1}, ["body", "tasks"], "at least 1 item"),
        ([{"n": "1"}] * (MAX_TASKS + 1), {}, ["body", "tasks"], f"at most {MAX_TASKS} items"),
        (ROWS, {"tags": ["Not A Tag"]}, ["body", "metadata", "tags", 0], "should match pattern"),
    ],
    ids=["count-mismatch", "float", "no-tasks", "too-many-tasks", "bad-tag"],
)
def test_a_malformed_batch_is_422_naming_what_is_wrong(
    market: Market, api: TestClient, tasks: list[Any], metadata: dict[str, Any], loc: list[Any], reason: str
) -> None:
    sign_in(api, STRANGER)

    response = api.post("/api/manifests", json=body(market, tasks, **metadata))

    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == loc
    assert reason in error["msg"]
