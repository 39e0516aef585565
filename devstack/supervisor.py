"""The supervisor of the local platform.

It starts the chain and IPFS, deploys the contracts, starts the backend, waits for each to
be healthy, restarts a service that dies, and on Ctrl-C, SIGTERM or `make down` stops
exactly the processes it started: each is tracked by a PID file that also holds the
kernel's start time of the process, so nothing is ever stopped by name or by a reused PID.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from eth_account import Account

from devstack.errors import DevstackError, ServiceStartError
from devstack.process import ProcessRecord, ensure_port_free, log_tail, process_start_ticks, read_from, terminate
from devstack.services import Service, deploy_command, running_record, stack_services
from devstack.settings import DEV_CHAIN_ID, DEV_MNEMONIC, PROJECT_ROOT, DevstackSettings
from devstack.toolchain import write_atomically

DEPLOY_TIMEOUT_S = 300.0
MONITOR_INTERVAL_S = 1.0
SUPERVISOR = "supervisor"


class StopRequestedError(Exception):
    """Raised in the supervisor's main thread when SIGINT or SIGTERM arrives."""


def dev_accounts(count: int) -> list[tuple[str, str]]:
    """(address, private key) of the chain's unlocked development accounts."""
    Account.enable_unaudited_hdwallet_features()
    accounts = []
    for index in range(count):
        account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        accounts.append((account.address, account.key.hex()))
    return accounts


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    def request_stop(signum: int, _frame: FrameType | None) -> None:
        raise StopRequestedError(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class Supervisor:
    settings: DevstackSettings
    services: list[Service] = field(init=False)
    restarts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.services = stack_services(self.settings)

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / f"{SUPERVISOR}.pid"

    @property
    def state_file(self) -> Path:
        """Where the stack says how it is (read by `status`, tests and `up --detach`)."""
        return self.settings.run_dir / "stack.json"

    def running_supervisor(self) -> ProcessRecord | None:
        record = ProcessRecord.load(self.pid_file)
        return record if record is not None and record.is_alive() else None

    def _write_state(self, status: str, **extra: Any) -> None:
        state = {"status": status, "supervisor_pid": os.getpid(), **extra}
        write_atomically(self.state_file, json.dumps(state, indent=2) + "\n")

    def read_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {"status": "stopped"}
        return state

    # --- up -------------------------------------------------------------------------

    def up(self) -> int:
        """Bring the stack up and supervise it until asked to stop; returns an exit code."""
        running = self.running_supervisor()
        if running is not None:
            print(f"The stack is already up (supervisor pid {running.pid}); `make down` stops it.")
            self.print_status()
            return 0
        self.settings.run_dir.mkdir(parents=True, exist_ok=True)
        self._clear_leftovers()
        me = ProcessRecord(SUPERVISOR, os.getpid(), process_start_ticks(os.getpid()) or 0, sys.argv)
        me.save(self.pid_file)
        try:
            with _stop_on_signals():
                self._write_state("starting")
                started = time.monotonic()
                self._start_all()
                self._write_state("ready", **self._summary())
                self._print_summary(time.monotonic() - started)
                return self._monitor()
        except StopRequestedError as stop:
            print(f"\n{stop} received: stopping the stack...")
            return 0
        except DevstackError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        finally:
            with _ignore_signals():
                self._stop_all()
                self._write_state("stopped")
                self.pid_file.unlink(missing_ok=True)
                print("Stack stopped.")

    def _clear_leftovers(self) -> None:
        """Stop processes an earlier supervisor started but could not stop (it was killed),
        and drop PID files whose process is gone."""
        for service in self.services:
            record = service.process.record
            if record is None:
                continue
            if record.is_alive():
                print(f"Stopping {service.name} (pid {record.pid}) left running by an earlier run.")
                terminate(record, self.settings.stop_timeout_s)
            else:
                print(f"Removing stale PID file of {service.name} (pid {record.pid} is gone).")
            service.process.pid_file.unlink(missing_ok=True)

    def _start_service(self, service: Service) -> None:
        if service.port is not None:
            ensure_port_free(self.settings.host, service.port, service.name, service.port_setting)
        service.prepare()
        service.process.start()

    def _start_together(self, services: list[Service]) -> None:
        for service in services:
            print(f"Starting {service.name}...", flush=True)
            self._start_service(service)
        for service in services:
            service.process.wait_healthy(service.is_healthy, self.settings.start_timeout_s)
            print(f"  {service.name} is healthy", flush=True)

    def _start_all(self) -> None:
        # What needs no deployment (chain, IPFS) starts side by side; then the contracts are
        # deployed; then the rest starts in order (the backend's health waits for the indexer).
        self._start_together([s for s in self.services if not s.needs_deployment])
        self._deploy()
        for service in self.services:
            if service.needs_deployment:
                self._start_together([service])

    def _deploy(self) -> None:
        print("Deploying contracts (reusing a deployment already on this chain)...", flush=True)
        argv, env = deploy_command(self.settings)
        log_file = self.settings.run_dir / "deploy.log"
        with log_file.open("ab") as log:
            this_run_starts_at = log.tell()
            try:
                result = subprocess.run(
                    argv,
                    cwd=PROJECT_ROOT,
                    env={**os.environ, **env},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=DEPLOY_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as timeout:
                raise ServiceStartError(f"deployment took over {DEPLOY_TIMEOUT_S:.0f} s; see {log_file}") from timeout
        if result.returncode != 0:
            raise ServiceStartError(
                f"deployment failed (exit {result.returncode}). {log_file} ends:\n{log_tail(log_file)}"
            )
        for line in read_from(log_file, this_run_starts_at).splitlines():
            if ": deployed at " in line or ": reusing " in line:
                print(f"  {line.strip()}")
        self._match_index_to_deployment()

    def _match_index_to_deployment(self) -> None:
        """Move the backend's database aside when it indexed other contracts (a contract changed
        and was redeployed, or the chain was reset): its rows would collide with the new
        deployment's (challenge 1 of the old escrow and of the new one). Moved, never deleted;
        the indexer then indexes the new deployment from its first block."""
        deployments = json.loads(self.settings.deployments_file.read_text())
        identity = {
            "chain_id": deployments["chain_id"],
            "genesis_hash": deployments["genesis_hash"],
            "contracts": {name: contract["address"] for name, contract in deployments["contracts"].items()},
        }
        database = self.settings.database_file
        marker = database.with_name(f"{database.name}.deployment.json")
        indexed = json.loads(marker.read_text()) if marker.exists() else None
        if database.exists() and indexed != identity:
            moved_to = f"{database.name}.before-{time.strftime('%Y%m%d-%H%M%S')}"
            for suffix in ("", "-wal", "-shm"):
                part = database.with_name(database.name + suffix)
                if part.exists():
                    part.rename(database.with_name(moved_to + suffix))
            print(f"  the index was of other contracts: moved to {database.with_name(moved_to)}; re-indexing")
        write_atomically(marker, json.dumps(identity, indent=2))

    def _monitor(self) -> int:
        """Watch the services; restart one that died, up to `max_restarts` times each."""
        while True:
            time.sleep(MONITOR_INTERVAL_S)
            for service in self.services:
                code = service.process.exit_code()
                if code is None:
                    continue
                how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
                count = self.restarts.get(service.name, 0) + 1
                if count > self.settings.max_restarts:
                    print(f"{service.name} died ({how}) and was restarted {count - 1} times already; giving up.")
                    self._write_state("failed", failed=service.name)
                    return 1
                self.restarts[service.name] = count
                print(f"{service.name} died ({how}); restarting ({count}/{self.settings.max_restarts})...", flush=True)
                self._write_state("restarting", restarting=service.name, **self._summary())
                self._start_service(service)
                service.process.wait_healthy(service.is_healthy, self.settings.start_timeout_s)
                if service.name == "chain":
                    self._deploy()  # the chain persists, so this only confirms the contracts are there
                print(f"  {service.name} is healthy again", flush=True)
                self._write_state("ready", **self._summary())

    def _stop_all(self) -> None:
        for service in reversed(self.services):
            if service.process.record is not None:
                service.process.stop(self.settings.stop_timeout_s)

    # --- down and status ------------------------------------------------------------

    def down(self) -> int:
        """Stop a running stack: ask its supervisor, or stop orphans it left by PID."""
        running = self.running_supervisor()
        if running is not None:
            print(f"Stopping the stack (supervisor pid {running.pid})...")
            terminate(running, timeout_s=self.settings.stop_timeout_s * (len(self.services) + 1))
        self.pid_file.unlink(missing_ok=True)
        leftovers = [s for s in self.services if running_record(s) is not None]
        for service in leftovers:
            record = running_record(service)
            if record is not None:
                print(f"Stopping {service.name} (pid {record.pid})")
                terminate(record, self.settings.stop_timeout_s)
        for service in self.services:
            service.process.pid_file.unlink(missing_ok=True)
        if running is None and not leftovers:
            print("The stack is not running.")
        return 0

    def status(self) -> dict[str, Any]:
        services = {}
        for service in self.services:
            record = running_record(service)
            services[service.name] = {
                "pid": record.pid if record else None,
                "port": service.port,
                "healthy": bool(record) and service.is_healthy(),
            }
        supervisor = self.running_supervisor()
        return {
            "supervisor_pid": supervisor.pid if supervisor else None,
            "state": self.read_state().get("status", "stopped"),
            "services": services,
        }

    def print_status(self) -> None:
        status = self.status()
        print(f"stack: {status['state']} (supervisor pid {status['supervisor_pid']})")
        for name, info in status["services"].items():
            health = "healthy" if info["healthy"] else ("running, not healthy" if info["pid"] else "stopped")
            print(f"  {name:<8} port {info['port']!s:<6} pid {info['pid']!s:<8} {health}")

    # --- summary --------------------------------------------------------------------

    def _summary(self) -> dict[str, Any]:
        s = self.settings
        return {
            "chain_url": s.chain_url,
            "chain_id": DEV_CHAIN_ID,
            "ipfs_api_url": s.ipfs_api_url,
            "ipfs_gateway_url": f"http://{s.host}:{s.ipfs_gateway_port}",
            "backend_url": s.backend_url,
            "deployments_file": str(s.deployments_file),
            "logs": str(s.run_dir),
            "pids": {svc.name: svc.process.record.pid for svc in self.services if svc.process.record},
        }

    def _print_summary(self, seconds: float) -> None:
        summary = self._summary()
        print(f"\nCrowdbounty is up in {seconds:.1f} s.")
        print(f"  Web app and API  {summary['backend_url']}/  (health: {summary['backend_url']}/health)")
        print(f"  Chain (Ganache)  {summary['chain_url']}  chain id {summary['chain_id']}")
        print(f"  IPFS API         {summary['ipfs_api_url']}  gateway {summary['ipfs_gateway_url']}")
        print(f"  Deployments      {summary['deployments_file']}")
        print(f"  Logs             {summary['logs']}/")
        print(f"  Dev mnemonic     {DEV_MNEMONIC}  (public: never use it for real funds)")
        for index, (address, key) in enumerate(dev_accounts(self.settings.accounts)):
            print(f"  account {index}  {address}  key {key}")
        print("Ctrl-C here, or `make down` elsewhere, stops the stack.", flush=True)


@contextmanager
def _ignore_signals() -> Iterator[None]:
    """While stopping, a second Ctrl-C must not leave children running."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def up_detached(settings: DevstackSettings, timeout_s: float) -> int:
    """Start the supervisor in the background and return once the stack is ready."""
    supervisor = Supervisor(settings)
    if supervisor.running_supervisor() is not None:
        supervisor.print_status()
        return 0
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    supervisor.state_file.unlink(missing_ok=True)
    log_file = settings.run_dir / "supervisor.log"
    with log_file.open("ab") as log:
        this_run_starts_at = log.tell()
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up"],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"error: the stack did not come up. {log_file} ends:\n{log_tail(log_file)}", file=sys.stderr)
            return 1
        if supervisor.read_state().get("status") == "ready":
            print(read_from(log_file, this_run_starts_at), end="")
            return 0
        time.sleep(0.2)
    supervisor.down()
    print(f"error: the stack was not ready within {timeout_s:.0f} s; see {log_file}", file=sys.stderr)
    return 1
