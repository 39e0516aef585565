"""Storage benchmark: `python -m bench.storage` (from the project root).

Starts a private js-ipfs node in a temporary folder, then measures
- `seal_and_add_10mb_s`: encrypt, sign, add and pin a 10 MB file (best of 3);
- `fetch_verify_open_10mb_s`: fetch block by block, verify, check and decrypt it (best of 3);
- `peak_rss_mb_100mb_file` (and `_1mb_file` for comparison): the peak RSS of a fresh
  child process that seals, adds, fetches and opens a file from disk to disk.
Results go to bench/results/storage.json (section "storage").
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from nacl.public import PrivateKey

from backend.services.storage.envelope import EnvelopeContext
from backend.services.storage.envelope_store import fetch_and_open, seal_and_upload
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.queue import UploadQueue
from devstack.results import record_results
from devstack.services import LocalIpfsNode

MIB = 1024 * 1024
CONTEXT = EnvelopeContext(chain_id=1337, contract="0x5FbDB2315678afecb367f032d93F642f64180aa3", challenge_id=1)
SOLVER = Account.from_key(b"\x21" * 32)
SEEKER_KEY = PrivateKey(b"\x22" * 32)
RUNS = 3


def _random_file(path: Path, size_mib: int) -> Path:
    with path.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(MIB))
    return path


def _best_of(runs: int, action: Callable[[int], None]) -> float:
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        action(run)
        timings.append(time.perf_counter() - started)
    return min(timings)


def _round_trip(api_url: str, work_dir: Path, source: Path) -> None:
    with IpfsClient(api_url) as client:
        sealed = seal_and_upload(
            [source],
            context=CONTEXT,
            recipients=[SEEKER_KEY.public_key],
            author=SOLVER,
            queue=UploadQueue(work_dir / "queue", client),
        )
        fetch_and_open(client, sealed.cid, work_dir / "opened", private_key=SEEKER_KEY, expected=CONTEXT)


def _child_peak_rss_mb(api_url: str, work_dir: Path, size_mib: int) -> float:
    """Peak RSS of a fresh process doing seal + add + fetch + open of a `size_mib` file.

    The child reports its own `ru_maxrss`: RUSAGE_CHILDREN in this process would also
    count the `ipfs init` process that started the node.
    """
    work_dir.mkdir()
    source = _random_file(work_dir / "source.bin", size_mib)
    output = subprocess.run(
        [sys.executable, "-m", "bench.storage", "--child", api_url, str(work_dir), str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(output.stdout)["peak_rss_kib"]) / 1024


def _child(api_url: str, work_dir: Path, source: Path) -> None:
    _round_trip(api_url, work_dir, source)
    opened = work_dir / "opened" / source.name
    if opened.stat().st_size != source.stat().st_size:
        raise SystemExit("opened file differs from the source")
    print(json.dumps({"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        root = Path(folder)
        with LocalIpfsNode(root / "node") as node:
            source = _random_file(root / "ten.bin", 10)
            with IpfsClient(node.api_url) as client:
                queue = UploadQueue(root / "queue", client)
                cids = []

                def seal_and_add(_: int) -> None:
                    sealed = seal_and_upload(
                        [source], context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER, queue=queue
                    )
                    cids.append(sealed.cid)

                def fetch_verify_open(run: int) -> None:
                    fetch_and_open(client, cids[run], root / f"opened-{run}", private_key=SEEKER_KEY, expected=CONTEXT)

                results = {
                    "seal_and_add_10mb_s": _best_of(RUNS, seal_and_add),
                    "fetch_verify_open_10mb_s": _best_of(RUNS, fetch_verify_open),
                }
            results["peak_rss_mb_1mb_file"] = _child_peak_rss_mb(node.api_url, root / "rss-1", 1)
            results["peak_rss_mb_100mb_file"] = _child_peak_rss_mb(node.api_url, root / "rss-100", 100)
    return {name: round(value, 3) for name, value in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("API_URL", "WORK_DIR", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        api_url, work_dir, source = args.child
        _child(api_url, Path(work_dir), Path(source))
        return 0
    results = run()
    file = record_results("storage", "storage", results)
    width = max(len(name) for name in results)
    print(f"{'metric':<{width}}  value")
    for name, value in results.items():
        print(f"{name:<{width}}  {value:>8.3f}")
    print(f"written to {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
