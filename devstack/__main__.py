"""Command line of the developer stack: `python -m devstack {setup,up,down,status}`."""

import argparse
import sys

from devstack import toolchain
from devstack.errors import DevstackError
from devstack.settings import DevstackSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="install and configure the toolchain (idempotent)")
    args = parser.parse_args(argv)
    settings = DevstackSettings()
    try:
        if args.command == "setup":
            toolchain.setup(settings)
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
