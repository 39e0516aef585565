"""Benchmark and fuzz results: one JSON file per benchmark under bench/results/, one section
per part (e.g. gas.json has "challenge" and "microtask"), each written atomically."""

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from devstack.settings import PROJECT_ROOT
from devstack.toolchain import write_atomically

RESULTS_DIR = Path(os.environ.get("CROWDBOUNTY_RESULTS_DIR", PROJECT_ROOT / "bench" / "results"))


def record_results(benchmark: str, section: str, values: dict[str, Any]) -> Path:
    """Replace `section` of bench/results/<benchmark>.json with `values`; returns the file."""
    file = RESULTS_DIR / f"{benchmark}.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    # A lock file, because two benchmark parts may write sections of one file at once.
    with (file.parent / f".{benchmark}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        document = json.loads(file.read_text()) if file.exists() else {}
        document[section] = values
        write_atomically(file, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return file
