"""A wallet for the browser tests: `window.ethereum` (EIP-1193) in the page, answered in Python.

The page side (injected_wallet.js) forwards every `request({method, params})` to
`InjectedWallet`, which signs with a dev account's key (eth-account) and talks to the test's
chain. Like MetaMask, it answers the account and chain questions itself (no accounts until
the page has asked with eth_requestAccounts), signs messages, typed data and transactions,
and forwards everything else to the node.

A test steers it where a user would click in a real wallet: `reject_next()` refuses the next
prompt (connect, sign, send, switch) with code 4001, `pretend_chain()` makes it report another
chain (and emit `chainChanged`), `use_account()` switches account (`accountsChanged`); and it
reads what was signed (`signed`) and sent (`sent`).
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.messages import SignableMessage, encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from playwright.sync_api import BrowserContext
from web3 import Web3
from web3.types import RPCEndpoint

log = logging.getLogger(__name__)

INIT_SCRIPT = Path(__file__).with_name("injected_wallet.js")
REQUEST_FUNCTION = "__crowdbountyWalletRequest"

# EIP-1193, EIP-1474 and EIP-3326 error codes.
USER_REJECTED = 4001
UNAUTHORIZED = 4100
UNRECOGNIZED_CHAIN = 4902
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

_QUANTITIES = ("value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce")


class ProviderError(Exception):
    """An EIP-1193 error, as the page receives it: a code, a message, and maybe data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass(frozen=True)
class Signature:
    """One signature the wallet gave: the method asked for, what was signed (the message's
    bytes, or the EIP-712 typed data), and the signature (0x-hex)."""

    method: str
    payload: bytes | dict[str, Any]
    signature: str


def _as_int(value: Any) -> int:
    """A JSON-RPC quantity ("0x1a"), a decimal string ("26") or a number, as an int."""
    return int(value, 0) if isinstance(value, str) else int(value)


def _message_bytes(message: Any) -> bytes:
    """personal_sign's message: 0x-hex bytes as dApps send them, or plain text as some do."""
    if isinstance(message, str) and message.startswith("0x"):
        try:
            return bytes.fromhex(message[2:])
        except ValueError:
            pass
    return str(message).encode()


def _revert_data(error: Mapping[str, Any]) -> Any:
    """The revert data of a node error. Ganache puts it in `data.result` for eth_estimateGas;
    geth, and so ethers (which decodes it into the contract's custom error), expect `data`
    itself to be the hex, as Ganache does for eth_call."""
    data = error.get("data")
    if isinstance(data, dict) and isinstance(data.get("result"), str):
        return data["result"]
    return data


class InjectedWallet:
    """The wallet behind one browser context's `window.ethereum`, holding one dev account."""

    def __init__(self, account: LocalAccount, w3: Web3) -> None:
        self.account = account
        self._w3 = w3
        self.chain_id = int(w3.eth.chain_id)
        self._pretended_chain_id: int | None = None
        self._rejections = 0
        self._contexts: list[BrowserContext] = []
        # Events caused by the request being answered; the page emits them before it resolves.
        self._reply_events: list[tuple[str, Any]] = []
        self.signed: list[Signature] = []
        self.sent: list[str] = []
        self.requests: list[str] = []
        # Like a real wallet on a site it has not connected to: no accounts until the page asks.
        self.connected = False
        self._handlers: dict[str, Callable[[list[Any]], Any]] = {
            "eth_requestAccounts": self._request_accounts,
            "eth_accounts": lambda _params: [self.address] if self.connected else [],
            "eth_chainId": lambda _params: hex(self.current_chain_id),
            "net_version": lambda _params: str(self.current_chain_id),
            "personal_sign": self._personal_sign,
            "eth_sign": self._eth_sign,
            "eth_signTypedData_v4": self._sign_typed_data,
            "eth_sendTransaction": self._send_transaction,
            "wallet_switchEthereumChain": self._switch_chain,
        }

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def current_chain_id(self) -> int:
        """The chain the wallet says it is on: the test's chain unless `pretend_chain()` changed it."""
        return self._pretended_chain_id if self._pretended_chain_id is not None else self.chain_id

    # ------------------------------------------------------------ what a test does

    def install(self, context: BrowserContext) -> None:
        """Give every page of `context` this wallet as `window.ethereum` (before its scripts run)."""
        context.add_init_script(path=INIT_SCRIPT)
        context.expose_function(REQUEST_FUNCTION, self._on_request)
        self._contexts.append(context)

    def reject_next(self, count: int = 1) -> None:
        """The user refuses the next `count` prompts (connect, sign, send, switch chain): 4001."""
        self._rejections += count

    def pretend_chain(self, chain_id: int) -> None:
        """Report `chain_id` from now on, as if the user switched networks in the wallet, and
        emit `chainChanged`; the test's own chain id switches back. Nothing is sent while
        pretending: the test's chain is the only real one."""
        pretended = None if chain_id == self.chain_id else chain_id
        if pretended != self._pretended_chain_id:
            self._pretended_chain_id = pretended
            self._emit("chainChanged", hex(chain_id))

    def use_account(self, account: LocalAccount) -> None:
        """Switch to `account`, as the user would in the wallet, and emit `accountsChanged`
        (only to a page it is connected to: the others are not told of accounts)."""
        self.account = account
        if self.connected:
            self._emit("accountsChanged", [self.address])

    def _emit(self, event: str, value: Any) -> None:
        for context in self._contexts:
            for page in context.pages:
                if not page.is_closed():
                    page.evaluate("([event, value]) => window.__crowdbountyWalletEmit?.(event, value)", [event, value])

    # ------------------------------------------------------------ what the page asks

    def _on_request(self, method: str, params: Any) -> dict[str, Any]:
        """Answer one `request()`: {"result": ...} or {"error": {code, message, data}}, plus
        the events it caused. Never raises: the page must get an EIP-1193 error, not a hang."""
        self.requests.append(method)
        self._reply_events = []
        reply: dict[str, Any]
        try:
            handler = self._handlers.get(method)
            args = params if isinstance(params, list) else [params]
            reply = {"result": handler(args) if handler else self._forward(method, params)}
        except ProviderError as error:
            reply = {"error": error.as_json()}
        except Exception as error:  # a wallet bug reaches the page (and the log), not a hang
            log.exception("the test wallet failed on %s", method)
            reply = {"error": {"code": INTERNAL_ERROR, "message": f"test wallet: {type(error).__name__}: {error}"}}
        if self._reply_events:
            reply["events"] = self._reply_events
        return reply

    def _forward(self, method: str, params: Any) -> Any:
        """Ask the node, passing its error on (with its revert data as geth gives it)."""
        response = self._w3.provider.make_request(RPCEndpoint(method), params)
        error = response.get("error")
        if isinstance(error, dict):
            raise ProviderError(
                int(error.get("code", INTERNAL_ERROR)), str(error.get("message", "")), _revert_data(error)
            )
        if error is not None:
            raise ProviderError(INTERNAL_ERROR, str(error))
        return response.get("result")

    def _ask_user(self) -> None:
        """The prompt a real wallet shows; the user accepts unless the test said otherwise."""
        if self._rejections:
            self._rejections -= 1
            raise ProviderError(USER_REJECTED, "User rejected the request.")

    def _check_account(self, address: Any) -> None:
        if not isinstance(address, str) or address.lower() != self.address.lower():
            raise ProviderError(UNAUTHORIZED, f"The account {address} has not been authorized by the user.")

    def _request_accounts(self, _params: list[Any]) -> list[str]:
        self._ask_user()
        self.connected = True
        return [self.address]

    def _sign(self, method: str, payload: bytes | dict[str, Any], message: SignableMessage) -> str:
        self._ask_user()
        signature = self.account.sign_message(message).signature.to_0x_hex()
        self.signed.append(Signature(method, payload, signature))
        return signature

    def _personal_sign(self, params: list[Any]) -> str:
        message, address = params[0], params[1]
        self._check_account(address)
        payload = _message_bytes(message)
        return self._sign("personal_sign", payload, encode_defunct(primitive=payload))

    def _eth_sign(self, params: list[Any]) -> str:
        # geth's eth_sign (EIP-191 prefixed), not MetaMask's removed raw-hash signing.
        address, message = params[0], params[1]
        self._check_account(address)
        payload = _message_bytes(message)
        return self._sign("eth_sign", payload, encode_defunct(primitive=payload))

    def _sign_typed_data(self, params: list[Any]) -> str:
        address, typed = params[0], params[1]
        self._check_account(address)
        data: dict[str, Any] = json.loads(typed) if isinstance(typed, str) else typed
        domain_chain = data.get("domain", {}).get("chainId")
        # MetaMask refuses to sign for another chain than the one it is on; so do we.
        if domain_chain is not None and _as_int(domain_chain) != self.current_chain_id:
            raise ProviderError(
                INTERNAL_ERROR,
                f'Provided chainId "{_as_int(domain_chain)}" must match the active chainId "{self.current_chain_id}"',
            )
        return self._sign("eth_signTypedData_v4", data, encode_typed_data(full_message=data))

    def _send_transaction(self, params: list[Any]) -> str:
        request: dict[str, Any] = params[0]
        self._check_account(request.get("from", self.address))
        if self._pretended_chain_id is not None:
            raise ProviderError(
                INTERNAL_ERROR,
                f"the test wallet pretends to be on chain {hex(self._pretended_chain_id)} and sends nothing "
                f"there; switch to {hex(self.chain_id)} first",
            )
        self._ask_user()
        call = {key: request[key] for key in (*_QUANTITIES, "to", "data", "accessList") if request.get(key) is not None}
        if "data" not in call and request.get("input") is not None:
            call["data"] = request["input"]
        call["from"] = self.address
        try:
            # What the dApp left out, the wallet fills in, as MetaMask does.
            if "gas" not in call:
                call["gas"] = self._forward("eth_estimateGas", [call])
            if "nonce" not in call:
                call["nonce"] = self._forward("eth_getTransactionCount", [self.address, "pending"])
            if "gasPrice" not in call:
                self._fill_fees(call)
            signed = self.account.sign_transaction(self._signable(call))
            tx_hash = str(self._forward("eth_sendRawTransaction", [signed.raw_transaction.to_0x_hex()]))
        except ProviderError as error:
            # EIP-1474's "internal error", with the node's message and revert data kept.
            raise ProviderError(INTERNAL_ERROR, error.message, error.data) from error
        self.sent.append(tx_hash)
        return tx_hash

    def _fill_fees(self, call: dict[str, Any]) -> None:
        """EIP-1559 fees where the chain has a base fee (MetaMask's "market" choice: twice the
        base fee plus the tip), else a legacy gas price."""
        base_fee = self._forward("eth_getBlockByNumber", ["latest", False]).get("baseFeePerGas")
        if base_fee is None:
            call["gasPrice"] = self._forward("eth_gasPrice", [])
            return
        call.setdefault("maxPriorityFeePerGas", self._forward("eth_maxPriorityFeePerGas", []))
        call.setdefault("maxFeePerGas", 2 * _as_int(base_fee) + _as_int(call["maxPriorityFeePerGas"]))

    def _signable(self, call: dict[str, Any]) -> dict[str, Any]:
        transaction: dict[str, Any] = {key: _as_int(call[key]) for key in _QUANTITIES if key in call}
        transaction.setdefault("value", 0)
        transaction["chainId"] = self.chain_id
        if "to" in call:
            transaction["to"] = to_checksum_address(call["to"])
        if "data" in call:
            transaction["data"] = call["data"]
        if "accessList" in call:
            transaction["accessList"] = call["accessList"]
        return transaction

    def _switch_chain(self, params: list[Any]) -> None:
        requested = _as_int(params[0]["chainId"])
        if requested == self.current_chain_id:
            return
        if requested != self.chain_id:
            raise ProviderError(
                UNRECOGNIZED_CHAIN,
                f'Unrecognized chain ID "{hex(requested)}". Try adding the chain using wallet_addEthereumChain first.',
            )
        self._ask_user()
        self._pretended_chain_id = None
        self._reply_events.append(("chainChanged", hex(self.chain_id)))
