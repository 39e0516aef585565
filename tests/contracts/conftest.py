"""Fixtures shared by the contract test suites."""

import importlib.util
from pathlib import Path
from typing import Any

import brownie.test
import pytest


@pytest.fixture(scope="session")
def state_machine() -> Any:
    """Brownie's `state_machine`, from the pure-Python module shipped in the same wheel.

    Overrides Brownie's fixture: the mypyc-compiled `brownie.test.stateful` of eth-brownie
    1.22.2 fails every run with "_BrownieStateMachine object expected; got
    BrownieStateMachine" (a compiled class cannot be subclassed at run time).
    """
    source = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_pure", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine
