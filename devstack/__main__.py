"""Command line of the developer stack: `python -m devstack COMMAND` (see `--help`)."""

import argparse
import json
import sys
from collections.abc import Callable

from devstack import checks, toolchain
from devstack.errors import DevstackError
from devstack.settings import DevstackSettings
from devstack.supervisor import Supervisor, up_detached


def _setup(settings: DevstackSettings, _args: argparse.Namespace) -> int:
    toolchain.setup(settings)
    return 0


def _up(settings: DevstackSettings, args: argparse.Namespace) -> int:
    if args.detach:
        return up_detached(settings, timeout_s=settings.start_timeout_s * 4)
    return Supervisor(settings).up()


def _status(settings: DevstackSettings, args: argparse.Namespace) -> int:
    supervisor = Supervisor(settings)
    if args.json:
        print(json.dumps(supervisor.status(), indent=2))
    else:
        supervisor.print_status()
    return 0


COMMANDS: dict[str, Callable[[DevstackSettings, argparse.Namespace], int]] = {
    "setup": _setup,
    "up": _up,
    "down": lambda settings, _args: Supervisor(settings).down(),
    "status": _status,
    "test": lambda _settings, args: checks.run_tests(args.only),
    "fuzz": lambda _settings, args: checks.run_fuzz(args.steps, args.paths),
    "bench": lambda _settings, args: checks.run_benchmarks(args.names),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="install and configure the toolchain (idempotent)")
    up = commands.add_parser("up", help="bring the local platform up and supervise it")
    up.add_argument("--detach", action="store_true", help="run the supervisor in the background")
    commands.add_parser("down", help="stop the local platform")
    status = commands.add_parser("status", help="show what runs and whether it is healthy")
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    test = commands.add_parser("test", help="lint, type-check and run every test suite")
    test.add_argument(
        "--only",
        type=lambda value: value.split(","),
        help=f"comma-separated steps of: {', '.join(checks.test_steps())}",
    )
    fuzz = commands.add_parser("fuzz", help="run the stateful contract tests long")
    fuzz.add_argument("--steps", type=int, default=10_000, help="steps per state machine")
    fuzz.add_argument("paths", nargs="*", help="test folders (default: tests/contracts)")
    bench = commands.add_parser("bench", help="run benchmarks; results go to bench/results/")
    bench.add_argument("names", nargs="*", choices=sorted(checks.BENCHMARKS), default=sorted(checks.BENCHMARKS))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](DevstackSettings(), args)
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
