"""`make demo` end to end, on the session's chain and IPFS node with fresh contracts."""

import io

from conftest import Backend, Platform
from rich.console import Console

from backend.core.config import Settings
from client.demo import run
from client.settings import ClientSettings


def test_demo_pays_everyone_what_the_rules_say(platform: Platform, live_backend: Backend) -> None:
    output = io.StringIO()
    assert run(Settings(), ClientSettings(), Console(file=output, width=250))
    text = output.getvalue()
    assert "demo passed" in text and "FAILED" not in text
    assert "fund batch" in text and "create challenge" in text
