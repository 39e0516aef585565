"""Fixtures of the browser tests: one headless Chromium per session, and per test the platform
as just deployed with the backend (API + dApp) serving it, pages opened as dev accounts (each
in its own browser context with an injected wallet), and screenshots.

    def test_seeker_sees_their_challenge(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
        page = open_as(1)
        page.get_by_role("button", name="Connect wallet").click()
        ...
        web.wait_indexed()
        screenshot(page, "challenge-page")

After a failing test, every open page is saved to reports/web/failures/ and the report says
where, with the errors the pages' scripts logged.
"""

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from platform_support import FreshPlatform, serve_backend
from playwright.sync_api import Browser, expect, sync_playwright
from web_support import OpenAs, Screenshot, WebStack, save_screenshot

from devstack.browser import CHROMIUM_VARIABLE, INSTALL_HINT, chromium_executable
from devstack.services import LocalChain, LocalIpfsNode

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
# What a page shows after a step: a signature or two, a transaction and the indexer catching
# up take seconds (more on a busy 2-core machine), not expect()'s default five.
expect.set_options(timeout=20_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so `open_as` knows at teardown whether it failed."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once per session (~1 s); tests use contexts."""
    executable = chromium_executable()
    if not executable.is_file():
        pytest.fail(
            f"no Chromium at {executable}: run `make test-web` (it installs it), or {INSTALL_HINT}, "
            f"or point {CHROMIUM_VARIABLE} at a Chromium",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def deployed_platform(local_chain: LocalChain, tmp_path_factory: pytest.TempPathFactory) -> FreshPlatform:
    """The platform deployed once per session on the session's chain, reset for each test."""
    return FreshPlatform(local_chain.rpc_url, tmp_path_factory.mktemp("web-platform"))


@pytest.fixture
def web(
    deployed_platform: FreshPlatform, running_chain: LocalChain, running_ipfs_node: LocalIpfsNode, tmp_path: Path
) -> Iterator[WebStack]:
    """The platform as just deployed (the chain reverted to its snapshot: same contracts,
    fresh state and clock), and the backend serving it (API and dApp) at `web.url` on a new
    database, its indexer following the chain with the metadata join and deadline job, as
    on `make up`."""
    platform = deployed_platform.get()
    with serve_backend(platform, running_ipfs_node.api_url, tmp_path, follow=True, background_jobs=True) as backend:
        yield WebStack(backend.url, platform, backend)


@pytest.fixture
def open_as(browser: Browser, web: WebStack, request: pytest.FixtureRequest) -> Iterator[OpenAs]:
    """`open_as(index, *, viewport=None, path="/")` → a page of the dApp as dev account
    `index`, in a browser context of its own; `open_as.wallet(page)` is its wallet."""
    opener = OpenAs(browser, web)
    yield opener
    reports = request.node.stash.get(_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    notes = opener.close(request.node.nodeid if failed else None)
    if notes:
        # Printed at teardown, so it shows in the failed test's report ("Captured stdout teardown").
        print("\n".join(["pages at the failure:", *notes]))


@pytest.fixture
def screenshot() -> Screenshot:
    """`screenshot(page, name)` saves a full-page PNG as reports/web/<name>.png and returns its path."""
    return save_screenshot
