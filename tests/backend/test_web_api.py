"""The routes the web dApp needs from the backend: its page and vendor files, /api/config,
and IPFS for browsers (add needs a session, read is public), against a real js-ipfs node."""

import json
from collections.abc import Callable
from pathlib import Path

from conftest import Api, dev_account
from eth_utils.crypto import keccak

from backend.services.storage.metadata import verify_metadata
from devstack.services import LocalIpfsNode

METADATA = {
    "kind": "challenge",
    "title": "Cheaper water filters",
    "description": "Find a filter that costs under $1.",
    "challenge_type": "ideation",
    "prize_display": "1 ETH",
    "submission_deadline": 1_900_000_000,
    "review_deadline": 1_900_600_000,
    "agreement_cid": None,
    "tags": ["water"],
}


def test_the_page_loads_its_modules_through_an_import_map(make_api: Callable[..., Api]) -> None:
    page = make_api().client().get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="importmap">' in page.text
    assert '"ethers": "/vendor/ethers.js"' in page.text


def test_static_modules_are_served(make_api: Callable[..., Api]) -> None:
    module = make_api().client().get("/static/js/app.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]


def test_vendor_files_are_the_npm_packages(make_api: Callable[..., Api]) -> None:
    ethers = make_api().client().get("/vendor/ethers.js")
    assert ethers.status_code == 200
    assert ethers.headers["content-type"].startswith("text/javascript")
    assert "keccak256" in ethers.text


def test_only_listed_vendor_files_are_served(make_api: Callable[..., Api]) -> None:
    response = make_api().client().get("/vendor/package.json")
    assert response.status_code == 404
    assert "no vendor file" in response.json()["detail"]


def _deployments(folder: Path, names: list[str]) -> Path:
    contracts = {
        name: {"address": f"0x{index + 1:040x}", "block": 0, "tx": "0x", "bytecode_sha1": "", "abi": []}
        for index, name in enumerate(names)
    }
    path = folder / "web-deployments.json"
    path.write_text(json.dumps({"chain_id": 1337, "genesis_hash": "0x" + "00" * 32, "contracts": contracts}))
    return path


def test_config_names_the_chain_contracts_and_typed_data(make_api: Callable[..., Api], tmp_path: Path) -> None:
    file = _deployments(tmp_path, ["ChallengeEscrow", "ChallengeTeams", "MicrotaskEscrow"])
    config = make_api(deployments_file=file).client().get("/api/config").json()
    assert config["chain_id"] == 1337
    assert set(config["contracts"]) == {"ChallengeEscrow", "ChallengeTeams", "MicrotaskEscrow"}
    typed = config["microtask_typed_data"]
    microtask = config["contracts"]["MicrotaskEscrow"]["address"]
    assert typed["escrow_domain"]["verifyingContract"] == microtask
    assert typed["offchain_domain"]["name"] == "Crowdbounty Microtasks"
    assert {"Voucher", "Claim", "Result", "Review", "Qualification"} <= set(typed["types"])


def test_config_without_the_microtask_escrow_is_a_503(make_api: Callable[..., Api], tmp_path: Path) -> None:
    response = make_api(deployments_file=_deployments(tmp_path, ["ChallengeEscrow"])).client().get("/api/config")
    assert response.status_code == 503
    assert "MicrotaskEscrow" in response.json()["detail"]


def test_adding_to_ipfs_needs_a_session(make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode) -> None:
    with make_api(ipfs_api_url=running_ipfs_node.api_url).client() as client:
        response = client.post("/api/ipfs", content=b"hello", headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 401


def test_added_bytes_read_back_by_cid(make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode) -> None:
    api = make_api(ipfs_api_url=running_ipfs_node.api_url)
    with api.client() as client:
        api.sign_in(client, dev_account(1))
        content = b"an encrypted envelope, say" * 100
        added = client.post("/api/ipfs", content=content, headers={"Content-Type": "application/octet-stream"})
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["size"] == len(content)
        assert body["cid"].startswith("b")  # CIDv1, base32
        read = client.get(f"/api/ipfs/{body['cid']}")
        assert read.status_code == 200
        assert read.content == content
        assert "immutable" in read.headers["cache-control"]


def test_an_upload_over_the_limit_is_refused(make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode) -> None:
    api = make_api(ipfs_api_url=running_ipfs_node.api_url, web_upload_max_bytes=1000)
    with api.client() as client:
        api.sign_in(client, dev_account(1))
        response = client.post("/api/ipfs", content=b"x" * 1001, headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 413
        assert "1000 bytes" in response.json()["detail"]


def test_reading_a_malformed_cid_is_a_400(make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode) -> None:
    response = make_api(ipfs_api_url=running_ipfs_node.api_url).client().get("/api/ipfs/notacid123")
    assert response.status_code == 400
    assert "not a CID" in response.json()["detail"]


def test_published_metadata_verifies_against_its_hash(
    make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode
) -> None:
    api = make_api(ipfs_api_url=running_ipfs_node.api_url)
    with api.client() as client:
        api.sign_in(client, dev_account(0))
        published = client.post("/api/metadata", json=METADATA)
        assert published.status_code == 201, published.text
        body = published.json()
        raw = client.get(f"/api/ipfs/{body['cid']}").content
        assert body["metadata_hash"] == "0x" + keccak(raw).hex()
        assert verify_metadata(raw, keccak(raw)).title == METADATA["title"]  # type: ignore[union-attr]
        assert body["cid_bytes"].startswith("0x01")  # a binary CIDv1, as the contract stores it


def test_metadata_missing_a_field_is_a_422_naming_it(
    make_api: Callable[..., Api], running_ipfs_node: LocalIpfsNode
) -> None:
    api = make_api(ipfs_api_url=running_ipfs_node.api_url)
    with api.client() as client:
        api.sign_in(client, dev_account(0))
        response = client.post("/api/metadata", json={**METADATA, "title": ""})
        assert response.status_code == 422
        assert "title" in response.text
