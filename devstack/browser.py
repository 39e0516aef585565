"""Debian's Chromium for the browser tests (`make test-web`).

Playwright's own `playwright install chromium` downloads from a CDN this network cannot
reach, so the tests drive the `chromium` package from Debian instead; Playwright launches it
with `executable_path`. The tests find it through `CROWDBOUNTY_CHROMIUM`.
"""

import os
import shutil
import subprocess
from pathlib import Path

from devstack.errors import ToolchainError

# The real program: /usr/bin/chromium is a shell wrapper that Playwright cannot drive.
DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_VARIABLE = "CROWDBOUNTY_CHROMIUM"
INSTALL_HINT = "apt-get install -y --no-install-recommends chromium"
# Another apt run (a second test run, unattended upgrades) may hold dpkg's lock for a while.
APT_LOCK_TIMEOUT_S = 120
APT_TIMEOUT_S = 600


def chromium_executable() -> Path:
    """The Chromium the tests launch: `CROWDBOUNTY_CHROMIUM` if set, else Debian's."""
    configured = os.environ.get(CHROMIUM_VARIABLE)
    return Path(configured) if configured else DEBIAN_CHROMIUM


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _privilege_prefix() -> list[str] | None:
    """What runs apt-get as root: nothing when we are root, `sudo -n` (never a password
    prompt: the tests run unattended) when sudo exists, else None."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        # sudo drops the environment; `env` carries the non-interactive frontend through.
        return ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
    return None


def _apt_get(prefix: list[str], *args: str) -> None:
    argv = [*prefix, "apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S}", *args]
    result = subprocess.run(
        argv,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        last_line = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        raise ToolchainError(
            f"`{' '.join(argv)}` failed (exit {result.returncode}: {last_line}); "
            f"install Chromium as root: {INSTALL_HINT}"
        )


def ensure_chromium() -> Path:
    """Return the Chromium executable, installing Debian's package first if it is missing.

    Quick when it is there (one stat). Raises ToolchainError with the command to run when it
    is missing and cannot be installed (not root and no password-less sudo).
    """
    executable = chromium_executable()
    if _is_executable(executable):
        return executable
    if executable != DEBIAN_CHROMIUM:
        raise ToolchainError(f"{CHROMIUM_VARIABLE}={executable} is not an executable file; unset it or fix the path")
    prefix = _privilege_prefix()
    if prefix is None:
        raise ToolchainError(f"Chromium is missing ({executable}) and installing it needs root: {INSTALL_HINT}")
    print("Installing Debian's Chromium for the browser tests (first time ~30 s)...", flush=True)
    _apt_get(prefix, "update", "-qq")
    _apt_get(prefix, "install", "-y", "-qq", "--no-install-recommends", "chromium")
    if not _is_executable(executable):
        raise ToolchainError(f"the chromium package is installed but {executable} is missing; {INSTALL_HINT}")
    return executable
