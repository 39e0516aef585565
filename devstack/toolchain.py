"""Installs and configures the Node-side tools; idempotent and quick when nothing changed.

What cannot come from here (native solc, kubo, Brownie's GitHub packages) is replaced by
what the npm registry offers: solcjs behind a `solc` shim, Ganache, js-ipfs, OpenZeppelin.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from devstack.errors import ToolchainError
from devstack.settings import (
    DEV_CHAIN_ID,
    DEV_MNEMONIC,
    LOCAL_NETWORK_ID,
    PROJECT_ROOT,
    SOLC_VERSION,
    TEST_NETWORK_ID,
    DevstackSettings,
)

NODE_MODULES = PROJECT_ROOT / "node_modules"
NODE_STAMP = NODE_MODULES / ".crowdbounty-installed"
# Tools whose pins clash with Brownie's (schemathesis needs a newer Hypothesis than its
# hypothesis==6.27.3) live in a venv of their own, run only as programs.
TOOLS_VENV = PROJECT_ROOT / ".venv-tools"
TOOLS_LOCK = PROJECT_ROOT / "requirements-tools.lock"
TOOLS_STAMP = TOOLS_VENV / ".crowdbounty-installed"
SOLC_SHIM_TEMPLATE = Path(__file__).with_name("solc_shim.js")
BROWNIE_DATA = Path.home() / ".brownie"
# Contract tests get their own port so they never attach to a running `make up` chain.
TEST_CHAIN_PORT = 8555
LOCAL_CHAIN_PORT_VARIABLE = "CROWDBOUNTY_DEV_CHAIN_PORT"


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Write `text` to `path` so a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=f".{path.name}.") as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    Path(tmp.name).chmod(mode)
    Path(tmp.name).replace(path)


def _node_inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        file = PROJECT_ROOT / name
        digest.update(file.read_bytes() if file.exists() else b"")
    return digest.hexdigest()


def ensure_node_modules() -> bool:
    """Run `npm install` unless node_modules already matches package(-lock).json.

    Returns whether an install ran. `npm ci` is not usable: it rejects the lock file
    because one optional dependency of js-ipfs is a tarball this network cannot reach.
    """
    wanted = _node_inputs_digest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text() == wanted:
        return False
    print("Installing Node tools with npm (first time ~200 s)...", flush=True)
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROJECT_ROOT, check=False
    )
    if result.returncode != 0:
        raise ToolchainError(f"npm install failed with exit code {result.returncode}; see the output above")
    write_atomically(NODE_STAMP, _node_inputs_digest())
    return True


def ensure_tools_venv(venv: Path = TOOLS_VENV, lock: Path = TOOLS_LOCK) -> bool:
    """Create `venv` from the pinned `lock` unless it already holds exactly that lock.

    Returns whether an install ran. The lock is complete, so `--no-deps`; a failed install
    leaves no stamp, and the next run starts from a fresh venv.
    """
    stamp = venv / TOOLS_STAMP.name
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and (venv / "bin" / "python").exists():
        return False
    print(f"Installing the tools venv {venv.name} from {lock.name} (first time ~20 s)...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r", str(lock)],
        check=False,
    )
    if result.returncode != 0:
        raise ToolchainError(f"pip install -r {lock.name} failed with exit code {result.returncode}; see above")
    write_atomically(stamp, wanted)
    return True


def solc_shim_path() -> Path:
    return Path.home() / ".solcx" / f"solc-v{SOLC_VERSION}"


def _solcjs_version() -> str:
    result = subprocess.run(
        ["node", "-e", "process.stdout.write(require('solc').version())"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    version = result.stdout.strip()
    if result.returncode != 0 or not version.startswith(f"{SOLC_VERSION}+"):
        raise ToolchainError(
            f"npm solc must be exactly {SOLC_VERSION}, found {version or result.stderr.strip()!r}; "
            "run `npm install` in the project root"
        )
    # py-solc-x parses the version, and solcjs appends ".Emscripten.clang".
    return version.removesuffix(".Emscripten.clang")


def install_solc_shim() -> bool:
    """Install the solcjs shim as py-solc-x's solc binary; returns whether it was (re)written."""
    shim = solc_shim_path()
    template = SOLC_SHIM_TEMPLATE.read_text()
    if shim.exists():
        current = shim.read_text()
        expected_prefix = template.split("__SOLC_VERSION__", 1)[0]
        if current.startswith(expected_prefix) and f"'{PROJECT_ROOT}'" in current:
            return False
    text = template.replace("__SOLC_VERSION__", _solcjs_version()).replace("__PROJECT_ROOT__", str(PROJECT_ROOT))
    # Copied, not linked: py-solc-x resolves links and would find a `.js` file.
    write_atomically(shim, text, mode=0o755)
    return True


def _ganache_network(network_id: str, name: str, port: int, settings: DevstackSettings) -> dict[str, Any]:
    return {
        "id": network_id,
        "name": name,
        "cmd": str(NODE_MODULES / ".bin" / "ganache"),
        "host": f"http://{settings.host}",
        "cmd_settings": {
            "port": port,
            "accounts": settings.accounts,
            "mnemonic": DEV_MNEMONIC,
            "evm_version": "shanghai",
            "gas_limit": 30_000_000,
            "chain_id": DEV_CHAIN_ID,
        },
    }


def configure_brownie_networks(settings: DevstackSettings) -> bool:
    """Point Brownie's `development` network (contract tests) at the npm Ganache, and add
    `crowdbounty-local`, the chain of `make up`, which Brownie attaches to.

    Brownie's project config may change only `cmd_settings`, not `cmd`, so this edits the
    machine's network-config.yaml. Returns whether the file changed.
    """
    config_file = BROWNIE_DATA / "network-config.yaml"
    if not config_file.exists():
        # Importing brownie creates its data folder with the stock network list.
        subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c", "import brownie"], check=True)
    config = yaml.safe_load(config_file.read_text()) or {}
    test_network = _ganache_network(TEST_NETWORK_ID, "Ganache (contract tests)", TEST_CHAIN_PORT, settings)
    # A development-type network, so Brownie keeps no deployment artifacts of it (it would
    # load them on the next connect and fail on a fresh chain that reuses the chain id).
    # The supervisor starts the chain first, so Brownie attaches; brownie-config.yaml sets
    # its port from the variable the supervisor passes.
    local_network = _ganache_network(LOCAL_NETWORK_ID, "Crowdbounty local stack", settings.chain_port, settings)
    # Anvil was tried for long fuzz runs: after snapshot reverts it drops a resent identical
    # transaction ("Tx dropped without known replacement"), so everything runs on Ganache.
    ours = {TEST_NETWORK_ID, LOCAL_NETWORK_ID, "anvil-fuzz"}
    development = [n for n in config.get("development", []) if n.get("id") not in ours]
    development += [test_network, local_network]
    # An earlier set-up registered the local chain as a live network: drop that entry.
    live = [group for group in config.get("live", []) if group.get("name") != "Crowdbounty"]
    if config.get("development") == development and config.get("live") == live:
        return False
    config["development"] = development
    config["live"] = live
    write_atomically(config_file, yaml.safe_dump(config, sort_keys=False))
    return True


def setup(settings: DevstackSettings) -> None:
    """Everything the project needs beyond the virtualenv (which `make` creates)."""
    ensure_node_modules()
    ensure_tools_venv()
    install_solc_shim()
    configure_brownie_networks(settings)
