"""Command line of the developer stack: `python -m devstack {setup,up,down,status}`."""

import argparse
import json
import sys

from devstack import toolchain
from devstack.errors import DevstackError
from devstack.settings import DevstackSettings
from devstack.supervisor import Supervisor, up_detached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="install and configure the toolchain (idempotent)")
    up = commands.add_parser("up", help="bring the local platform up and supervise it")
    up.add_argument("--detach", action="store_true", help="run the supervisor in the background")
    commands.add_parser("down", help="stop the local platform")
    status = commands.add_parser("status", help="show what runs and whether it is healthy")
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    args = parser.parse_args(argv)
    settings = DevstackSettings()
    try:
        if args.command == "setup":
            toolchain.setup(settings)
        elif args.command == "up":
            if args.detach:
                return up_detached(settings, timeout_s=settings.start_timeout_s * 4)
            return Supervisor(settings).up()
        elif args.command == "down":
            return Supervisor(settings).down()
        elif args.command == "status":
            supervisor = Supervisor(settings)
            if args.json:
                print(json.dumps(supervisor.status(), indent=2))
            else:
                supervisor.print_status()
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
