"""Processes the supervisor starts: tracked by PID file (PID plus kernel start time, so a
reused PID is never mistaken for ours), stopped by PID, never by name."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.errors import PortInUseError, ProcessStopError, ServiceStartError
from devstack.toolchain import write_atomically

LOG_TAIL_BYTES = 2000


def process_start_ticks(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain numbers.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has exited; only its exit status is left
        return None
    return int(fields[19])


@dataclass(frozen=True)
class ProcessRecord:
    """What a PID file holds about a process the stack started."""

    name: str
    pid: int
    start_ticks: int
    argv: list[str] = field(default_factory=list)

    def is_alive(self) -> bool:
        return process_start_ticks(self.pid) == self.start_ticks

    @classmethod
    def load(cls, pid_file: Path) -> "ProcessRecord | None":
        try:
            return cls(**json.loads(pid_file.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def save(self, pid_file: Path) -> None:
        write_atomically(pid_file, json.dumps(asdict(self)) + "\n")


KILL_WAIT_S = 5.0


def terminate(record: ProcessRecord, timeout_s: float) -> None:
    """SIGTERM `record`'s process, then SIGKILL after `timeout_s`; no-op if it is gone.

    Raises ProcessStopError if it still runs after SIGKILL (never waits without a deadline).
    """
    if not record.is_alive():
        return
    _signal(record.pid, signal.SIGTERM)
    if _wait_gone(record, timeout_s):
        return
    _signal(record.pid, signal.SIGKILL)
    if not _wait_gone(record, KILL_WAIT_S):
        raise ProcessStopError(f"{record.name} (pid {record.pid}) still runs after SIGKILL")


def _wait_gone(record: ProcessRecord, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while record.is_alive():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    """Signal a service's whole process group (it leads one: start_new_session), so helpers
    it forked go too; a process that leads no group (a supervisor run by `make up` in a
    terminal) gets the signal alone."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def port_is_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def listening_pid(port: int) -> int | None:
    """The PID of the process listening on a local TCP port, if this user can see it."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            columns = line.split()
            local_port = int(columns[1].rsplit(":", 1)[1], 16)
            if local_port == port and columns[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{columns[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(str(fd.readlink()) in inodes for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:
            continue
    return None


def ensure_port_free(host: str, port: int, service: str, setting: str) -> None:
    """Raise a clear PortInUseError if another process already serves host:port."""
    if not port_is_open(host, port):
        return
    pid = listening_pid(port)
    owner = f"process {pid} ({_command_of(pid)})" if pid else "another process"
    raise PortInUseError(
        f"{service} cannot start: port {port} on {host} is in use by {owner}. "
        f"Stop it, or choose another port with {setting}=<port>."
    )


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()[:80]
    except OSError:
        return "unknown"


def read_from(log_file: Path, offset: int) -> str:
    """What a log holds from `offset` on: the output of one run in a log that is appended to."""
    with log_file.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def log_tail(log_file: Path) -> str:
    """The last lines of a log, to explain a failure."""
    try:
        with log_file.open("rb") as log:
            log.seek(max(0, log_file.stat().st_size - LOG_TAIL_BYTES))
            return log.read().decode(errors="replace").strip()
    except FileNotFoundError:
        return "(no log)"


@dataclass
class ManagedProcess:
    """One long-running service process: started detached in its own session, logged to a
    file, recorded in a PID file, stopped by PID."""

    name: str
    argv: Sequence[str]
    log_file: Path
    pid_file: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ProcessRecord:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
            )
        ticks = process_start_ticks(self.popen.pid)
        record = ProcessRecord(self.name, self.popen.pid, ticks or 0, list(self.argv))
        record.save(self.pid_file)
        return record

    @property
    def record(self) -> ProcessRecord | None:
        return ProcessRecord.load(self.pid_file)

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else None (reaps a child we started)."""
        if self.popen is not None:
            return self.popen.poll()
        record = self.record
        return None if record is not None and record.is_alive() else -1

    def is_running(self) -> bool:
        return self.exit_code() is None

    def wait_healthy(self, check: Callable[[], bool], timeout_s: float) -> None:
        """Poll `check` until it passes; raise ServiceStartError if the process exits or
        the deadline passes (a failed start may hang instead of exiting, so never wait blindly)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                raise ServiceStartError(
                    f"{self.name} exited with code {code} while starting. Its log ({self.log_file}) ends:\n"
                    f"{log_tail(self.log_file)}"
                )
            if check():
                return
            time.sleep(0.2)
        self.stop(timeout_s=5)
        raise ServiceStartError(
            f"{self.name} did not become healthy within {timeout_s:.0f} s and was stopped. "
            f"Its log ({self.log_file}) ends:\n{log_tail(self.log_file)}"
        )

    def stop(self, timeout_s: float) -> None:
        record = self.record
        if record is not None:
            terminate(record, timeout_s)
        if self.popen is not None:
            self.popen.wait()
        self.pid_file.unlink(missing_ok=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
