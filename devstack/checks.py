"""`make test`, `make lint`, `make fuzz` and `make bench`: each step a real command, one summary."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack.results import RESULTS_DIR
from devstack.settings import PROJECT_ROOT, TEST_NETWORK_ID
from devstack.toolchain import solc_shim_path

BIN = Path(sys.executable).parent
PYTHON_PACKAGES = ["backend", "client", "devstack", "scripts", "bench", "tests"]
CI_FUZZ_STEPS = 200


@dataclass(frozen=True)
class Step:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def _existing(paths: Sequence[str]) -> list[str]:
    return [p for p in paths if (PROJECT_ROOT / p).exists()]


def brownie_test(paths: Sequence[str], *extra: str, env: dict[str, str] | None = None) -> Step:
    return Step(
        "contracts",
        [str(BIN / "brownie"), "test", *paths, "--network", TEST_NETWORK_ID, *extra],
        {"CROWDBOUNTY_FUZZ_STEPS": str(CI_FUZZ_STEPS), **(env or {})},
    )


def test_steps() -> dict[str, Step]:
    python_dirs = _existing(PYTHON_PACKAGES)
    return {
        "lint": Step("lint", [str(BIN / "ruff"), "check", *python_dirs]),
        "format": Step("format", [str(BIN / "ruff"), "format", "--check", *python_dirs]),
        "typecheck": Step("typecheck", [str(BIN / "mypy")]),
        "contracts": brownie_test(["tests/contracts"]),
        # Brownie's pytest plugin would load the contracts project for every run: off here.
        "python": Step(
            "python",
            [sys.executable, "-m", "pytest", "-p", "no:pytest-brownie", "tests", "--ignore=tests/contracts"],
        ),
        # slither.config.json holds the rest; the compiler is our solcjs shim, never
        # solc-select's `solc`, which would try to download a binary.
        "slither": Step(
            "slither", [str(BIN / "slither"), "contracts/", "--solc", str(solc_shim_path()), "--fail-medium"]
        ),
    }


DEFAULT_TEST_STEPS = ("lint", "format", "typecheck", "contracts", "python")


def run_steps(steps: Sequence[Step]) -> int:
    """Run every step even after a failure, then print one summary; non-zero if any failed."""
    outcomes: list[tuple[str, int, float]] = []
    for step in steps:
        print(f"\n=== {step.name}: {' '.join(step.argv)}", flush=True)
        started = time.monotonic()
        code = subprocess.run(step.argv, cwd=PROJECT_ROOT, env={**os.environ, **step.env}, check=False).returncode
        outcomes.append((step.name, code, time.monotonic() - started))
    print("\n=== summary")
    for name, code, seconds in outcomes:
        print(f"  {'ok    ' if code == 0 else 'FAILED'}  {name:<10} {seconds:7.1f} s")
    failed = [name for name, code, _ in outcomes if code != 0]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_tests(only: Sequence[str] | None) -> int:
    steps = test_steps()
    names = list(only) if only else list(DEFAULT_TEST_STEPS)
    unknown = [name for name in names if name not in steps]
    if unknown:
        print(f"error: unknown step(s) {', '.join(unknown)}; choose from {', '.join(steps)}", file=sys.stderr)
        return 2
    return run_steps([steps[name] for name in names])


def run_fuzz(steps: int) -> int:
    """Run the stateful contract tests for `steps` steps each, then report what ran."""
    (RESULTS_DIR / "fuzz.json").unlink(missing_ok=True)
    step = brownie_test(["tests/contracts"], "-k", "stateful", env={"CROWDBOUNTY_FUZZ_STEPS": str(steps)})
    code = run_steps([Step("fuzz", step.argv, step.env)])
    results_file = RESULTS_DIR / "fuzz.json"
    if results_file.exists():
        print(f"fuzz results ({results_file}):")
        for machine, values in json.loads(results_file.read_text()).items():
            print(f"  {machine:<10} steps {values.get('steps')}  violations {values.get('violations')}")
    return code


BENCHMARKS = {
    "gas": [
        Step(
            "gas-" + part,
            [str(BIN / "brownie"), "run", f"scripts/bench_gas_{part}.py", "--network", TEST_NETWORK_ID],
        )
        for part in ("challenge", "microtask")
    ],
    "storage": [Step("storage", [sys.executable, "-m", "bench.storage"])],
}


def run_benchmarks(names: Sequence[str]) -> int:
    return run_steps([step for name in names for step in BENCHMARKS[name]])
