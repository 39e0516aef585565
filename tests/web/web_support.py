"""What the browser tests work with: the served platform (`WebStack`), pages opened as a dev
account with its own injected wallet (`OpenAs`), and full-page screenshots."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from injected_wallet import InjectedWallet
from platform_support import Backend, Platform
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize
from playwright.sync_api import Error as PlaywrightError

from client.wallets import dev_account
from devstack.settings import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "reports" / "web"
FAILURES_DIR = REPORTS_DIR / "failures"
DEFAULT_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
# Playwright waits up to 30 s by default; a local page that needs more than this is broken.
ACTION_TIMEOUT_MS = 10_000
_SCREENSHOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# The `screenshot` fixture: screenshot(page, name) -> the PNG's path.
Screenshot = Callable[[Page, str], Path]


@dataclass
class WebStack:
    """The platform as just deployed and the backend (API + dApp) serving it at `url`, its
    indexer following the chain as on the `make up` stack."""

    url: str
    platform: Platform
    backend: Backend

    def wait_indexed(self, timeout_s: float = 10.0) -> None:
        """Wait until the backend has indexed every block mined so far (and joined metadata)."""
        self.backend.wait_indexed(timeout_s)

    def time_travel(self, seconds: int) -> None:
        """Move the chain's clock forward, mine a block, and wait until the backend saw it."""
        self.platform.time_travel(seconds)
        self.wait_indexed()


def save_screenshot(page: Page, name: str, folder: Path = REPORTS_DIR) -> Path:
    """A full-page PNG of `page` as `folder`/`name`.png (reports/ is not versioned)."""
    if not _SCREENSHOT_NAME.match(name):
        raise ValueError(f"{name!r}: use letters, digits, '.', '_' or '-' for a screenshot name")
    path = folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


@dataclass
class OpenedPage:
    """A page `OpenAs` opened, its wallet, and the errors its scripts reported."""

    page: Page
    wallet: InjectedWallet
    errors: list[str] = field(default_factory=list)

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")


class OpenAs:
    """Opens the dApp as dev account `index`: `open_as(1)` is a page in a new browser context
    (its own cookies and storage, like another person's browser) whose `window.ethereum` is
    an `InjectedWallet` of that account, already at `url`/ (or at `path`; None stays on
    about:blank)."""

    def __init__(self, browser: Browser, web: WebStack) -> None:
        self._browser = browser
        self._web = web
        self._opened: list[OpenedPage] = []
        self._contexts: list[BrowserContext] = []

    def __call__(self, index: int, *, viewport: ViewportSize | None = None, path: str | None = "/") -> Page:
        # Fixed locale and time zone: the same text and dates on every machine.
        context = self._browser.new_context(
            viewport=viewport or DEFAULT_VIEWPORT, locale="en-US", timezone_id="UTC", base_url=self._web.url
        )
        self._contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        wallet = InjectedWallet(dev_account(index), self._web.platform.w3)
        wallet.install(context)
        page = context.new_page()
        opened = OpenedPage(page, wallet)
        page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
        page.on("console", opened.record_console)
        self._opened.append(opened)
        if path is not None:  # None: the test navigates itself (after setting up routes, say)
            page.goto(self._web.url + path)
        return page

    def _find(self, page: Page) -> OpenedPage:
        for opened in self._opened:
            if opened.page.context is page.context:  # a popup of the page has the same wallet
                return opened
        raise LookupError("that page was not opened by open_as")

    def wallet(self, page: Page) -> InjectedWallet:
        """The wallet injected into `page` (and every page of its browser context)."""
        return self._find(page).wallet

    def errors(self, page: Page) -> list[str]:
        """Uncaught exceptions and console errors of `page` so far: a journey may assert none."""
        return list(self._find(page).errors)

    def close(self, failed_test: str | None) -> list[str]:
        """Close every context; after a failure first save each page's screenshot and
        return what to print (where the screenshots are, what the pages reported)."""
        notes: list[str] = []
        if failed_test is not None:
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", failed_test).strip("-")
            for number, opened in enumerate(self._opened, start=1):
                if opened.page.is_closed():
                    continue
                try:
                    shot = str(save_screenshot(opened.page, f"{stem}-{number}", FAILURES_DIR))
                except PlaywrightError as error:  # a crashed page: its errors below still tell
                    shot = f"no screenshot ({error.message})"
                notes.append(f"page {number} ({opened.wallet.address}) at {opened.page.url}: {shot}")
                notes.extend(f"  {error}" for error in opened.errors)
        for context in self._contexts:
            context.close()
        return notes
