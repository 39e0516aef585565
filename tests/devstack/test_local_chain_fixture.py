import httpx

from devstack.services import LocalChain


def _rpc(chain: LocalChain, method: str, *params: object) -> object:
    return httpx.post(chain.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()[
        "result"
    ]


def test_chain_keeps_blocks_across_restart(local_chain: LocalChain) -> None:
    accounts = _rpc(local_chain, "eth_accounts")
    assert isinstance(accounts, list)
    _rpc(local_chain, "eth_sendTransaction", {"from": accounts[0], "to": accounts[1], "value": "0x1"})
    block = _rpc(local_chain, "eth_blockNumber")
    local_chain.stop()
    local_chain.start()
    assert _rpc(local_chain, "eth_blockNumber") == block
    assert _rpc(local_chain, "eth_chainId") == hex(1337)
