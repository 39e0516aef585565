"""Every call the client makes to the backend, in one module: the backend's API is young,
so what it expects and returns is adapted here and nowhere else."""

import datetime
from pathlib import Path
from typing import Any, Self

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from backend.services.auth.siwe import SiweMessage, format_siwe_message
from client.context import AppContext
from client.errors import RefusedError, UnavailableError


class BackendClient:
    """The backend's HTTP API (`/api/...`) at `base_url`."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.base_url}/api", timeout=timeout_s)

    @classmethod
    def from_context(cls, context: AppContext) -> Self:
        return cls(context.client_settings.backend_url, context.client_settings.backend_timeout_s)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise UnavailableError(
                f"the backend at {self.base_url} does not answer ({type(error).__name__})",
                "start it with `make up` or set CROWDBOUNTY_BACKEND_URL",
            ) from error
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            if response.status_code >= 500:
                raise UnavailableError(f"the backend failed on {method} {path}: {detail}", "try again later")
            raise RefusedError(f"the backend refused {method} {path} ({response.status_code}): {detail}")
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    # -- sign-in (EIP-4361) and project rooms -----------------------------------------------

    def login(self, account: LocalAccount) -> None:
        """Sign in with Ethereum: sign the backend's nonce in an EIP-4361 message; the session
        token is then sent with every request."""
        issued = self._request("POST", "/auth/nonce")
        message = format_siwe_message(
            SiweMessage(
                domain=str(issued["domain"]),
                address=account.address,
                statement="Sign in to Crowdbounty.",
                uri=str(issued["uri"]),
                version=str(issued.get("version", "1")),
                chain_id=int(issued["chain_id"]),
                nonce=str(issued["nonce"]),
                issued_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
            )
        )
        signature = account.sign_message(encode_defunct(text=message)).signature
        session = self._request("POST", "/auth/login", json={"message": message, "signature": "0x" + signature.hex()})
        self._http.headers["Authorization"] = f"Bearer {session['token']}"

    def room(self, challenge_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", f"/challenges/{challenge_id}/room")
        return data

    def add_room_document(self, challenge_id: int, path: Path) -> dict[str, Any]:
        with path.open("rb") as content:
            files = {"file": (path.name, content, "application/octet-stream")}
            data: dict[str, Any] = self._request("POST", f"/challenges/{challenge_id}/room/documents", files=files)
        return data

    def room_document(self, challenge_id: int, document_id: int) -> bytes:
        return self._send("GET", f"/challenges/{challenge_id}/room/documents/{document_id}").content

    def _items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self._request("GET", path, params={**params, **({"cursor": cursor} if cursor else {})})
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def challenges(self, **filters: Any) -> list[dict[str, Any]]:
        """`GET /api/challenges` with its filters (q, status, type, token, seeker, sort...)."""
        return self._items("/challenges", **{k: v for k, v in filters.items() if v is not None})

    # -- micro-tasks ------------------------------------------------------------------------

    def batches(self, **filters: Any) -> list[dict[str, Any]]:
        return self._items("/batches", **{k: v for k, v in filters.items() if v is not None})

    def batch(self, batch_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", f"/batches/{batch_id}")
        return data

    def tasks(self, batch_id: int) -> list[dict[str, Any]]:
        return self._items(f"/batches/{batch_id}/tasks")

    def results(self, batch_id: int, status: str | None = None) -> list[dict[str, Any]]:
        return self._items(f"/batches/{batch_id}/results", **({"status": status} if status else {}))

    def claim(self, batch_id: int, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self._request("POST", f"/batches/{batch_id}/claims", json=body)
        return data

    def submit_result(self, batch_id: int, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self._request("POST", f"/batches/{batch_id}/results", json=body)
        return data

    def review(self, batch_id: int, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self._request("POST", f"/batches/{batch_id}/reviews", json=body)
        return data

    def issue_voucher(self, batch_id: int, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self._request("POST", f"/batches/{batch_id}/vouchers", json=body)
        return data

    def worker_vouchers(self, worker: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._request("GET", f"/workers/{worker}/vouchers")
        return data
