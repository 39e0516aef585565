"""The IPFS HTTP client of the backend and the CLI; it trusts the node with nothing.

- `add_file` streams the file, adds it as CIDv1 with raw leaves and pins it, and checks
  the node's CID against the one computed locally.
- Reading goes block by block (`block/get`): every block is hashed and compared with the
  CID that named it, and file nodes are followed link by link, so every byte used has
  been verified, whatever chunking made the DAG. Content is streamed, never held whole.
- Every call has a client timeout and, where the node could wait for the network
  (`block/get`, `pin/add`), a shorter daemon-side one: a missing CID fails in bounded time.
- Connection failures and 502/503/504 are retried with backoff (tenacity); if the node
  stays unreachable the one error is `IpfsUnavailableError`, naming the URL and the fix.
"""

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import httpx
from multiformats import CID
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from backend.core.config import Settings, get_settings
from backend.services.storage._files import write_durably
from backend.services.storage.cid import CHUNK_BYTES, file_cid
from backend.services.storage.dagpb import UnixFsType, decode_node, decode_unixfs
from backend.services.storage.errors import (
    ContentNotFoundError,
    IntegrityError,
    IpfsRequestError,
    IpfsUnavailableError,
    ObjectTooLargeError,
)

_T = TypeVar("_T")
_RAW_CODEC = "raw"
_DAG_PB_CODEC = "dag-pb"
_SHA2_256 = "sha2-256"
# A raw leaf is CHUNK_BYTES; a file node holds at most 174 links of ~40 bytes. Twice the
# chunk is far above both and stops a hostile node from streaming an endless "block".
MAX_BLOCK_BYTES = 2 * CHUNK_BYTES
# Deeper than any file the importer builds (depth 4 already holds > 200 TB).
MAX_DAG_DEPTH = 16
_TRANSIENT_STATUS = frozenset({502, 503, 504})
# js-ipfs answers HTTP 500 with these while it shuts down (or starts): retry, then "unavailable".
_NODE_STOPPING_MESSAGES = ("Database is not open", "NotStartedError", "not started")


class _TransientError(Exception):
    """A failure worth retrying: the node is unreachable, restarting, or overloaded."""


@dataclass(frozen=True)
class AddedObject:
    cid: CID
    size: int


def _normalize_cid(cid: CID | str) -> CID:
    try:
        return cid if isinstance(cid, CID) else CID.decode(cid)
    except (ValueError, KeyError) as error:
        raise IntegrityError(f"not a CID: {cid!r}") from error


class IpfsClient:
    """A connection to one IPFS node's HTTP API (`/api/v0`)."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout_s: float = 30.0,
        fetch_timeout_s: float = 10.0,
        max_object_bytes: int = 256 * 1024 * 1024,
        retry_attempts: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.fetch_timeout_s = fetch_timeout_s
        self.max_object_bytes = max_object_bytes
        # `transport` lets tests put a lying proxy between client and node.
        self._http = httpx.Client(base_url=f"{self.api_url}/api/v0", timeout=timeout_s, transport=transport)
        self._retrying = Retrying(
            retry=retry_if_exception_type(_TransientError),
            stop=stop_after_attempt(retry_attempts),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Self:
        settings = settings or get_settings()
        return cls(
            settings.ipfs_api_url,
            timeout_s=settings.ipfs_timeout_s,
            fetch_timeout_s=settings.ipfs_fetch_timeout_s,
            max_object_bytes=settings.ipfs_max_object_bytes,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------

    def _call(self, attempt: Callable[[], _T], what: str, *, may_be_missing: bool = False) -> _T:
        """Run `attempt` with retries on transient failures; map transport errors to ours.

        `may_be_missing`: the call waits for content (block/get, pin/add), so a client
        timeout means the content was not found; elsewhere it means the node hangs.
        """

        def classified() -> _T:
            try:
                return attempt()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as error:
                raise _TransientError(f"{type(error).__name__}: {error}") from error
            except (httpx.ReadError, httpx.WriteError) as error:
                raise _TransientError(f"connection lost during {what}: {error}") from error

        try:
            return self._retrying(classified)
        except _TransientError as error:
            raise IpfsUnavailableError(self.api_url, str(error)) from error
        except httpx.TimeoutException as error:
            if may_be_missing:
                raise ContentNotFoundError(f"{what}: no answer within the client timeout ({error})") from error
            raise IpfsUnavailableError(self.api_url, f"no answer to {what} in time: {error}") from error

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        if response.status_code in _TRANSIENT_STATUS:
            raise _TransientError(f"HTTP {response.status_code}")
        try:
            message = str(response.json().get("Message", ""))
        except (json.JSONDecodeError, AttributeError, httpx.ResponseNotRead):
            message = ""
        if any(marker in message for marker in _NODE_STOPPING_MESSAGES):
            raise _TransientError(f"the node is stopping ({message})")
        if "timed out" in message or "not found" in message.lower():
            raise ContentNotFoundError(f"{what}: the node found nothing within {self.fetch_timeout_s:g} s ({message})")
        raise IpfsRequestError(f"{what}: HTTP {response.status_code} {message}".rstrip())

    def _node_timeout(self) -> dict[str, str]:
        # The node gives up first, so the client timeout only catches a node that hangs.
        return {"timeout": f"{int(self.fetch_timeout_s * 1000)}ms"}

    def _client_fetch_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.fetch_timeout_s + 5.0)

    # -- API ---------------------------------------------------------------------------

    def version(self) -> str:
        """The node's version; a cheap check that it answers."""

        def attempt() -> str:
            response = self._http.post("/version")
            self._raise_for_status(response, "version")
            return str(response.json()["Version"])

        return self._call(attempt, "version")

    def add_file(self, path: Path, *, pin: bool = True) -> AddedObject:
        """Add (and pin) a file, streamed; refuses a CID that differs from the local one."""
        size = path.stat().st_size
        if size > self.max_object_bytes:
            raise ObjectTooLargeError(f"{path} has {size} bytes, over the limit of {self.max_object_bytes}")
        expected = file_cid(path)
        params = {
            "cid-version": "1",
            "raw-leaves": "true",
            "chunker": f"size-{CHUNK_BYTES}",
            "hash": _SHA2_256,
            "pin": "true" if pin else "false",
            "progress": "false",
        }

        def attempt() -> CID:
            with path.open("rb") as content:
                response = self._http.post(
                    "/add", params=params, files={"file": (path.name, content, "application/octet-stream")}
                )
            self._raise_for_status(response, f"add {path.name}")
            # The answer is one JSON object per line; the file's is the last one.
            last_line = response.text.strip().splitlines()[-1]
            return _normalize_cid(json.loads(last_line)["Hash"])

        cid = self._call(attempt, f"add {path.name}")
        if cid != expected:
            raise IntegrityError(f"node stored {path.name} as {cid}, expected {expected}")
        return AddedObject(cid=expected, size=size)

    def add_bytes(self, data: bytes, *, pin: bool = True, name: str = "content") -> AddedObject:
        """`add_file` for content in memory (metadata documents, small envelopes)."""
        with tempfile.TemporaryDirectory(prefix="cb-add-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return self.add_file(path, pin=pin)

    def pin(self, cid: CID | str) -> None:
        """Pin recursively; fails within the fetch timeout if the node lacks a block."""
        cid = _normalize_cid(cid)

        def attempt() -> None:
            response = self._http.post(
                "/pin/add",
                params={"arg": str(cid), "recursive": "true", **self._node_timeout()},
                timeout=self._client_fetch_timeout(),
            )
            self._raise_for_status(response, f"pin {cid}")

        self._call(attempt, f"pin {cid}", may_be_missing=True)

    def get_block(self, cid: CID | str) -> bytes:
        """One block, verified against its CID (sha2-256 only, the only hash we add with)."""
        cid = _normalize_cid(cid)
        if cid.hashfun.name != _SHA2_256:
            raise IntegrityError(f"{cid} uses {cid.hashfun.name}; only {_SHA2_256} is accepted")

        def attempt() -> bytes:
            with self._http.stream(
                "POST",
                "/block/get",
                params={"arg": str(cid), **self._node_timeout()},
                timeout=self._client_fetch_timeout(),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_status(response, f"block {cid}")
                block = bytearray()
                for piece in response.iter_bytes():
                    block += piece
                    if len(block) > MAX_BLOCK_BYTES:
                        raise IntegrityError(f"block {cid} exceeds {MAX_BLOCK_BYTES} bytes")
                return bytes(block)

        block = self._call(attempt, f"block {cid}", may_be_missing=True)
        if hashlib.sha256(block).digest() != cid.raw_digest:
            raise IntegrityError(f"block {cid} does not match its CID")
        return block

    def iter_content(self, cid: CID | str) -> Iterator[bytes]:
        """The verified bytes of a file, in order, one block at a time.

        Raises IntegrityError on any mismatch, ObjectTooLargeError past the size limit.
        Consumers must not commit what they received until the iterator is exhausted.
        """
        yield from _ContentWalk(self, _normalize_cid(cid)).content()

    def fetch_bytes(self, cid: CID | str) -> bytes:
        return b"".join(self.iter_content(cid))

    def fetch_to_file(self, cid: CID | str, destination: Path) -> int:
        """Write verified content to `destination` atomically; returns its size."""
        return write_durably(destination, self.iter_content(cid))


class _ContentWalk:
    """Depth-first walk of a file DAG that checks every node's sizes against its links."""

    def __init__(self, client: IpfsClient, root: CID) -> None:
        self._client = client
        self._root = root
        self._delivered = 0

    def _deliver(self, data: bytes) -> bytes:
        self._delivered += len(data)
        if self._delivered > self._client.max_object_bytes:
            raise ObjectTooLargeError(f"{self._root} exceeds {self._client.max_object_bytes} bytes")
        return data

    def content(self) -> Iterator[bytes]:
        yield from self._walk(self._root, expected_size=None, depth=0)

    def _walk(self, cid: CID, expected_size: int | None, depth: int) -> Iterator[bytes]:
        if depth > MAX_DAG_DEPTH:
            raise IntegrityError(f"{self._root} is deeper than {MAX_DAG_DEPTH} levels")
        block = self._client.get_block(cid)
        codec = cid.codec.name
        if codec == _RAW_CODEC:
            if expected_size is not None and len(block) != expected_size:
                raise IntegrityError(f"leaf {cid} has {len(block)} bytes, its parent says {expected_size}")
            yield self._deliver(block)
            return
        if codec != _DAG_PB_CODEC:
            raise IntegrityError(f"{cid} has codec {codec}; a file is made of raw and dag-pb blocks")
        node = decode_node(block)
        if node.data is None:
            raise IntegrityError(f"dag-pb node {cid} has no UnixFS data")
        unixfs = decode_unixfs(node.data)
        if unixfs.type not in (UnixFsType.FILE, UnixFsType.RAW):
            raise IntegrityError(f"{cid} is a UnixFS {unixfs.type.name.lower()}, not a file")
        if len(unixfs.blocksizes) != len(node.links):
            raise IntegrityError(f"{cid} has {len(node.links)} links but {len(unixfs.blocksizes)} sizes")
        size = len(unixfs.data) + sum(unixfs.blocksizes)
        if unixfs.filesize is not None and unixfs.filesize != size:
            raise IntegrityError(f"{cid} claims {unixfs.filesize} bytes but its parts add up to {size}")
        if expected_size is not None and size != expected_size:
            raise IntegrityError(f"{cid} has {size} bytes, its parent says {expected_size}")
        if depth == 0 and size > self._client.max_object_bytes:
            raise ObjectTooLargeError(f"{cid} has {size} bytes, over the limit of {self._client.max_object_bytes}")
        if unixfs.data:
            yield self._deliver(unixfs.data)
        for link, child_size in zip(node.links, unixfs.blocksizes, strict=True):
            yield from self._walk(link.cid, child_size, depth + 1)
