"""The chain as the client sees it: web3 on the configured RPC, the platform's contracts from
the deployments file, transactions signed locally, and contract errors made readable."""

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_abi.abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_abi_to_4byte_selector
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import TxParams, TxReceipt, Wei

from backend.core.config import Settings
from backend.services.deployments import Deployments, load_deployments
from client.errors import InsufficientFundsError, RefusedError, UnavailableError
from client.settings import ClientSettings

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ERC20_ABI: list[dict[str, Any]] = [
    {
        "name": name,
        "type": "function",
        "stateMutability": mutability,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": out}],
    }
    for name, mutability, inputs, out in (
        ("approve", "nonpayable", (("spender", "address"), ("amount", "uint256")), "bool"),
        ("allowance", "view", (("owner", "address"), ("spender", "address")), "uint256"),
        ("balanceOf", "view", (("account", "address"),), "uint256"),
        ("decimals", "view", (), "uint8"),
        ("symbol", "view", (), "string"),
    )
]
# Contract errors whose arguments include a deadline: shown as a date, with what to do.
_DEADLINE_FIXES = {
    "DeadlinePassed": "the deadline passed; nothing can be done in this phase any more",
    "DeadlineNotReached": "wait until the deadline has passed",
    "WindowClosed": "the window closed; nothing can be done in this phase any more",
    "WindowOpen": "wait until the window has closed",
}
_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string), from require(..., "reason")
_FIXES = {
    "NotSeeker": "use the seeker's wallet (--account)",
    "NotRequester": "use the requester's wallet (--account)",
    "UnknownChallenge": "see `bounty challenge list`",
    "UnknownBatch": "see `bounty batch list`",
    "TermsFrozen": "a solver accepted the terms, so the challenge can no longer be cancelled",
    "NothingToWithdraw": "nothing is credited to this account in that token",
    "AlreadyAccepted": "this account accepted the terms already",
    "StaleVoucher": "this voucher was redeemed already; ask for a newer one",
}


@dataclass(frozen=True)
class GasRecord:
    label: str
    sender: str
    gas_used: int
    cost_wei: int
    tx_hash: str


@dataclass
class Network:
    """One chain with the platform deployed on it; every transaction's gas is recorded in `gas_log`."""

    w3: Web3
    deployments: Deployments
    tx_timeout_s: float
    gas_log: list[GasRecord] = field(default_factory=list)
    on_wait: Callable[[str], Any] | None = None

    @classmethod
    def connect(cls, settings: Settings, client_settings: ClientSettings) -> "Network":
        deployments = load_deployments(settings.deployments_file)
        w3 = Web3(
            HTTPProvider(
                settings.rpc_url,
                request_kwargs={"timeout": settings.rpc_timeout_s},
                exception_retry_configuration=None,
            )
        )
        try:
            chain_id = w3.eth.chain_id
        except (requests.ConnectionError, requests.Timeout, OSError) as error:
            raise UnavailableError(
                f"the chain at {settings.rpc_url} does not answer",
                "start it with `make up` or set CROWDBOUNTY_RPC_URL",
            ) from error
        if chain_id != deployments.chain_id:
            raise UnavailableError(
                f"wrong network: {settings.rpc_url} is chain {chain_id}, the deployments file is for chain {deployments.chain_id}",
                "point CROWDBOUNTY_RPC_URL at the chain the contracts were deployed to",
            )
        return cls(w3, deployments, client_settings.tx_timeout_s)

    @property
    def chain_id(self) -> int:
        return self.deployments.chain_id

    def contract(self, name: str) -> Contract:
        deployed = self.deployments.contract(name)
        return self.w3.eth.contract(address=Web3.to_checksum_address(deployed.address), abi=deployed.abi)

    def erc20(self, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=ERC20_ABI)

    def now(self) -> int:
        """The chain's clock (the latest block's timestamp), which the contracts compare with."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def balance(self, address: str, token: str = ZERO_ADDRESS) -> int:
        if token == ZERO_ADDRESS:
            return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))
        return int(self.erc20(token).functions.balanceOf(Web3.to_checksum_address(address)).call())

    def token_info(self, token: str) -> tuple[str, int]:
        """Symbol and decimals of `token` (ETH for the zero address)."""
        if token == ZERO_ADDRESS:
            return "ETH", 18
        contract = self.erc20(token)
        with self.readable_errors():
            return str(contract.functions.symbol().call()), int(contract.functions.decimals().call())

    def events(self, contract: Contract, name: str, from_block: int | None = None, **filters: Any) -> list[Any]:
        """Logs of event `name` with the given indexed arguments, from the deployment block."""
        start = self.deployments.contract(_name_of(self, contract)).block if from_block is None else from_block
        with self.readable_errors():
            return list(contract.events[name]().get_logs(from_block=start, argument_filters=filters or None))

    # -- transactions ---------------------------------------------------------------------

    def send(self, label: str, call: ContractFunction, account: LocalAccount, value: int = 0) -> TxReceipt:
        """Check `call` against the current state (nothing is sent if it would revert), sign it
        with `account`, send it and wait for its receipt. The gas used is added to `gas_log`."""
        with self.readable_errors():
            params: TxParams = {"from": account.address, "value": Wei(value), "chainId": self.chain_id}
            gas = int(call.estimate_gas(params))
            gas_price = int(self.w3.eth.gas_price)
            balance = self.balance(account.address)
            needed = value + gas * gas_price
            if balance < needed:
                raise InsufficientFundsError(
                    f"insufficient funds: {label} needs {Web3.from_wei(needed, 'ether')} ETH (value and gas), "
                    f"{account.address} has {Web3.from_wei(balance, 'ether')} ETH",
                    "send ETH to this account or use another one",
                )
            params["gas"] = gas + gas // 5  # margin: the state may move between estimate and inclusion
            params["gasPrice"] = Wei(gas_price)
            params["nonce"] = self.w3.eth.get_transaction_count(account.address, "pending")
            transaction = call.build_transaction(params)
            signed = account.sign_transaction(dict(transaction))  # type: ignore[arg-type]  # TxParams is a TypedDict
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            if self.on_wait is not None:
                self.on_wait(f"{label}: waiting for {tx_hash.to_0x_hex()}")
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.tx_timeout_s)
            except TimeExhausted:
                raise UnavailableError(
                    f"{label}: transaction {tx_hash.to_0x_hex()} not mined within {self.tx_timeout_s:.0f} s",
                    "check the chain, then look the transaction up before retrying",
                ) from None
        if receipt["status"] != 1:
            raise RefusedError(
                f"{label}: transaction {tx_hash.to_0x_hex()} reverted", "run the command again to see why"
            )
        self.gas_log.append(
            GasRecord(
                label,
                account.address,
                int(receipt["gasUsed"]),
                int(receipt["gasUsed"]) * gas_price,
                tx_hash.to_0x_hex(),
            )
        )
        return receipt

    def ensure_allowance(self, token: str, owner: LocalAccount, spender: str, amount: int) -> None:
        """Approve `spender` for `amount` of `token` if the allowance is short (ERC-20 prizes)."""
        if token == ZERO_ADDRESS or amount == 0:
            return
        contract = self.erc20(token)
        with self.readable_errors():
            allowance = int(contract.functions.allowance(owner.address, spender).call())
            held = int(contract.functions.balanceOf(owner.address).call())
        if held < amount:
            symbol, decimals = self.token_info(token)
            raise InsufficientFundsError(
                f"insufficient funds: {amount / 10**decimals} {symbol} needed, {owner.address} holds {held / 10**decimals}",
                f"get more {symbol} into this account",
            )
        if allowance < amount:
            self.send("approve", contract.functions.approve(spender, amount), owner)

    @contextmanager
    def readable_errors(self) -> Iterator[None]:
        """Contract reverts and RPC failures as client errors with one readable line."""
        try:
            yield
        except ContractCustomError as error:
            raise self._custom_error(HexBytes(str(error.data))) from None
        except ContractLogicError as error:
            # Ganache puts the revert data in `data.result`; geth-style nodes raise ContractCustomError.
            if isinstance(error.data, dict) and len(str(error.data.get("result", ""))) >= 10:
                raise self._custom_error(HexBytes(str(error.data["result"]))) from None
            raise RefusedError(f"the contract refused: {error.message or error}") from None
        except Web3RPCError as error:
            message = (
                str(error.rpc_response.get("error", {}).get("message", error)) if error.rpc_response else str(error)
            )
            if "insufficient funds" in message:
                raise InsufficientFundsError(f"insufficient funds: {message}", "send ETH to this account") from None
            raise RefusedError(f"the chain refused: {message}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise UnavailableError(
                "the chain does not answer", "start it with `make up` or check CROWDBOUNTY_RPC_URL"
            ) from error

    def _custom_error(self, data: HexBytes) -> RefusedError:
        if bytes(data[:4]) == _ERROR_STRING_SELECTOR:
            return RefusedError(f"the contract refused: {decode(['string'], bytes(data[4:]))[0]}")
        for deployed in self.deployments.contracts.values():
            for entry in deployed.abi:
                if entry.get("type") != "error" or function_abi_to_4byte_selector(entry) != bytes(data[:4]):  # type: ignore[arg-type]
                    continue
                names = [arg["name"] for arg in entry["inputs"]]
                values = decode([arg["type"] for arg in entry["inputs"]], bytes(data[4:]))
                return _readable(entry["name"], dict(zip(names, values, strict=True)))
        return RefusedError(f"the contract refused with unknown error data {data.to_0x_hex()}")


def _name_of(network: Network, contract: Contract) -> str:
    for name, deployed in network.deployments.contracts.items():
        if Web3.to_checksum_address(deployed.address) == contract.address:
            return name
    raise RefusedError(f"{contract.address} is not a deployed platform contract")


def human_time(timestamp: int) -> str:
    """A Unix time as people read it (UTC)."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _readable(name: str, args: dict[str, Any]) -> RefusedError:
    shown = ", ".join(f"{key}={_show(value)}" for key, value in args.items())
    if name in _DEADLINE_FIXES:
        deadline = int(args["deadline"])
        subject = f"challenge {args['challengeId']}" if "challengeId" in args else f"batch {args.get('batchId', '?')}"
        return RefusedError(
            f"{subject}: the deadline is {human_time(deadline)} ({name})",
            _DEADLINE_FIXES[name],
        )
    return RefusedError(f"the contract refused: {name}({shown})", _FIXES.get(name))
