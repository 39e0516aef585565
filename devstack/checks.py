"""`make test`, `make lint`, `make fuzz` and `make bench`: each step a real command, one summary."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from devstack.browser import CHROMIUM_VARIABLE, ensure_chromium
from devstack.errors import DevstackError
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
    # Runs just before the step (only if it is selected); returns variables to add to `env`.
    prepare: Callable[[], Mapping[str, str]] | None = None


def _existing(paths: Sequence[str]) -> list[str]:
    return [p for p in paths if (PROJECT_ROOT / p).exists()]


def brownie_test(paths: Sequence[str], *extra: str) -> Step:
    """The contract tests with CI's short fuzz budget; what the short runs record goes to
    build/, so they never overwrite the results of a real `make fuzz`."""
    return Step(
        "contracts",
        [str(BIN / "brownie"), "test", *paths, "--network", TEST_NETWORK_ID, *extra],
        {
            "CROWDBOUNTY_FUZZ_STEPS": str(CI_FUZZ_STEPS),
            "CROWDBOUNTY_RESULTS_DIR": str(PROJECT_ROOT / "build" / "results"),
        },
    )


def _browser_environment() -> dict[str, str]:
    """Install Debian's Chromium if missing and tell the browser tests where it is."""
    return {CHROMIUM_VARIABLE: str(ensure_chromium())}


def test_steps() -> dict[str, Step]:
    python_dirs = _existing(PYTHON_PACKAGES)
    pytest = [sys.executable, "-m", "pytest", "-p", "no:pytest-brownie"]
    return {
        "lint": Step("lint", [str(BIN / "ruff"), "check", *python_dirs]),
        "format": Step("format", [str(BIN / "ruff"), "format", "--check", *python_dirs]),
        "typecheck": Step("typecheck", [str(BIN / "mypy")]),
        "contracts": brownie_test(["tests/contracts"]),
        # Brownie's pytest plugin would load the contracts project for every run: off here.
        # The browser tests are a step of their own: they need Chromium, which `web` installs.
        "python": Step("python", [*pytest, "tests", "--ignore=tests/contracts", "--ignore=tests/web"]),
        "web": Step("web", [*pytest, "tests/web"], prepare=_browser_environment),
        # slither.config.json holds the rest; the compiler is our solcjs shim, never
        # solc-select's `solc`, which would try to download a binary.
        "slither": Step(
            "slither", [str(BIN / "slither"), "contracts/", "--solc", str(solc_shim_path()), "--fail-medium"]
        ),
    }


DEFAULT_TEST_STEPS = ("lint", "format", "typecheck", "contracts", "python", "web")


# pytest's closing line, e.g. "==== 3 failed, 120 passed, 2 skipped in 61.2s ====".
PYTEST_SUMMARY = re.compile(r"^=+ (?P<counts>.*\d+ (?:passed|failed|error|errors|skipped).*) in [\d.]+s")
PYTEST_COUNT = re.compile(r"(?P<number>\d+) (?P<outcome>passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass
class Outcome:
    name: str
    exit_code: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def _run_streaming(step: Step) -> Outcome:
    """Run a step, echoing its output as it comes, and read its pytest counts if any."""
    started = time.monotonic()
    counts: dict[str, int] = {}
    with subprocess.Popen(
        step.argv,
        cwd=PROJECT_ROOT,
        env={**os.environ, **step.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            summary = PYTEST_SUMMARY.match(ANSI_ESCAPE.sub("", line).strip())
            if summary:
                for match in PYTEST_COUNT.finditer(summary["counts"]):
                    outcome = "error" if match["outcome"].startswith("error") else match["outcome"]
                    counts[outcome] = counts.get(outcome, 0) + int(match["number"])
        sys.stdout.flush()
    return Outcome(step.name, process.returncode, time.monotonic() - started, counts)


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def run_steps(steps: Sequence[Step]) -> int:
    """Run every step even after a failure, then print one summary; non-zero if any failed."""
    outcomes: list[Outcome] = []
    for step in steps:
        print(f"\n=== {step.name}: {' '.join(step.argv)}", flush=True)
        started = time.monotonic()
        try:
            extra_env = step.prepare() if step.prepare else {}
        except DevstackError as error:
            # The step cannot run; the others still do, and the summary names it.
            print(f"error: {error}", flush=True)
            outcomes.append(Outcome(step.name, 1, time.monotonic() - started))
            continue
        outcome = _run_streaming(replace(step, env={**step.env, **extra_env}))
        outcome.seconds = time.monotonic() - started  # an install by `prepare` counts too
        outcomes.append(outcome)
    print("\n=== summary")
    totals: dict[str, int] = {}
    for outcome in outcomes:
        verdict = "ok    " if outcome.exit_code == 0 else "FAILED"
        counts = ", ".join(f"{number} {name}" for name, number in outcome.counts.items())
        print(f"  {verdict}  {outcome.name:<10} {outcome.seconds:7.1f} s  {counts}")
        for name, number in outcome.counts.items():
            totals[name] = totals.get(name, 0) + number
    failed_steps = [outcome.name for outcome in outcomes if outcome.exit_code != 0]
    if failed_steps:
        print(f"failed steps: {', '.join(failed_steps)}")
    # The closing line in the form CI reads: every test of every suite, added up.
    failed_tests = totals.get("failed", 0) + totals.get("error", 0)
    print(f"tests: {totals.get('passed', 0)} passed, {failed_tests} failed, {totals.get('skipped', 0)} skipped")
    return 1 if failed_steps else 0


def run_tests(only: Sequence[str] | None) -> int:
    steps = test_steps()
    names = list(only) if only else list(DEFAULT_TEST_STEPS)
    unknown = [name for name in names if name not in steps]
    if unknown:
        print(f"error: unknown step(s) {', '.join(unknown)}; choose from {', '.join(steps)}", file=sys.stderr)
        return 2
    return run_steps([steps[name] for name in names])


def run_fuzz(steps: int, paths: Sequence[str]) -> int:
    """Run the stateful contract tests for `steps` steps each, then report what ran from
    bench/results/fuzz.json."""
    step = brownie_test(paths or ["tests/contracts"], "-k", "stateful")
    code = run_steps([Step("fuzz", step.argv, {"CROWDBOUNTY_FUZZ_STEPS": str(steps)})])
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
    "backend": [
        Step("indexer", [sys.executable, "-m", "bench.backend_indexer"]),
        Step("api", [sys.executable, "-m", "bench.backend_api"]),
    ],
}


def run_benchmarks(names: Sequence[str]) -> int:
    return run_steps([step for name in names for step in BENCHMARKS[name]])
