import httpx

from devstack.services import LocalIpfsNode


def test_node_keeps_content_across_restart(ipfs_node: LocalIpfsNode) -> None:
    added = httpx.post(
        f"{ipfs_node.api_url}/api/v0/add", params={"cid-version": 1, "raw-leaves": "true"}, files={"file": b"kept"}
    ).json()
    ipfs_node.stop()
    ipfs_node.start()
    content = httpx.post(f"{ipfs_node.api_url}/api/v0/cat", params={"arg": added["Hash"], "timeout": "2s"})
    assert content.content == b"kept"
