"""Every external/public function, event and error of the escrow carries NatSpec."""

from pathlib import Path

# Not brownie.convert.utils: Brownie hashes every module a test imports from inside the
# project, and the venv is inside it; a compiled module (.so) there crashes the run.
from eth_utils.abi import abi_to_signature as build_function_signature


def _natspec(contract):
    return contract._build["natspec"]


def test_every_function_has_a_notice(MicrotaskEscrow):
    natspec = _natspec(MicrotaskEscrow)
    functions = [i for i in MicrotaskEscrow.abi if i["type"] == "function"]
    missing = [
        build_function_signature(f)
        for f in functions
        if "notice" not in natspec["methods"].get(build_function_signature(f), {})
    ]
    assert not missing


def test_every_event_has_a_notice(MicrotaskEscrow):
    natspec = _natspec(MicrotaskEscrow)
    for event in (i for i in MicrotaskEscrow.abi if i["type"] == "event"):
        signature = build_function_signature(event)
        assert "notice" in natspec["events"].get(signature, {}), signature


def test_every_error_has_a_notice(MicrotaskEscrow):
    # Brownie's merged natspec keeps only @dev docs of errors, so read the source instead.
    for path in ("contracts/MicrotaskEscrow.sol", "contracts/utils/EscrowFunds.sol"):
        lines = Path(path).read_text().splitlines()
        for index, line in enumerate(lines):
            if line.strip().startswith("error "):
                assert lines[index - 1].strip().startswith("/// @notice"), f"{path}: {line.strip()}"
