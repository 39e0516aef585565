"""The injected wallet itself, driven from a page in real Chromium as a dApp drives it: what
`window.ethereum.request()` answers, which errors and events reach the page, and that what it
signs and sends is right on the chain."""

import json
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from injected_wallet import INTERNAL_ERROR, UNAUTHORIZED, UNRECOGNIZED_CHAIN, USER_REJECTED, Signature
from playwright.sync_api import Page
from web3 import Web3
from web_support import OpenAs, WebStack

from client.wallets import dev_account
from devstack.settings import DEV_CHAIN_ID

ETH = 10**18
MAINNET = 1

# request() as a dApp calls it; a rejection comes back as data, so the test can look at it.
REQUEST = """async ({ method, params }) => {
  try {
    return { result: await window.ethereum.request({ method, params }) };
  } catch (error) {
    return { error: { code: error.code, message: error.message, data: error.data ?? null, isError: error instanceof Error } };
  }
}"""
LISTEN = """(event) => {
  window.heard = window.heard ?? {};
  window.heard[event] = [];
  window.ethereum.on(event, (value) => window.heard[event].push(value));
}"""


def ask(page: Page, method: str, *params: Any) -> dict[str, Any]:
    """`window.ethereum.request({method, params})` in the page: {"result": ...} or {"error": ...}."""
    reply: dict[str, Any] = page.evaluate(REQUEST, {"method": method, "params": list(params)})
    return reply


def heard(page: Page, event: str) -> list[Any]:
    values: list[Any] = page.evaluate("(event) => window.heard[event]", event)
    return values


BLANK_PATH = "/wallet-test"


def open_blank(open_as: OpenAs, web: WebStack, index: int) -> Page:
    """A page without scripts of its own on the backend's origin (served by the browser
    itself: no backend page is this cheap), so only the test talks to the wallet of `index`."""
    page = open_as(index, path=None)
    page.route(web.url + BLANK_PATH, lambda route: route.fulfill(content_type="text/html", body="<!doctype html>"))
    page.goto(web.url + BLANK_PATH)
    return page


@pytest.fixture
def page(open_as: OpenAs, web: WebStack) -> Page:
    return open_blank(open_as, web, 0)


def test_chain_id_is_the_test_chain(page: Page, web: WebStack) -> None:
    assert ask(page, "eth_chainId") == {"result": hex(web.platform.chain_id)}
    assert web.platform.chain_id == DEV_CHAIN_ID


def test_request_accounts_returns_the_dev_account(page: Page) -> None:
    assert ask(page, "eth_requestAccounts") == {"result": [dev_account(0).address]}


def test_accounts_stay_hidden_until_the_page_asks_for_them(page: Page) -> None:
    assert ask(page, "eth_accounts") == {"result": []}
    ask(page, "eth_requestAccounts")
    assert ask(page, "eth_accounts") == {"result": [dev_account(0).address]}


def test_personal_sign_recovers_to_the_account(page: Page, open_as: OpenAs) -> None:
    message = "Sign in to Crowdbounty\nNonce: 8f2c41"
    reply = ask(page, "personal_sign", "0x" + message.encode().hex(), dev_account(0).address)
    signature = reply["result"]
    assert Account.recover_message(encode_defunct(text=message), signature=signature) == dev_account(0).address
    assert open_as.wallet(page).signed == [Signature("personal_sign", message.encode(), signature)]


def test_typed_data_v4_signature_recovers_to_the_account(page: Page, web: WebStack) -> None:
    typed_data = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Claim": [{"name": "batchId", "type": "uint256"}, {"name": "taskIndex", "type": "uint32"}],
        },
        "primaryType": "Claim",
        "domain": {"name": "Test", "chainId": DEV_CHAIN_ID, "verifyingContract": web.platform.microtask.address},
        "message": {"batchId": 3, "taskIndex": 14},
    }
    # As a JSON string, the form MetaMask takes (and ethers sends).
    reply = ask(page, "eth_signTypedData_v4", dev_account(0).address, json.dumps(typed_data))
    recovered = Account.recover_message(encode_typed_data(full_message=typed_data), signature=reply["result"])
    assert recovered == dev_account(0).address


def test_send_transaction_moves_ether_to_the_recipient(page: Page, web: WebStack, open_as: OpenAs) -> None:
    w3 = web.platform.w3
    sender_before, recipient_before = web.platform.balance(0), web.platform.balance(2)
    reply = ask(
        page, "eth_sendTransaction", {"from": dev_account(0).address, "to": dev_account(2).address, "value": hex(ETH)}
    )
    receipt = w3.eth.wait_for_transaction_receipt(reply["result"])
    assert receipt["status"] == 1
    assert web.platform.balance(2) == recipient_before + ETH
    assert web.platform.balance(0) == sender_before - ETH - receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert open_as.wallet(page).sent == [reply["result"]]


def test_user_rejection_gives_code_4001_and_signs_nothing(page: Page, open_as: OpenAs) -> None:
    wallet = open_as.wallet(page)
    wallet.reject_next()
    reply = ask(page, "personal_sign", "0x" + b"hello".hex(), dev_account(0).address)
    assert reply["error"]["code"] == USER_REJECTED
    assert reply["error"]["isError"]
    assert wallet.signed == []


def test_signing_for_another_account_gives_code_4100(page: Page) -> None:
    reply = ask(page, "personal_sign", "0x" + b"hello".hex(), dev_account(1).address)
    assert reply["error"]["code"] == UNAUTHORIZED


def _nothing_to_claim(web: WebStack, challenge_id: int, account: str) -> str:
    """The revert data of ChallengeEscrow's `NothingToClaim(challengeId, account)`."""
    selector = Web3.keccak(text="NothingToClaim(uint256,address)")[:4]
    return "0x" + (selector + encode(["uint256", "address"], [challenge_id, account])).hex()


def test_reverting_transaction_gives_internal_error_with_revert_data(page: Page, web: WebStack) -> None:
    account = dev_account(0).address
    call = {
        "from": account,
        "to": web.platform.challenge.address,
        "data": web.platform.challenge.encode_abi("withdrawAward", [7]),
    }
    error = ask(page, "eth_sendTransaction", call)["error"]
    assert error["code"] == INTERNAL_ERROR
    assert "revert" in error["message"]
    assert error["data"] == _nothing_to_claim(web, 7, account)


def test_reverting_call_passes_the_nodes_revert_data_on(page: Page, web: WebStack) -> None:
    account = dev_account(0).address
    call = {
        "from": account,
        "to": web.platform.challenge.address,
        "data": web.platform.challenge.encode_abi("withdrawAward", [7]),
    }
    assert ask(page, "eth_call", call, "latest")["error"]["data"] == _nothing_to_claim(web, 7, account)


def test_ethers_decodes_the_custom_error_of_a_reverting_transaction(page: Page, web: WebStack) -> None:
    challenge = web.platform.challenge
    # ethers rejects a transaction whose gas estimate reverts with CALL_EXCEPTION and the
    # revert data; the dApp decodes it with the contract's interface.
    decoded = page.evaluate(
        """async ({ address, abi }) => {
          const { BrowserProvider, Contract } = await import("/vendor/ethers.js");
          const contract = new Contract(address, abi, await new BrowserProvider(window.ethereum).getSigner());
          try {
            await contract.withdrawAward(7);
            return null;
          } catch (error) {
            const revert = contract.interface.parseError(error.data);
            return { code: error.code, name: revert?.name, args: revert?.args.map(String) };
          }
        }""",
        {"address": challenge.address, "abi": challenge.abi},
    )
    assert decoded == {"code": "CALL_EXCEPTION", "name": "NothingToClaim", "args": ["7", dev_account(0).address]}


def test_another_chain_in_the_wallet_emits_chain_changed(page: Page, open_as: OpenAs) -> None:
    page.evaluate(LISTEN, "chainChanged")
    open_as.wallet(page).pretend_chain(MAINNET)
    assert heard(page, "chainChanged") == [hex(MAINNET)]
    assert ask(page, "eth_chainId") == {"result": hex(MAINNET)}


def test_switching_back_to_the_test_chain_emits_chain_changed(page: Page, open_as: OpenAs) -> None:
    open_as.wallet(page).pretend_chain(MAINNET)
    page.evaluate(LISTEN, "chainChanged")
    assert ask(page, "wallet_switchEthereumChain", {"chainId": hex(DEV_CHAIN_ID)}) == {"result": None}
    assert heard(page, "chainChanged") == [hex(DEV_CHAIN_ID)]
    assert ask(page, "eth_chainId") == {"result": hex(DEV_CHAIN_ID)}


def test_switching_to_an_unknown_chain_gives_code_4902(page: Page) -> None:
    reply = ask(page, "wallet_switchEthereumChain", {"chainId": hex(MAINNET)})
    assert reply["error"]["code"] == UNRECOGNIZED_CHAIN
    assert ask(page, "eth_chainId") == {"result": hex(DEV_CHAIN_ID)}


def test_nothing_is_sent_while_on_another_chain(page: Page, open_as: OpenAs) -> None:
    wallet = open_as.wallet(page)
    wallet.pretend_chain(MAINNET)
    reply = ask(page, "eth_sendTransaction", {"from": wallet.address, "to": dev_account(2).address, "value": "0x1"})
    assert reply["error"]["code"] == INTERNAL_ERROR
    assert wallet.sent == []


def test_another_account_in_the_wallet_emits_accounts_changed(page: Page, open_as: OpenAs) -> None:
    ask(page, "eth_requestAccounts")
    page.evaluate(LISTEN, "accountsChanged")
    open_as.wallet(page).use_account(dev_account(3))
    assert heard(page, "accountsChanged") == [[dev_account(3).address]]
    assert ask(page, "eth_accounts") == {"result": [dev_account(3).address]}


def test_other_methods_reach_the_chain(page: Page, web: WebStack) -> None:
    assert int(ask(page, "eth_blockNumber")["result"], 16) == web.platform.w3.eth.block_number


def test_each_context_has_its_own_account(page: Page, open_as: OpenAs, web: WebStack) -> None:
    other = open_blank(open_as, web, 4)
    assert ask(other, "eth_requestAccounts") == {"result": [dev_account(4).address]}
    assert ask(page, "eth_requestAccounts") == {"result": [dev_account(0).address]}


def test_the_wallet_is_announced_by_eip_6963(page: Page) -> None:
    announced = page.evaluate(
        """() => {
          let info = null;
          window.addEventListener("eip6963:announceProvider", (event) => {
            info = { ...event.detail.info, same: event.detail.provider === window.ethereum };
          });
          window.dispatchEvent(new Event("eip6963:requestProvider"));
          return info;
        }"""
    )
    assert announced["rdns"] == "org.crowdbounty.test-wallet"
    assert announced["same"]
