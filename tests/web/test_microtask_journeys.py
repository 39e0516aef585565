"""Micro-task journeys in real Chromium, each person in their own browser context with their
own wallet: a requester funds a batch from a CSV file; a worker claims a task and submits
a result, the requester approves it and signs a voucher, and the worker redeems it on chain."""

import re

from eth_typing import HexStr
from playwright.sync_api import FilePayload, Page, expect
from web_support import OpenAs, Screenshot, WebStack

from client.wallets import dev_account

REQUESTER, WORKER = 1, 2
REWARD = 10**15  # "0.001" ETH, as typed in the form
# Six tasks (the preview shows five); one value holds a comma, so it is quoted.
TASKS_CSV = b"image,question\n" + b"".join(
    f'dog-{i}.png,"Is it a dog{", or a wolf" if i == 3 else ""}?"\n'.encode() for i in range(6)
)
# Funding, indexing and the manifest join take a few seconds; a step needing more is broken.
JOURNEY_STEP_MS = 30_000


def csv_file(name: str, content: bytes) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def connect(page: Page) -> Page:
    """Press "Connect wallet" as the user would; the header then shows the account."""
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.get_by_test_id("account")).to_be_visible()
    expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")  # drawn for the account
    return page


def fill_batch_form(page: Page, title: str) -> None:
    """Fill "Create a batch" on the requester page with TASKS_CSV at 0.001 ETH per task."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Instructions").fill("Answer yes or no: does the picture show a dog?")
    page.get_by_label("Tasks (CSV file)").set_input_files(files=csv_file("dogs.csv", TASKS_CSV))
    expect(page.get_by_text("6 tasks; the first 5:")).to_be_visible()
    page.get_by_label("Reward per task").fill("0.001")
    expect(page.get_by_text("6 \N{MULTIPLICATION SIGN} 0.001 ETH = 0.006 ETH")).to_be_visible()


def publish_and_fund(page: Page, title: str) -> int:
    """Submit the filled form and wait for the new batch's page; the batch's id."""
    page.get_by_role("button", name="Publish and fund batch").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=JOURNEY_STEP_MS)
    found = re.search(r"#/batches/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def test_requester_funds_a_batch_from_a_csv_file(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    page = connect(open_as(REQUESTER, path="/#/requester"))
    expect(page.get_by_text("You have not funded a batch yet")).to_be_visible()
    tasks_file = page.get_by_label("Tasks (CSV file)")

    # Files that are not a task list are refused with what to fix, before anything is signed.
    tasks_file.set_input_files(files=csv_file("empty.csv", b""))
    expect(page.get_by_text("The CSV file is empty")).to_be_visible()
    tasks_file.set_input_files(files=csv_file("ragged.csv", b"image,question\ncat.png,yes\ncat-2.png\n"))
    expect(page.get_by_text("Line 3 has 1 value, but the first row names 2 columns")).to_be_visible()
    expect(tasks_file).to_have_attribute("aria-invalid", "true")
    screenshot(page, "microtask-requester-csv-error")

    fill_batch_form(page, "Label dogs")
    expect(tasks_file).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("cell", name="Is it a dog, or a wolf?")).to_be_visible()
    screenshot(page, "microtask-requester-csv-preview")

    batch_id = publish_and_fund(page, "Label dogs")

    expect(page.get_by_text("6 of 6 tasks", exact=True)).to_be_visible()
    expect(page.get_by_text("0 of 6 tasks approved")).to_be_visible()
    expect(page.get_by_role("button", name="Claim task 0")).to_have_count(0)  # nobody claims their own tasks
    tasks = page.get_by_role("region", name="Tasks").get_by_role("row")
    expect(tasks).to_have_count(1 + 6)
    terms = web.platform.microtask.functions.getBatch(batch_id).call()
    assert terms[0] == dev_account(REQUESTER).address
    assert terms[6] == 6 * REWARD  # available: the whole escrow
    screenshot(page, "microtask-requester-batch-funded")

    page.get_by_role("link", name="Requester").click()
    card = page.get_by_role("list", name="Your batches").get_by_role("listitem")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name="Label dogs")).to_be_visible()
    expect(card.get_by_text("0 of 6 approved, 0 to review")).to_be_visible()
    screenshot(page, "microtask-requester-dashboard")


def test_worker_claims_submits_and_redeems_a_voucher(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    requester = connect(open_as(REQUESTER, path="/#/requester"))
    fill_batch_form(requester, "Spot the dog")
    batch_id = publish_and_fund(requester, "Spot the dog")

    # The worker claims task 0 and answers it (signing in on the way, to publish the answer).
    worker = connect(open_as(WORKER, path=f"/#/batches/{batch_id}"))
    worker.get_by_role("button", name="Claim task 0").click()
    worker.get_by_label("Answer for task 0").fill("yes, a dog")
    worker.get_by_role("button", name="Submit result for task 0").click()
    expect(worker.get_by_role("list", name="Your results")).to_contain_text("Task 0: waiting for review")
    expect(worker.get_by_text("Awaiting review: 1")).to_be_visible()
    screenshot(worker, "microtask-worker-result-submitted")

    # The requester, in another browser, reads the answer, approves it and signs a voucher.
    requester.reload()
    review = requester.get_by_role("article").filter(has_text="Task 0 by")
    expect(review.get_by_text("yes, a dog")).to_be_visible()
    review.get_by_role("button", name="Approve task 0").click()
    expect(requester.get_by_text("No result is waiting for your review.")).to_be_visible()
    voucher_total = requester.get_by_label(re.compile(r"^Voucher total for "))
    expect(voucher_total).to_have_value("0.001")
    requester.get_by_role("button", name=re.compile(r"^Sign voucher for ")).click()
    expect(requester.get_by_text("0.001 ETH (0 ETH redeemed) · paid up")).to_be_visible()
    expect(requester.get_by_text("1 of 6 tasks approved")).to_be_visible()
    screenshot(requester, "microtask-requester-voucher-issued")

    # The worker redeems it from their dashboard: the reward arrives, less the gas they paid.
    worker.get_by_role("link", name="Tasks", exact=True).click()
    vouchers = worker.get_by_role("region", name="Vouchers by batch")
    redeem = vouchers.get_by_role("button", name=f"Redeem voucher of batch {batch_id}")
    expect(redeem).to_be_visible()
    before = web.platform.balance(WORKER)
    redeem.click()
    expect(vouchers.get_by_role("cell", name="Redeemed", exact=True)).to_be_visible(timeout=JOURNEY_STEP_MS)
    receipt = web.platform.w3.eth.get_transaction_receipt(HexStr(open_as.wallet(worker).sent[-1]))
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert web.platform.balance(WORKER) - before == REWARD - gas
    expect(worker.get_by_text(f"Batch {batch_id} paid 0.001 ETH to your wallet.")).to_be_visible()
    expect(worker.get_by_role("region", name="My work").get_by_role("row").nth(1)).to_contain_text("approved")
    screenshot(worker, "microtask-worker-voucher-redeemed")
    # Console lines about failed requests are the app's (the sign-in check's 401); scripts must not throw.
    for page in (worker, requester):
        assert [error for error in open_as.errors(page) if error.startswith("uncaught")] == []
