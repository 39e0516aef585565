"""The dApp for keyboards, screen readers and phones: every control is labelled, the keyboard
reaches the content, no page scrolls sideways at 375 px, and a refused sign-in is explained."""

import pytest
from playwright.sync_api import Page, expect
from web_support import OpenAs, Screenshot, WebStack

PHONE = {"width": 375, "height": 740}
PAGES = ["/#/", "/#/create", "/#/tasks", "/#/requester", "/#/me"]

# Inputs, selects and text areas without a label a screen reader would read out.
UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter((control) => control.type !== "hidden")
  .filter((control) => !control.labels?.length && !control.getAttribute("aria-label")
    && !control.getAttribute("aria-labelledby"))
  .map((control) => control.outerHTML)"""


def connected(open_as: OpenAs, path: str, **options: object) -> Page:
    page = open_as(0, path=path, **options)  # type: ignore[arg-type]
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.get_by_test_id("account")).to_be_visible()
    expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")  # drawn for the account
    return page


@pytest.mark.parametrize("path", PAGES)
def test_every_control_has_a_label(web: WebStack, open_as: OpenAs, path: str) -> None:
    page = connected(open_as, path)
    expect(page.locator("main h1")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(web: WebStack, open_as: OpenAs, screenshot: Screenshot, path: str) -> None:
    page = connected(open_as, path, viewport=PHONE)
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Connect your wallet")  # drawn for the account
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"phone-{path.strip('/#') or 'challenges'}")


def test_the_keyboard_skips_to_the_content_and_searches(web: WebStack, open_as: OpenAs) -> None:
    page = open_as(0)
    expect(page.get_by_role("heading", name="Challenges")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Search challenges")).to_be_focused()
    page.keyboard.type("water")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{web.url}/#/?q=water&status=open&sort=newest")
    expect(page.get_by_role("list", name="Challenges")).to_contain_text("No challenge matches")


def test_a_refused_sign_in_is_explained(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    page = connected(open_as, "/")
    open_as.wallet(page).reject_next()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("You rejected the request in your wallet")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # still signed out
    screenshot(page, "error-sign-in-rejected")
