"""Challenge journeys in real Chromium against the real stack: the seeker creates and funds,
a solver accepts the terms and submits an encrypted solution, the seeker decrypts, verifies
and awards, the solver withdraws; and how the page tells a user what went wrong.

Each journey builds on the steps of the ones before (done through the page as well), so each
runs alone. Screenshots go to reports/web/challenge-*.png.
"""

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from web_support import OpenAs, Screenshot, WebStack

from backend.services.storage.envelope import EnvelopeContext, open_bytes
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.keys import derive_challenge_private_key
from client.wallets import dev_account
from devstack.services import LocalIpfsNode

SEEKER, SOLVER, FUNDER = 0, 1, 2
TITLE = "Cheaper water filters"
SOLUTION = "Use a ceramic filter with silver nanoparticles.\n"
DAY = 86_400
ETH = 10**18


def connect(page: Page) -> None:
    """Connect the wallet, as a user does on a first visit (the button asks for accounts)."""
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.get_by_test_id("account")).to_have_text(re.compile(r"^0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}$"))
    expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")  # drawn for the account


def submit_challenge_form(page: Page, prizes: str, kind: str = "ideation") -> None:
    """Connect, fill the form of a challenge, and press "Create and fund"."""
    connect(page)
    page.get_by_role("link", name="Post a challenge").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Challenge type").select_option(kind)
    page.get_by_label("Description").fill("Find a filter that costs under $1 and lasts a year.")
    page.get_by_label("Prizes").fill(prizes)
    page.get_by_label("Agreement").fill("The winner assigns the IP to the seeker. Others keep theirs.")
    page.get_by_label("Tags").fill("water, filtration")
    page.get_by_role("button", name="Create and fund").click()


def create_challenge(page: Page, *, prizes: str = "1.5", kind: str = "ideation") -> int:
    """Post a challenge through the form; returns its id once its page shows it."""
    submit_challenge_form(page, prizes, kind)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    match = re.search(r"#/challenges/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def accept_and_submit(page: Page, challenge_id: int, solution: Path) -> None:
    connect(page)
    page.goto(f"/#/challenges/{challenge_id}")
    expect(page.get_by_label("Agreement text")).to_contain_text("The winner assigns the IP")
    page.get_by_role("button", name="Accept the terms").click()
    page.get_by_label("Solution files").set_input_files(solution)
    page.get_by_role("button", name="Encrypt and submit").click()
    expect(page.get_by_role("status")).to_have_text("Your solution is committed on chain.")
    expect(page.locator(".facts").filter(has_text="Status")).to_contain_text("submitted")


def decrypted_in_evaluation(web: WebStack, open_as: OpenAs, tmp_path: Path) -> tuple[Page, Page, int]:
    """A challenge with the solver's submission, its submission deadline passed, and the
    seeker's page showing the decrypted, verified solution: (seeker, solver, challenge id)."""
    seeker = open_as(SEEKER)
    challenge_id = create_challenge(seeker)
    solver = open_as(SOLVER)
    accept_and_submit(solver, challenge_id, solution_file(tmp_path))
    web.time_travel(8 * DAY)
    seeker.reload()  # the chain's clock moved on: the page now shows the evaluation
    seeker.get_by_role("button", name="Decrypt submission 1").click()
    expect(seeker.get_by_text("Verified: signed by")).to_contain_text(dev_account(SOLVER).address)
    expect(seeker.get_by_label("Contents of solution.txt")).to_have_text(SOLUTION)
    return seeker, solver, challenge_id


def award_all(seeker: Page) -> None:
    seeker.get_by_role("button", name="Award", exact=True).click()
    expect(seeker.get_by_role("status")).to_have_text("Awarded: the winner can withdraw it now.")


def api_get(web: WebStack, path: str) -> Any:
    response = httpx.get(web.url + path, timeout=10)
    response.raise_for_status()
    return response.json()


def solution_file(tmp_path: Path) -> Path:
    path = tmp_path / "solution.txt"
    path.write_text(SOLUTION)
    return path


def test_seeker_creates_and_funds_a_challenge(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    seeker = open_as(SEEKER)
    challenge_id = create_challenge(seeker)
    facts = seeker.locator("dl.facts").first
    expect(facts).to_contain_text("1.5 ETH")
    expect(facts).to_contain_text("in 7 days")
    assert web.platform.w3.eth.get_balance(web.platform.challenge.address) == 15 * ETH // 10
    assert api_get(web, f"/api/challenges/{challenge_id}")["seeker"] == dev_account(SEEKER).address
    screenshot(seeker, "challenge-1-created")

    funder = open_as(FUNDER, path=f"/#/challenges/{challenge_id}")
    connect(funder)
    funder.get_by_label("Amount (ETH)").first.fill("0.5")
    funder.get_by_role("button", name="Add to the prize").click()
    expect(funder.locator("dl.facts").first).to_contain_text("2 ETH")
    assert web.platform.w3.eth.get_balance(web.platform.challenge.address) == 2 * ETH
    screenshot(funder, "challenge-1-funded-by-another")

    funder.goto("/#/")
    expect(funder.get_by_role("link", name=TITLE)).to_be_visible()
    listed = funder.get_by_role("list", name="Challenges")
    expect(listed).to_contain_text("Submissions close in 7 days")
    expect(funder.get_by_role("status")).to_be_empty()  # the last page's message stayed there
    screenshot(funder, "challenge-1-listed")
    search = funder.get_by_role("searchbox", name="Search challenges")
    search.fill("filtr")  # words match as prefixes
    search.press("Enter")
    expect(funder).to_have_url(re.compile(r"#/\?q=filtr"))
    expect(listed.get_by_role("link", name=TITLE)).to_be_visible()
    search.fill("photovoltaic")
    search.press("Enter")
    expect(listed).to_have_text(re.compile("^No challenge matches"))


def test_solver_accepts_and_submits_an_encrypted_solution(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, running_ipfs_node: LocalIpfsNode, tmp_path: Path
) -> None:
    challenge_id = create_challenge(open_as(SEEKER))
    solver = open_as(SOLVER, viewport={"width": 375, "height": 800})  # a phone
    accept_and_submit(solver, challenge_id, solution_file(tmp_path))
    screenshot(solver, "challenge-2-submitted-on-a-phone")

    # What reached IPFS is the envelope Python opens with the seeker's key, signed by the solver.
    submission = api_get(web, f"/api/challenges/{challenge_id}/submissions")["items"][0]
    assert submission["entrant"] == dev_account(SOLVER).address
    with IpfsClient(running_ipfs_node.api_url) as ipfs:
        envelope = ipfs.fetch_bytes(submission["cid"])
    key = derive_challenge_private_key(
        dev_account(SEEKER), web.platform.chain_id, web.platform.challenge.address, challenge_id
    )
    context = EnvelopeContext(web.platform.chain_id, web.platform.challenge.address, challenge_id)
    header, files = open_bytes(envelope, private_key=key, expected=context, expected_author=dev_account(SOLVER).address)
    assert files == {"solution.txt": SOLUTION.encode()}
    assert header.author == dev_account(SOLVER).address


def test_seeker_decrypts_verifies_and_awards(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker, _solver, challenge_id = decrypted_in_evaluation(web, open_as, tmp_path)
    screenshot(seeker, "challenge-3-decrypted")
    award_all(seeker)
    expect(seeker.locator("dl.facts").first).to_contain_text("Awarded1.5 ETH")
    expect(seeker.locator(".timeline")).to_contain_text("Award granted")
    entry = web.platform.challenge.functions.getEntry(challenge_id, dev_account(SOLVER).address).call()
    assert entry[5] == 15 * ETH // 10  # held for the solver's withdrawAward
    screenshot(seeker, "challenge-3-awarded")


def test_solver_withdraws_the_award(web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path) -> None:
    seeker, solver, _challenge_id = decrypted_in_evaluation(web, open_as, tmp_path)
    award_all(seeker)
    before = web.platform.w3.eth.get_balance(dev_account(SOLVER).address)
    solver.reload()
    expect(solver.locator(".facts").filter(has_text="Yours to withdraw")).to_contain_text("1.5 ETH")
    solver.get_by_role("button", name="Withdraw award").click()
    expect(solver.get_by_role("status")).to_have_text("Withdrawn to your wallet.")
    expect(solver.locator(".timeline")).to_contain_text("Award withdrawn")
    gained = web.platform.w3.eth.get_balance(dev_account(SOLVER).address) - before
    assert 15 * ETH // 10 - ETH // 100 < gained < 15 * ETH // 10  # the award, less the gas
    screenshot(solver, "challenge-4-withdrawn")


def test_a_silent_seeker_pays_by_default_after_the_evaluation_deadline(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    challenge_id = create_challenge(open_as(SEEKER))
    solver = open_as(SOLVER)
    accept_and_submit(solver, challenge_id, solution_file(tmp_path))
    web.time_travel(8 * DAY + 15 * DAY)  # past the evaluation deadline, the seeker silent
    solver.reload()
    solver.get_by_role("button", name="Settle the challenge").click()
    solver.get_by_role("button", name="Claim your share").click()
    expect(solver.get_by_role("status")).to_have_text("Your share is yours to withdraw.")
    expect(solver.get_by_role("region", name="Your entry")).to_contain_text("Yours to withdraw1.5 ETH")
    solver.get_by_role("button", name="Withdraw award").click()
    expect(solver.get_by_role("status")).to_have_text("Withdrawn to your wallet.")
    expect(solver.locator(".timeline")).to_contain_text("Share claimed")
    expect(solver.locator("dl.facts").first).to_contain_text("Paid by default1.5 ETH split among 1 submitter")
    screenshot(solver, "challenge-settled-by-default")


def test_a_signed_in_seeker_sees_a_submission_arrive_live(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker = open_as(SEEKER)
    challenge_id = create_challenge(seeker)  # signs in: publishing goes through the backend
    expect(seeker.get_by_role("button", name="Sign out")).to_be_visible()
    accept_and_submit(open_as(SOLVER), challenge_id, solution_file(tmp_path))
    # No reload: the notification stream (Server-Sent Events) brings the news and the page redraws.
    expect(seeker.get_by_role("complementary", name="Notifications")).to_contain_text(
        f"New submission on challenge {challenge_id}"
    )
    expect(seeker.locator("dl.facts").first).to_contain_text("1 submitted")
    screenshot(seeker, "challenge-live-notification")


def test_the_winner_profile_shows_the_award(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker, _solver, _challenge_id = decrypted_in_evaluation(web, open_as, tmp_path)
    award_all(seeker)
    seeker.get_by_role("link", name=dev_account(SOLVER).address[:6], exact=False).first.click()
    expect(seeker.get_by_role("heading", name="Profile")).to_be_visible()
    solver_side = seeker.get_by_role("region", name="As a solver")
    expect(solver_side).to_contain_text("Awards won1: 1.5 ETH")
    expect(seeker.get_by_role("region", name="As a seeker")).not_to_contain_text("Awards won")
    screenshot(seeker, "challenge-winner-profile")


def test_the_project_room_opens_to_solvers_who_accepted_the_terms(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker = open_as(SEEKER)
    challenge_id = create_challenge(seeker)
    brief = tmp_path / "lab-data.csv"
    brief.write_text("sample,turbidity\nA,3.2\n")
    seeker.get_by_label("Document to share", exact=True).set_input_files(brief)
    seeker.get_by_role("button", name="Share with solvers").click()
    expect(seeker.get_by_role("list", name="Room documents")).to_contain_text("lab-data.csv (23 bytes)")

    solver = open_as(SOLVER, path=f"/#/challenges/{challenge_id}")
    connect(solver)
    expect(solver.get_by_role("heading", name="Project room")).to_have_count(0)  # not before the terms
    solver.get_by_role("button", name="Accept the terms").click()
    solver.get_by_role("button", name="Open the project room").click()
    link = solver.get_by_role("link", name="lab-data.csv")
    with solver.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_text() == brief.read_text()
    screenshot(solver, "challenge-project-room")


def test_a_conditional_submission_refused_by_the_seeker(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker = open_as(SEEKER)
    challenge_id = create_challenge(seeker, kind="conditional")
    solver = open_as(SOLVER)
    accept_and_submit(solver, challenge_id, solution_file(tmp_path))
    web.time_travel(8 * DAY)
    seeker.reload()
    seeker.get_by_role("button", name="Declare criteria unmet for submission 1").click()
    expect(seeker.get_by_role("status")).to_have_text("Refused.")
    expect(seeker.get_by_role("listitem").filter(has_text="Submission 1")).to_contain_text("Statusrefused")
    solver.reload()
    expect(solver.get_by_role("region", name="Your entry")).to_contain_text("Refusedcriteria unmet")
    screenshot(solver, "challenge-refused-solver-view")


def test_a_team_forms_and_changes_its_split_only_with_every_member(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot
) -> None:
    challenge_id = create_challenge(open_as(SEEKER))
    leader, member = open_as(SOLVER), open_as(FUNDER)
    for page in (member, leader):
        connect(page)
        page.goto(f"/#/challenges/{challenge_id}")
        page.get_by_role("button", name="Accept the terms").click()
        expect(page.get_by_role("form", name="Create a team")).to_be_visible()
    form = leader.get_by_role("form", name="Create a team")
    form.get_by_label("Other members").fill(dev_account(FUNDER).address)
    form.get_by_role("button", name="Create team").click()
    expect(leader.get_by_role("status")).to_have_text("Team created: each member now confirms.")
    expect(leader.get_by_role("form", name="Create a team")).to_have_count(0)  # one team per entrant

    member.reload()
    member.get_by_role("button", name="Confirm membership").click()
    team = member.get_by_role("listitem").filter(has_text="Team 1")
    expect(team).to_contain_text(f"{dev_account(FUNDER).address[:6]}…{dev_account(FUNDER).address[-4:]} ✓ confirmed")
    expect(member.get_by_text("Your team's leader submits for team 1.")).to_be_visible()
    proposal = member.get_by_role("form", name="Propose a split for team 1")
    member.get_by_text("Propose another split").click()
    proposal.get_by_label("Payout split").select_option("leader-half")
    proposal.get_by_label("Leader's allocation (basis points)").fill("7000, 3000")
    proposal.get_by_role("button", name="Propose this split").click()
    expect(team).to_contain_text("approved by 1 of 2")
    expect(team).to_contain_text("Splitequal shares")  # not in force until the leader approves
    screenshot(member, "challenge-team-split-proposed")

    leader.reload()
    leader.get_by_role("button", name="Approve the proposed split").click()
    expect(leader.get_by_role("listitem").filter(has_text="Team 1")).to_contain_text(
        "Splithalf equal, half by the leader (70% / 30%)"
    )
    screenshot(leader, "challenge-team-split-agreed")


# -- what the user is told when something goes wrong ---------------------------------------------


def test_a_rejected_transaction_is_explained(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    seeker = open_as(SEEKER)
    create_challenge(seeker)
    open_as.wallet(seeker).reject_next()
    seeker.get_by_label("Amount (ETH)").first.fill("0.1")
    seeker.get_by_role("button", name="Add to the prize").click()
    expect(seeker.get_by_role("alert")).to_contain_text("You rejected the request in your wallet")
    assert web.platform.w3.eth.get_balance(web.platform.challenge.address) == 15 * ETH // 10
    screenshot(seeker, "challenge-error-rejected")


def test_a_contract_refusal_is_explained_with_its_custom_error(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot, tmp_path: Path
) -> None:
    seeker, _solver, challenge_id = decrypted_in_evaluation(web, open_as, tmp_path)
    seeker.get_by_label("Amount (ETH)").last.fill("5")  # the prize is 1.5
    seeker.get_by_role("button", name="Award", exact=True).click()
    expect(seeker.get_by_role("alert")).to_contain_text(
        "The contract refused: SlotExceeded(1, 0, 1500000000000000000, 5000000000000000000): "
        "the award is larger than what remains of the prize."
    )
    assert web.platform.challenge.functions.getEntry(challenge_id, dev_account(SOLVER).address).call()[5] == 0
    screenshot(seeker, "challenge-error-contract-refusal")


def test_a_wallet_on_another_chain_is_told_to_switch(web: WebStack, open_as: OpenAs, screenshot: Screenshot) -> None:
    page = open_as(SEEKER)
    connect(page)
    open_as.wallet(page).pretend_chain(1)
    expect(page.get_by_role("alert")).to_contain_text("Wrong network: your wallet is on chain 1")
    screenshot(page, "challenge-error-wrong-network")
    page.get_by_role("button", name="Switch network").click()
    expect(page.get_by_role("alert")).to_be_hidden()


def test_a_prize_beyond_the_balance_is_insufficient_funds(
    web: WebStack, open_as: OpenAs, screenshot: Screenshot
) -> None:
    page = open_as(SEEKER)
    submit_challenge_form(page, prizes="100000000")
    expect(page.get_by_role("alert")).to_contain_text("Insufficient funds")
    assert web.platform.challenge.functions.challengeCount().call() == 0
    screenshot(page, "challenge-error-insufficient-funds")


@pytest.mark.parametrize(
    ("prizes", "told"),
    [
        ("", "A cash challenge needs at least one prize"),
        ("-1", "Prize must be above zero."),
        ("one", 'Prize: "one" is not an amount of ETH (at most 18 decimals).'),
    ],
)
def test_a_bad_prize_is_refused_before_any_signature(web: WebStack, open_as: OpenAs, prizes: str, told: str) -> None:
    page = open_as(SEEKER)
    wallet = open_as.wallet(page)
    submit_challenge_form(page, prizes)
    expect(page.get_by_role("alert")).to_contain_text(told)
    assert not {"personal_sign", "eth_signTypedData_v4", "eth_sendTransaction"} & set(wallet.requests)
