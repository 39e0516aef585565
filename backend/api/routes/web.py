"""The web dApp: GET / (the page), /static/... (its modules and styles), /vendor/... (the npm
packages it imports, installed by `make setup`), and GET /api/config (chain and contracts).

The dApp is plain ES modules with an import map, so there is no build step: what is in
client/web is what the browser runs.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

from backend.api.deps import SettingsDep
from backend.api.errors import NotFoundError
from backend.api.security import DeploymentsDep
from backend.core.config import Settings
from backend.schemas.web import ConfigOut, ContractOut, TypedDataOut
from backend.services.microtasks import typed_data

router = APIRouter(tags=["web"])

# The only npm files the page may load: a fixed map, so /vendor never serves node_modules at large.
VENDOR_FILES = {
    "ethers.js": "ethers/dist/ethers.min.js",
    "libsodium-wrappers.mjs": "libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs",
    "libsodium.mjs": "libsodium/dist/modules-esm/libsodium.mjs",
}
MICROTASK_CONTRACT = "MicrotaskEscrow"
# Revalidated on every load (ETag), so a new version of the dApp is never half-applied.
_NO_STALE = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
def index(settings: SettingsDep) -> FileResponse:
    return FileResponse(settings.web_dir / "index.html", headers=_NO_STALE)


@router.get("/vendor/{name}", include_in_schema=False)
def vendor(name: str, settings: SettingsDep) -> FileResponse:
    relative = VENDOR_FILES.get(name)
    path = settings.node_modules_dir / relative if relative else None
    if path is None or not path.is_file():
        raise NotFoundError(f"no vendor file {name!r} (run `make setup` to install the npm packages)")
    return FileResponse(path, media_type="text/javascript", headers=_NO_STALE)


@router.get("/api/config", summary="The chain and contracts the dApp uses", response_model=ConfigOut)
def config(deployments: DeploymentsDep) -> ConfigOut:
    """The chain id, every deployed contract's address and ABI, and the micro-task EIP-712
    domains and types, so the browser builds the same messages as the backend and the CLI."""
    contracts = {name: ContractOut(address=c.address, abi=c.abi) for name, c in deployments.contracts.items()}
    escrow = deployments.contract(MICROTASK_CONTRACT).address
    return ConfigOut(
        chain_id=deployments.chain_id,
        contracts=contracts,
        microtask_typed_data=TypedDataOut(
            escrow_domain=typed_data.escrow_domain(deployments.chain_id, escrow),
            offchain_domain=typed_data.offchain_domain(deployments.chain_id, escrow),
            types={
                **typed_data.VOUCHER_TYPES,
                **typed_data.QUALIFICATION_TYPES,
                **typed_data.CLAIM_TYPES,
                **typed_data.RESULT_TYPES,
                **typed_data.REVIEW_TYPES,
            },
        ),
    )


def mount_static(app: FastAPI, settings: Settings) -> None:
    """Serve client/web under /static (missing folder: the API still runs, the page 404s)."""
    web_dir: Path = settings.web_dir
    app.mount("/static", StaticFiles(directory=web_dir, check_dir=False), name="static")
