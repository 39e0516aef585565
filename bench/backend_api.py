"""API latency under load: 10,000+ real challenges on a private Ganache, indexed by the real
indexer (its PROJECTIONS) into SQLite and PostgreSQL, served by the real backend (uvicorn
subprocess), driven by an open-loop load generator at a fixed rate.

Run: `python -m bench.backend_api` (results in bench/results/backend.json, section "api").

Latency is measured from each request's *scheduled* send time, so a slow server cannot hide
its queue by slowing the generator down (no coordinated omission).
"""

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import Engine, func, select
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import Wei

from backend.core.config import get_settings
from backend.db import make_engine
from backend.models import Base, ChainEvent
from backend.services.database import migrate
from backend.services.deployments import load_deployments
from backend.services.indexer import PROJECTIONS, Indexer, IndexerConfig, contracts_from_deployments
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import ChallengeMetadata, metadata_hash, publish_metadata
from devstack.contracts import Platform, deploy, deploy_platform
from devstack.results import record_results
from devstack.services import LocalBackend, LocalChain, LocalIpfsNode, LocalPostgres

CHALLENGES = 10_000
# ~69k gas each (measured): 200 take 13.9M of Ganache's 30M block gas limit.
CHALLENGES_PER_TRANSACTION = 200
# Challenges created by the dev accounts themselves, so profiles of people (not only of the
# batch contract) have something to show.
DIRECT_CHALLENGES_PER_ACCOUNT = 5
CANCEL_EVERY = 10
METADATA_DOCUMENTS = 64
PRIZE_WEI = 10**15
DAY = 86_400

RATE_PER_S = 200
DURATION_S = 30.0
WARMUP_S = 3.0
REQUEST_TIMEOUT_S = 10.0

WORDS = (
    "solar", "battery", "water", "filter", "protein", "folding", "robot", "gripper", "vaccine", "storage",
    "graph", "compression", "bridge", "sensor", "drone", "mapping", "soil", "carbon", "capture", "translation",
    "privacy", "wallet", "recycling", "plastic", "ocean", "cooling", "algorithm", "scheduling", "textile", "dye",
)  # fmt: skip
# The mix: (kind, weight). Kinds whose path the API does not serve are left out and reported.
MIX = (("search", 0.2), ("list", 0.35), ("detail", 0.35), ("profile", 0.1))
CHALLENGES_PATH = "/api/challenges"
PROFILES_PREFIX = "/api/profiles/"


# ---------------------------------------------------------------- chain seeding


def _metadata_documents(client: IpfsClient, now: int) -> tuple[list[bytes], list[bytes]]:
    """Publish distinct challenge metadata to IPFS; returns their CIDs (binary) and hashes."""
    rng = random.Random(7)  # noqa: S311 - a fixed, reproducible choice of words
    cids, hashes = [], []
    for number in range(METADATA_DOCUMENTS):
        words = rng.sample(WORDS, 4)
        metadata = ChallengeMetadata(
            title=f"{words[0].capitalize()} {words[1]} for {words[2]} {words[3]} #{number}",
            description=f"Find a better {words[1]} for {words[2]}. " * 5,
            challenge_type=rng.choice(["ideation", "theoretical", "reduction-to-practice", "software", "other"]),
            prize_display="0.001 ETH",
            submission_deadline=now + 30 * DAY,
            review_deadline=now + 60 * DAY,
            agreement_cid=None,
            tags=words[:2],
        )
        cid, digest = publish_metadata(client, metadata)
        assert digest == metadata_hash(metadata)
        cids.append(bytes(cid))
        hashes.append(digest)
    return cids, hashes


def _terms(w3: Web3, cid: bytes, digest: bytes, kind: int = 0) -> tuple[Any, ...]:
    """ChallengeTerms in the struct's field order: an ETH challenge with one prize slot."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    agreement = Web3.keccak(text="Crowdbounty challenge agreement v1")
    zero_address, zero32 = "0x" + "00" * 20, b"\x00" * 32
    return (kind, zero_address, [PRIZE_WEI], now + 30 * DAY, now + 60 * DAY, agreement, cid, digest,
            Web3.keccak(text="seeker key"), zero_address, 0, zero32)  # fmt: skip


@dataclass
class Seeded:
    challenges: int
    cancelled: int
    seconds: float
    seekers: list[str]


def _seed(w3: Web3, platform: Platform, cids: list[bytes], hashes: list[bytes], challenges: int) -> Seeded:
    """Create the challenges: most through ChallengeBatcher (many per transaction), some by
    the dev accounts directly; then cancel every CANCEL_EVERY-th batch challenge."""
    started = time.perf_counter()
    escrow = platform.challenge
    accounts = list(w3.eth.accounts)
    pending = []
    for index, account in enumerate(accounts):
        for number in range(DIRECT_CHALLENGES_PER_ACCOUNT):
            n = index * DIRECT_CHALLENGES_PER_ACCOUNT + number
            terms = _terms(w3, cids[n % len(cids)], hashes[n % len(hashes)], kind=n % 2)
            pending.append(escrow.functions.createChallenge(terms).transact({"from": account, "value": Wei(PRIZE_WEI)}))
    batcher, _ = deploy(w3, "ChallengeBatcher")
    direct = len(pending)
    remaining = challenges - direct
    template = _terms(w3, cids[0], hashes[0])
    while remaining > 0:
        count = min(CHALLENGES_PER_TRANSACTION, remaining)
        # Some are RFPs, which take no prize: what is not spent stays with the batcher.
        call = batcher.functions.createMany(escrow.address, template, cids, hashes, count)
        pending.append(call.transact({"value": Wei(count * PRIZE_WEI), "gas": 29_000_000}))
        remaining -= count
    _wait_all(w3, pending)
    total = int(escrow.functions.challengeCount().call())
    cancelled = _cancel(w3, batcher, escrow, first=direct + 1, last=total)
    seekers = [str(address) for address in (batcher.address, *accounts)]
    return Seeded(total, cancelled, time.perf_counter() - started, seekers)


def _cancel(w3: Web3, batcher: Contract, escrow: Contract, first: int, last: int) -> int:
    ids = list(range(first, last + 1, CANCEL_EVERY))
    pending = [
        batcher.functions.cancelMany(escrow.address, ids[start : start + 400]).transact({"gas": 29_000_000})
        for start in range(0, len(ids), 400)
    ]
    _wait_all(w3, pending)
    return len(ids)


def _wait_all(w3: Web3, tx_hashes: list[Any]) -> None:
    for tx_hash in tx_hashes:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=300)
        if receipt["status"] != 1:
            raise RuntimeError(f"seeding transaction {tx_hash.hex()} reverted")


# ---------------------------------------------------------------- indexing


def _index(w3: Web3, engine: Engine, deployments_file: Path) -> dict[str, Any]:
    """Run the real indexer with the platform's projections until it has caught up."""
    migrate(engine)
    deployments = load_deployments(deployments_file)
    indexer = Indexer(
        w3,
        engine,
        contracts_from_deployments(deployments),
        config=IndexerConfig(max_block_range=2000),
        projections=PROJECTIONS,
        expected_chain_id=deployments.chain_id,
    )
    started = time.perf_counter()
    events = 0
    while True:
        stats = indexer.run_once()
        events += stats.events
        if stats.caught_up:
            break
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        created = connection.execute(
            select(func.count()).select_from(ChainEvent).where(ChainEvent.event_name == "ChallengeCreated")
        ).scalar_one()
        # The challenges table belongs to the challenges domain; counted by name, so this
        # benchmark runs (and says so) on a tree without it.
        table = Base.metadata.tables.get("challenges")
        indexed = None if table is None else connection.execute(select(func.count()).select_from(table)).scalar_one()
    return {
        "indexing_s": round(seconds, 2),
        "indexed_events": events,
        "challenge_created_events": created,
        "challenges_indexed": indexed,
        "projections": [projection.name for projection in PROJECTIONS],
    }


# ---------------------------------------------------------------- load


@dataclass
class Route:
    """The API paths of the mix, found in the served OpenAPI document."""

    search: bool = False
    statuses: list[str] = field(default_factory=list)
    list_: bool = False
    detail: str | None = None  # path template, e.g. /api/challenges/{challenge_id}
    profile: str | None = None

    @classmethod
    def from_openapi(cls, document: dict[str, Any]) -> "Route":
        paths: dict[str, Any] = document.get("paths", {})
        route = cls()
        listing = paths.get(CHALLENGES_PATH, {}).get("get")
        if listing is not None:
            route.list_ = True
            for parameter in listing.get("parameters", []):
                if parameter["name"] == "q":
                    route.search = True
                if parameter["name"] == "status":
                    route.statuses = _enum_of(parameter.get("schema", {}), document)
        for path, operations in paths.items():
            if "get" not in operations or path.count("{") != 1 or not path.endswith("}"):
                continue
            if path.startswith(CHALLENGES_PATH + "/{"):
                route.detail = path
            if path.startswith(PROFILES_PREFIX + "{"):
                route.profile = path
        return route

    def kinds(self) -> list[str]:
        present = {
            "search": self.search,
            "list": self.list_,
            "detail": bool(self.detail),
            "profile": bool(self.profile),
        }
        return [kind for kind, _ in MIX if present[kind]]


def _enum_of(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """The enum values of a parameter schema, through $ref and anyOf (Optional) wrappers."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _enum_of(document["components"]["schemas"][name], document)
    if "enum" in schema:
        return [str(value) for value in schema["enum"]]
    for option in schema.get("anyOf", []):
        values = _enum_of(option, document)
        if values:
            return values
    return []


class RequestPlan:
    """Chooses each request of the mix; list requests follow cursors handed out by earlier pages."""

    def __init__(self, route: Route, challenges: int, seekers: list[str], seed: int = 1) -> None:
        self.route = route
        self.challenges = challenges
        self.seekers = seekers
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible request mix
        kinds = route.kinds()
        self.kinds = kinds
        self.weights = [weight for kind, weight in MIX if kind in kinds]
        self.cursors: list[tuple[dict[str, str], str]] = []

    def next(self) -> tuple[str, str, dict[str, str]]:
        """(kind, path, query) of the next request."""
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "search":
            return kind, CHALLENGES_PATH, {"q": self.rng.choice(WORDS), "limit": "20"}
        if kind == "list":
            if self.cursors and self.rng.random() < 0.5:
                params, cursor = self.cursors.pop(self.rng.randrange(len(self.cursors)))
                return kind, CHALLENGES_PATH, {**params, "cursor": cursor}
            params = {"limit": "20"}
            if self.route.statuses:
                params["status"] = self.rng.choice(self.route.statuses)
            return kind, CHALLENGES_PATH, params
        template = self.route.detail if kind == "detail" else self.route.profile
        assert template is not None
        value = str(self.rng.randint(1, self.challenges)) if kind == "detail" else self.rng.choice(self.seekers)
        return kind, template[: template.index("{")] + value, {}

    def learn(self, kind: str, params: dict[str, str], body: Any) -> None:
        if kind == "list" and isinstance(body, dict) and body.get("next_cursor") and len(self.cursors) < 200:
            base = {key: value for key, value in params.items() if key != "cursor"}
            self.cursors.append((base, str(body["next_cursor"])))


@dataclass
class Sample:
    kind: str
    scheduled: float
    finished: float
    ok: bool
    detail: str = ""

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.scheduled) * 1000


async def _one(
    session: aiohttp.ClientSession, plan: RequestPlan, scheduled: float, samples: list[Sample], record: bool
) -> None:
    await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
    kind, path, params = plan.next()
    try:
        async with session.get(path, params=params) as reply:
            body = await reply.read()
            ok = reply.status == 200
            detail = "" if ok else f"{reply.status} {path} {params} {body[:200]!r}"
        if ok:
            plan.learn(kind, params, json.loads(body))
    except (aiohttp.ClientError, TimeoutError) as error:
        ok, detail = False, f"{type(error).__name__} {path} {params}"
    if record:
        samples.append(Sample(kind, scheduled, time.perf_counter(), ok, detail))


async def _drive(url: str, plan: RequestPlan, rate: float, duration_s: float, warmup_s: float) -> list[Sample]:
    """Open loop: request i is sent at start + i/rate whether or not earlier ones have finished.

    aiohttp, not httpx: httpx's connection pool spends CPU in proportion to queued requests
    times connections, and at 200 requests/s the generator itself became the bottleneck.
    """
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        start = time.perf_counter() + 0.1
        total = int((warmup_s + duration_s) * rate)
        warmup = int(warmup_s * rate)
        tasks = [
            asyncio.create_task(_one(session, plan, start + i / rate, samples, record=i >= warmup))
            for i in range(total)
        ]
        await asyncio.gather(*tasks)
    return samples


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def _summary(samples: list[Sample], route: Route) -> dict[str, Any]:
    latencies = sorted(sample.latency_ms for sample in samples)
    errors = [sample for sample in samples if not sample.ok]
    span_s = max(s.finished for s in samples) - min(s.scheduled for s in samples) if samples else 0.0
    per_kind = {}
    for kind in route.kinds():
        own = sorted(sample.latency_ms for sample in samples if sample.kind == kind)
        if own:
            per_kind[kind] = {"requests": len(own), "p50_ms": round(_percentile(own, 0.5), 2),
                              "p99_ms": round(_percentile(own, 0.99), 2)}  # fmt: skip
    return {
        "requests": len(samples),
        # Answered requests per second, from the first scheduled send to the last answer.
        "api_rps": round((len(samples) - len(errors)) / span_s, 1) if samples else None,
        "api_p50_ms": round(_percentile(latencies, 0.5), 2) if latencies else None,
        "api_p99_ms": round(_percentile(latencies, 0.99), 2) if latencies else None,
        "api_max_ms": round(latencies[-1], 2) if latencies else None,
        "api_errors": len(errors),
        "error_examples": sorted({error.detail for error in errors})[:5],
        "by_kind": per_kind,
    }


def _load(backend: LocalBackend, seeded: Seeded, rate: float, duration_s: float) -> dict[str, Any]:
    route = Route.from_openapi(httpx.get(f"{backend.url}/openapi.json").json())
    kinds = route.kinds()
    if not kinds:
        return {"mix": [], "skipped": [kind for kind, _ in MIX], "api_errors": None, "requests": 0}
    plan = RequestPlan(route, seeded.challenges, seeded.seekers)
    samples = asyncio.run(_drive(backend.url, plan, rate, duration_s, WARMUP_S))
    return {
        "mix": {kind: weight for kind, weight in MIX if kind in kinds},
        "skipped": [kind for kind, _ in MIX if kind not in kinds],
        "statuses": route.statuses,
        "paths": [path for path in (CHALLENGES_PATH if route.list_ else None, route.detail, route.profile) if path],
        **_summary(samples, route),
    }


# ---------------------------------------------------------------- the run


@dataclass
class Stack:
    root: Path
    chain: LocalChain
    ipfs: LocalIpfsNode
    deployments_file: Path

    def environment(self, database_url: str) -> dict[str, str]:
        return {
            "CROWDBOUNTY_RPC_URL": self.chain.rpc_url,
            "CROWDBOUNTY_IPFS_API_URL": self.ipfs.api_url,
            "CROWDBOUNTY_DEPLOYMENTS_FILE": str(self.deployments_file),
            "CROWDBOUNTY_DATABASE_URL": database_url,
            "CROWDBOUNTY_UPLOAD_QUEUE_DIR": str(self.root / "upload-queue"),
        }


def _database_urls(root: Path, postgres: LocalPostgres | None) -> Iterator[tuple[str, str]]:
    yield "sqlite", f"sqlite:///{root / 'backend.db'}"
    if postgres is not None:
        yield "postgresql", postgres.create_database("bench_api")


def _measure(stack: Stack, w3: Web3, seeded: Seeded, url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = stack.environment(url)
    # Whatever in this process reads the backend's settings (projections too) sees this stack.
    os.environ.update(env)
    get_settings.cache_clear()
    engine = make_engine(url)
    indexed = _index(w3, engine, stack.deployments_file)
    engine.dispose()
    with LocalBackend(stack.root / url.split(":", 1)[0], env, app=args.app) as backend:
        return {**indexed, **_load(backend, seeded, args.rate, args.duration)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backend_api", description=__doc__)
    parser.add_argument("--challenges", type=int, default=CHALLENGES, help="challenges to create and index")
    parser.add_argument("--rate", type=float, default=RATE_PER_S, help="requests per second")
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds of measured load")
    parser.add_argument("--app", default="backend.main:app", help="the ASGI app uvicorn serves")
    parser.add_argument("--no-postgresql", action="store_true", help="measure on SQLite only")
    parser.add_argument("--no-record", action="store_true", help="print, but do not write bench/results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crowdbounty-bench-api-", dir="/tmp") as folder:
        root = Path(folder)
        with LocalChain(root / "chain-root") as chain, LocalIpfsNode(root / "ipfs-root") as ipfs:
            w3 = Web3(HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 120}, exception_retry_configuration=None))
            w3.eth.default_account = w3.eth.accounts[0]
            stack = Stack(root, chain, ipfs, root / "deployments.json")
            platform = deploy_platform(w3)
            platform.write_deployments(w3, stack.deployments_file)
            now = int(w3.eth.get_block("latest")["timestamp"])
            cids, hashes = _metadata_documents(IpfsClient(ipfs.api_url), now)
            seeded = _seed(w3, platform, cids, hashes, args.challenges)
            results: dict[str, Any] = {
                "cpus": os.cpu_count(),
                "rate_per_s": args.rate,
                "duration_s": args.duration,
                "challenges_on_chain": seeded.challenges,
                "challenges_cancelled": seeded.cancelled,
                "seeding_s": round(seeded.seconds, 1),
            }
            postgres = None if args.no_postgresql else LocalPostgres()
            if postgres is not None:
                postgres.start()
            try:
                for name, url in _database_urls(root, postgres):
                    measured = _measure(stack, w3, seeded, url, args)
                    # SQLite (the default) gives the headline numbers; PostgreSQL its own section.
                    if name == "sqlite":
                        results.update(measured)
                    else:
                        results[name] = measured
            finally:
                if postgres is not None:
                    postgres.stop()
    print(json.dumps(results, indent=2))
    if not args.no_record:
        record_results("backend", "api", results)


if __name__ == "__main__":
    main()
