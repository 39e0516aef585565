// A profile: an address's two-sided reputation; on your own, your balances to withdraw.
import { ethers } from "ethers";
import { api } from "../api.js";
import { transact } from "../app.js";
import { busy, facts, formatAmount, h, mount, section } from "../ui.js";
import { wallet } from "../wallet.js";

const percent = (ratio) => (ratio === null || ratio === undefined ? "—" : `${Math.round(ratio * 100)}%`);

async function amounts(map) {
  const entries = Object.entries(map ?? {});
  if (!entries.length) return "—";
  const parts = await Promise.all(entries.map(async ([token, amount]) => formatAmount(amount, await wallet.token(token))));
  return parts.join(", ");
}

async function withdrawSection(address) {
  const escrow = await wallet.contract("ChallengeEscrow", { readOnly: true });
  const owed = await escrow.withdrawable(ethers.ZeroAddress, address);
  const children = [h("p", {}, `Refunds, team payouts and returned deposits held for you: ${formatAmount(owed)}.`)];
  if (owed > 0n) {
    const withdraw = h("button", { type: "button" }, "Withdraw ETH balance");
    withdraw.addEventListener("click", () =>
      busy(withdraw, async () => {
        await transact("ChallengeEscrow", "withdraw", [ethers.ZeroAddress], { label: "withdraw" });
      }, "Withdrawn to your wallet."),
    );
    children.push(withdraw);
  }
  return section("Balance", ...children);
}

export async function render(main, { address }) {
  if (!address) {
    if (!wallet.address) {
      mount(main, h("h1", {}, "My profile"), h("p", {}, "Connect your wallet to see your profile."));
      return;
    }
    address = wallet.address;
  }
  const profile = await api(`/api/profiles/${address}`);
  const { seeker, solver, requester, worker } = profile;
  const own = address.toLowerCase() === wallet.address?.toLowerCase();
  mount(
    main,
    h("h1", {}, own ? "My profile" : "Profile"),
    h("p", { class: "address-full" }, profile.address),
    own && wallet.ethereum ? await withdrawSection(profile.address) : null,
    section(
      "As a seeker",
      facts([
        ["Challenges", `${seeker.challenges_created} (${seeker.open} open, ${seeker.settled} settled, ${seeker.cancelled} cancelled)`],
        ["Funded", await amounts(seeker.funded)],
        ["Awarded", await amounts(seeker.awarded)],
        ["Evaluated on time", `${seeker.evaluated_on_time} of ${seeker.evaluated_on_time + seeker.settled_by_default}`],
        ["Refusals", `${seeker.refusals_made} (${seeker.refusals_overturned} overturned)`],
      ]),
    ),
    section(
      "As a solver",
      facts([
        ["Terms accepted", solver.terms_accepted],
        ["Submissions", solver.submissions],
        ["Awards won", `${solver.awards_won}: ${await amounts(solver.awarded)}`],
        ["Default shares", `${solver.default_shares}: ${await amounts(solver.shares)}`],
        ["Disputes", `${solver.disputes_won} won, ${solver.disputes_lost} lost`],
        ["Teams", solver.team_memberships],
      ]),
    ),
    section(
      "As a requester",
      facts([
        ["Batches", `${requester.batches_funded} funded, ${requester.batches_closed} closed`],
        ["Tasks", `${requester.tasks_approved} approved, ${requester.tasks_rejected} rejected`],
        ["Vouchers issued", await amounts(requester.vouchers_issued)],
      ]),
    ),
    section(
      "As a worker",
      facts([
        ["Results", `${worker.results_submitted} submitted, ${worker.results_approved} approved, ${worker.results_rejected} rejected`],
        ["Approval rate", percent(worker.approval_rate)],
        ["Redeemed", await amounts(worker.redeemed)],
        ["Pending vouchers", await amounts(worker.pending_vouchers)],
      ]),
    ),
  );
}
