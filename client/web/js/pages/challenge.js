// One challenge: its terms and timeline, and what the connected account can do with it:
// fund it, accept the terms and enter the project room, submit an encrypted solution,
// manage a team, and (the seeker) decrypt, verify and award; winners withdraw.
import { ethers } from "ethers";
import { addToIpfs, api, apiAll, getConfig, readFromIpfs } from "../api.js";
import { openEnvelope, sealEnvelope } from "../crypto/envelope.js";
import { deriveChallengeKeyPair } from "../crypto/keys.js";
import { ApiError, DappError } from "../errors.js";
import { refresh, transact } from "../app.js";
import {
  actionButton,
  addressLink,
  busy,
  download,
  facts,
  field,
  fileBytes,
  formatAmount,
  fromNow,
  h,
  mount,
  parseAmount,
  section,
  setStatus,
  shortAddress,
  timeElement,
} from "../ui.js";
import { wallet } from "../wallet.js";

const ENTRY_STATUSES = ["none", "accepted", "submitted", "selected", "refused", "disputed", "overturned"];
const SPLIT_RULES = { equal: 0, "leader-half": 1 };
// The seeker's decrypted key pairs, per challenge, for this page's life only (never stored).
const keyPairs = new Map();

function phaseOf(challenge, now) {
  if (challenge.state !== "open") return challenge.state;
  if (now <= challenge.submission_deadline) return "accepting submissions";
  if (now <= challenge.evaluation_deadline) return "in evaluation";
  return "awaiting settlement";
}

/** "SubmissionCommitted" → "Submission committed". */
function eventName(name) {
  const words = name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace(/\bip\b/, "IP");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function timeline(events, now) {
  if (!events.length) return h("p", {}, "No events yet.");
  return h(
    "ol",
    { class: "timeline" },
    events.map((event) =>
      h(
        "li",
        {},
        h("strong", {}, eventName(event.event)),
        " ",
        event.block_timestamp ? timeElement(event.block_timestamp, now) : `block ${event.block_number}`,
        event.args.entrant ? [" · ", shortAddress(event.args.entrant)] : null,
      ),
    ),
  );
}


// -- anyone: add to the prize ----------------------------------------------------------------

function fundForm(challenge, token) {
  const amount = h("input", { name: "amount", inputmode: "decimal", required: true, placeholder: "0.5" });
  const submit = h("button", { type: "submit" }, "Add to the prize");
  const form = h("form", { class: "inline" }, field(`Amount (${token.symbol})`, amount), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const value = parseAmount(amount.value, token, "The amount");
      await wallet.ensureAllowance(token.address, challenge.escrow_address, value);
      await transact("ChallengeEscrow", "contribute", [challenge.challenge_id, value], {
        value: token.address === ethers.ZeroAddress ? value : 0n,
        label: "add to the prize",
      });
    }, "Thank you: the prize grew.");
  });
  return form;
}

// -- solvers: terms, project room, submission, team, withdrawal ------------------------------

async function agreementSection(challenge, entry, open) {
  const cid = challenge.metadata?.agreement_cid;
  const text = cid ? new TextDecoder().decode(await readFromIpfs(cid)) : null;
  const bytes = text === null ? null : new TextEncoder().encode(text);
  const matches = bytes && ethers.keccak256(bytes) === challenge.agreement_hash;
  const children = [
    text === null
      ? h("p", {}, "The agreement is not published on IPFS.")
      : h("pre", { class: "agreement", tabindex: 0, "aria-label": "Agreement text" }, text),
    matches === false ? h("p", { class: "error" }, "This text does not match the agreement hash on chain: do not accept.") : null,
  ];
  if (entry === "none" && open && matches) {
    children.push(
      actionButton("Accept the terms", () =>
        transact("ChallengeEscrow", "acceptTerms", [challenge.challenge_id, challenge.agreement_hash], { label: "accept terms" }),
      ),
    );
  } else if (entry !== "none") {
    children.push(h("p", {}, "You accepted these terms."));
  }
  return section("Agreement", ...children);
}

function roomSection(challenge, { seeker = false } = {}) {
  const body = h("div", { "aria-live": "polite" });
  const path = `/api/challenges/${challenge.challenge_id}/room`;
  async function show() {
    await wallet.ensureSignedIn(); // the room is gated by the session and the on-chain acceptance
    const room = await api(path);
    mount(
      body,
      room.documents.length
        ? h(
            "ul",
            { "aria-label": "Room documents" },
            room.documents.map((document) =>
              h("li", {}, h("a", { href: `${path}/documents/${document.id}`, download: document.filename }, document.filename), ` (${document.size} bytes)`),
            ),
          )
        : h("p", {}, "No document shared yet."),
    );
  }
  let upload = null;
  if (seeker) {
    const file = h("input", { type: "file", name: "file", required: true });
    const submit = h("button", { type: "submit" }, "Share with solvers");
    upload = h("form", { class: "inline", "aria-label": "Share a document" }, field("Document to share", file, "Only solvers who accepted the terms can read it."), submit);
    upload.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, async () => {
        if (!file.files.length) throw new DappError("Choose a document to share.");
        await wallet.ensureSignedIn();
        const form = new FormData();
        form.append("file", file.files[0]);
        await api(`${path}/documents`, { method: "POST", body: form });
        await show();
      }, "Shared in the project room.");
    });
  }
  return section(
    "Project room",
    h("p", {}, "Confidential documents the seeker shares with solvers who accepted the terms."),
    actionButton("Open the project room", show),
    upload,
    body,
  );
}

function submitSection(challenge) {
  const files = h("input", { type: "file", name: "files", multiple: true, required: true });
  const submit = h("button", { type: "submit" }, "Encrypt and submit");
  const form = h(
    "form",
    { class: "stack" },
    field("Solution files", files, "Encrypted in this browser for the seeker alone, signed by your wallet, then stored on IPFS."),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      if (!files.files.length) throw new DappError("Choose at least one file.");
      await wallet.ensureSignedIn();
      const config = await getConfig();
      const chosen = await Promise.all(Array.from(files.files, async (file) => ({ name: file.name, bytes: await fileBytes(file) })));
      setStatus("Encrypting… sign the envelope in your wallet.");
      const sealed = await sealEnvelope({
        files: chosen,
        context: { chainId: config.chain_id, contract: challenge.escrow_address, challengeId: challenge.challenge_id, kind: "submission" },
        recipients: [ethers.getBytes(challenge.encryption_public_key)],
        signer: await wallet.signer(),
      });
      setStatus("Uploading the encrypted solution to IPFS…");
      const added = await addToIpfs(sealed.bytes);
      await transact("ChallengeEscrow", "submit", [challenge.challenge_id, added.cid_bytes], { label: "submit solution" });
    }, "Your solution is committed on chain.");
  });
  return section("Submit a solution", form);
}

/** The split rule and the leader's allocation from a form's two fields; errors are sentences. */
function readSplit(ruleValue, bpsText, size) {
  if (ruleValue === "equal") return [SPLIT_RULES.equal, []];
  const bps = bpsText.split(",").map((text) => Number(text.trim()));
  if (bps.length !== size || bps.some((value) => !Number.isInteger(value) || value < 0)) {
    throw new DappError(`Give ${size} whole numbers of basis points, one per member, leader first.`);
  }
  if (bps.reduce((sum, value) => sum + value, 0) !== 10000) throw new DappError("The basis points must sum to 10000.");
  return [SPLIT_RULES["leader-half"], bps];
}

function splitFields() {
  const rule = h("select", { name: "rule" }, h("option", { value: "equal" }, "Equal shares"), h("option", { value: "leader-half" }, "Half equal, half as the leader sets"));
  const bps = h("input", { name: "bps", placeholder: "e.g. 6000, 4000" });
  return {
    rule,
    bps,
    fields: [field("Payout split", rule), field("Leader's allocation (basis points)", bps, "Half split only: one number per member, leader first, summing to 10000.")],
  };
}

function splitText(rule, bps) {
  return rule === "equal" ? "equal shares" : `half equal, half by the leader (${bps.map((b) => `${b / 100}%`).join(" / ")})`;
}

function proposeForm(team) {
  const { rule, bps, fields } = splitFields();
  const submit = h("button", { type: "submit" }, "Propose this split");
  const form = h("form", { class: "stack", "aria-label": `Propose a split for team ${team.team_id}` }, ...fields, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const [ruleIndex, allocation] = readSplit(rule.value, bps.value, team.members.length);
      await transact("ChallengeTeams", "proposeSplit", [team.team_id, ruleIndex, allocation], { label: "propose split" });
    }, "Proposed: it applies once every member approves.");
  });
  return h("details", {}, h("summary", {}, "Propose another split"), form);
}

function teamCard(team, entry) {
  const me = wallet.address;
  const mine = team.members.find((member) => member.address === me);
  const live = !team.disbanded;
  const proposal = team.proposal;
  let confirm = null;
  if (mine && !mine.confirmed && live) {
    confirm =
      entry === "none"
        ? h("p", { class: "hint" }, "Accept the terms above, then confirm your membership.")
        : actionButton("Confirm membership", () => transact("ChallengeTeams", "confirmMembership", [team.team_id], { label: "confirm membership" }), "Membership confirmed.");
  }
  return h(
    "li",
    { class: "card" },
    h("h3", {}, `Team ${team.team_id}`, team.disbanded ? " (disbanded)" : ""),
    facts([
      ["Leader", addressLink(team.leader)],
      ["Split", splitText(team.split_rule, team.members.map((member) => member.leader_bps ?? 0))],
      ["Members", h("ul", {}, team.members.map((member) => h("li", {}, addressLink(member.address), member.confirmed ? " ✓ confirmed" : " (not confirmed)")))],
      proposal && ["Proposed split", `${splitText(proposal.rule, proposal.leader_bps)}, approved by ${proposal.approved_by.length} of ${team.members.length}`],
    ]),
    confirm,
    mine && live && proposal && !proposal.approved_by.includes(me)
      ? actionButton("Approve the proposed split", () => transact("ChallengeTeams", "approveSplit", [team.team_id, proposal.nonce], { label: "approve split" }), "Approved.")
      : null,
    mine && live && mine.confirmed && team.fully_confirmed ? proposeForm(team) : null,
  );
}

/** The live team `address` belongs to in this challenge, if any. */
function teamOf(challenge, address) {
  return challenge.teams.find((team) => !team.disbanded && team.members.some((member) => member.address === address));
}

function teamsSection(challenge, entry, open) {
  const items = challenge.teams.map((team) => teamCard(team, entry));
  let form = null;
  if (entry === "accepted" && open && !teamOf(challenge, wallet.address)) {
    const members = h("input", { name: "members", placeholder: "0x…, 0x…" });
    const { rule, bps, fields } = splitFields();
    const submit = h("button", { type: "submit" }, "Create team");
    form = h(
      "form",
      { class: "stack", "aria-label": "Create a team" },
      field("Other members", members, "Their addresses, comma-separated; each must accept the terms and confirm."),
      ...fields,
      submit,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, async () => {
        const others = members.value.split(",").map((text) => text.trim()).filter(Boolean);
        const bad = others.find((address) => !ethers.isAddress(address));
        if (bad) throw new DappError(`"${bad}" is not an address.`);
        if (!others.length) throw new DappError("A team needs at least one other member.");
        const all = [wallet.address, ...others.map((address) => ethers.getAddress(address))];
        const [ruleIndex, allocation] = readSplit(rule.value, bps.value, all.length);
        await transact("ChallengeTeams", "createTeam", [challenge.challenge_id, others.map((a) => ethers.getAddress(a)), ruleIndex, allocation], {
          label: "create team",
        });
      }, "Team created: each member now confirms.");
    });
  }
  if (!items.length && !form) return null;
  return section(
    "Teams",
    h("p", { class: "hint" }, "A team submits once, through its leader; the prize is split as agreed, and the split changes only when every member approves."),
    items.length ? h("ul", { class: "cards" }, items) : null,
    form,
  );
}

// -- the seeker: decrypt, verify, award, close ------------------------------------------------

async function challengeKeys(challenge) {
  if (!keyPairs.has(challenge.challenge_id)) {
    const config = await getConfig();
    setStatus("Sign the key message in your wallet to open the solutions…");
    const pair = await deriveChallengeKeyPair(await wallet.signer(), config.chain_id, challenge.escrow_address, challenge.challenge_id);
    if (ethers.hexlify(pair.publicKey) !== challenge.encryption_public_key) {
      throw new DappError("This wallet derives another key than the challenge's: is it the seeker's wallet?");
    }
    keyPairs.set(challenge.challenge_id, pair);
  }
  return keyPairs.get(challenge.challenge_id);
}

function opened(result, submission) {
  const sameAuthor = result.author === submission.entrant;
  return h(
    "div",
    { class: "opened" },
    h(
      "p",
      { class: sameAuthor ? "verified" : "error" },
      sameAuthor
        ? `Verified: signed by ${submission.entrant}, the submitter on chain.`
        : `Warning: signed by ${result.author}, not by the submitter ${submission.entrant}.`,
    ),
    h(
      "ul",
      {},
      result.files.map((file) => {
        const text = file.bytes.length <= 64 * 1024 ? new TextDecoder("utf-8", { fatal: false }).decode(file.bytes) : null;
        return h(
          "li",
          {},
          download(file.name, file.bytes),
          ` (${file.bytes.length} bytes)`,
          text !== null ? h("pre", { class: "preview", tabindex: 0, "aria-label": `Contents of ${file.name}` }, text) : null,
        );
      }),
    ),
  );
}

function awardForm(challenge, submission, token) {
  const slots = challenge.slots.filter((slot) => BigInt(slot.remaining) > 0n);
  if (!slots.length) return null;
  const slot = h("select", { name: "slot" }, slots.map((s) => h("option", { value: s.slot }, `Award ${s.slot + 1}: ${formatAmount(s.remaining, token)} left`)));
  const amount = h("input", { name: "amount", inputmode: "decimal", placeholder: "all that is left" });
  const submit = h("button", { type: "submit" }, "Award");
  const form = h("form", { class: "inline", "aria-label": `Award ${submission.entrant}` }, field("Prize", slot), field(`Amount (${token.symbol})`, amount), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const chosen = challenge.slots.find((s) => String(s.slot) === slot.value);
      const value = amount.value.trim() ? parseAmount(amount.value, token, "The award") : BigInt(chosen.remaining);
      await transact("ChallengeEscrow", "award", [challenge.challenge_id, submission.entrant, chosen.slot, value], { label: "award" });
    }, "Awarded: the winner can withdraw it now.");
  });
  return form;
}

/** What the seeker may do instead of an award: the rules differ per challenge type. */
function refusalAction(challenge, submission, token) {
  const id = challenge.challenge_id;
  if (challenge.kind === "rfp") {
    return actionButton(`Select proposal ${submission.arrival}`, () => transact("ChallengeEscrow", "selectProposal", [id, submission.entrant], { label: "select proposal" }), "Proposal selected.");
  }
  if (challenge.kind === "conditional") {
    return actionButton(`Declare criteria unmet for submission ${submission.arrival}`, async () => {
      const escrow = await wallet.contract("ChallengeEscrow", { readOnly: true });
      const fee = await escrow.arbitrationFee(id); // the deposit an arbiter's ruling is paid from
      await wallet.ensureAllowance(token.address, challenge.escrow_address, fee);
      await transact("ChallengeEscrow", "declareCriteriaUnmet", [id, submission.entrant], {
        value: token.address === ethers.ZeroAddress ? fee : 0n,
        label: "declare criteria unmet",
      });
    }, challenge.arbiter ? "Refused: the solver may dispute it before the arbiter." : "Refused.");
  }
  return h(
    "p",
    { class: "hint" },
    challenge.prior_art_committed
      ? "An ideation submission can be refused only by revealing the prior art committed at creation: `bounty challenge refuse` does it."
      : "An ideation submission cannot be refused: award it, or it shares what is left of the prize.",
  );
}

async function reviewSection(challenge, token, now) {
  const submissions = await apiAll(`/api/challenges/${challenge.challenge_id}/submissions`);
  const inEvaluation = challenge.state === "open" && now > challenge.submission_deadline && now <= challenge.evaluation_deadline;
  const items = submissions.map((submission) => {
    const output = h("div", { "aria-live": "polite" });
    const decrypt = actionButton(`Decrypt submission ${submission.arrival}`, async () => {
      const keys = await challengeKeys(challenge);
      const config = await getConfig();
      setStatus("Fetching and decrypting the submission…");
      const result = await openEnvelope(await readFromIpfs(submission.cid), {
        context: { chainId: config.chain_id, contract: challenge.escrow_address, challengeId: challenge.challenge_id, kind: "submission" },
        privateKey: keys.privateKey,
        publicKey: keys.publicKey,
      });
      mount(output, opened(result, submission));
      setStatus("Decrypted and verified.");
    });
    return h(
      "li",
      { class: "card" },
      h("h3", {}, `Submission ${submission.arrival}`),
      facts([
        ["From", submission.team_id ? [addressLink(submission.entrant), ` (team ${submission.team_id})`] : addressLink(submission.entrant)],
        ["Submitted", timeElement(submission.submitted_at, now)],
        ["Status", submission.status],
        BigInt(submission.awarded) > 0n && ["Awarded", formatAmount(submission.awarded, token)],
      ]),
      decrypt,
      output,
      inEvaluation && challenge.kind !== "rfp" && ["submitted", "selected", "overturned"].includes(submission.status)
        ? awardForm(challenge, submission, token)
        : null,
      inEvaluation && submission.status === "submitted" ? refusalAction(challenge, submission, token) : null,
    );
  });
  const close = inEvaluation
    ? actionButton("Close the evaluation", () => transact("ChallengeEscrow", "closeEvaluation", [challenge.challenge_id], { label: "close evaluation" }))
    : null;
  return section(
    "Review submissions",
    inEvaluation ? h("p", {}, "Evaluation ends ", timeElement(challenge.evaluation_deadline, now), ". Awards you do not make by then are split among the submitters.") : null,
    items.length ? h("ul", { class: "cards" }, items) : h("p", {}, "No submission yet."),
    close,
  );
}

// -- the page -------------------------------------------------------------------------------

export async function render(main, { id }) {
  let challenge;
  try {
    challenge = await api(`/api/challenges/${id}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      mount(main, h("h1", {}, `Challenge ${id}`), h("p", {}, "Not indexed yet, or no such challenge. This page refreshes by itself."));
      redrawSoon(`#/challenges/${id}`);
      return;
    }
    throw error;
  }
  const [token, now, events] = await Promise.all([
    wallet.token(challenge.token),
    wallet.chainNow(),
    apiAll(`/api/challenges/${id}/timeline`),
  ]);
  const me = wallet.address;
  const isSeeker = me === challenge.seeker;
  const open = challenge.state === "open" && now <= challenge.submission_deadline;
  const metadata = challenge.metadata;

  const parts = [
    h("h1", {}, metadata?.title ?? `Challenge ${id}`),
    h("p", { class: "meta" }, h("span", { class: "badge" }, challenge.kind), " ", phaseOf(challenge, now)),
    facts([
      ["Prize", challenge.kind === "rfp" ? "Quotes (no cash prize)" : formatAmount(challenge.funded, token)],
      ["Awarded", formatAmount(challenge.awarded, token)],
      ["Submissions close", timeElement(challenge.submission_deadline, now)],
      ["Evaluation ends", timeElement(challenge.evaluation_deadline, now)],
      ["Seeker", [addressLink(challenge.seeker), metadata?.seeker_display_name ? ` (${metadata.seeker_display_name})` : ""]],
      ["Entrants", `${challenge.acceptance_count} accepted the terms, ${challenge.submission_count} submitted`],
      ["Evaluation licence", `${challenge.licence_days} days`],
      challenge.arbiter && ["Arbiter", addressLink(challenge.arbiter)],
      challenge.metadata_status !== "verified" && ["Metadata", challenge.metadata_status],
      challenge.outcome && BigInt(challenge.outcome.share_pool ?? 0) > 0n && [
        "Paid by default",
        `${formatAmount(challenge.outcome.share_pool, token)} split among ${challenge.outcome.share_count} submitter${challenge.outcome.share_count === 1 ? "" : "s"}`,
      ],
      challenge.outcome && BigInt(challenge.outcome.refund_pool ?? 0) > 0n && ["Refunded to contributors", formatAmount(challenge.outcome.refund_pool, token)],
    ]),
    metadata ? section("Description", h("div", { class: "description" }, metadata.description)) : null,
  ];

  if (challenge.kind !== "rfp") {
    parts.push(
      section(
        "Prize",
        h(
          "table",
          { class: "table" },
          h("caption", {}, "Awards"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Award"), h("th", { scope: "col" }, "Amount"), h("th", { scope: "col" }, "Left"))),
          h("tbody", {}, challenge.slots.map((slot) => h("tr", {}, h("td", {}, String(slot.slot + 1)), h("td", {}, formatAmount(slot.amount, token)), h("td", {}, formatAmount(slot.remaining, token))))),
        ),
        challenge.contributions.length
          ? h("p", {}, `${challenge.contributions.length} contribution${challenge.contributions.length === 1 ? "" : "s"}.`)
          : null,
        me && challenge.state === "open" ? fundForm(challenge, token) : null,
      ),
    );
  }

  if (me && !isSeeker) {
    const escrow = await wallet.contract("ChallengeEscrow", { readOnly: true });
    const entryView = await escrow.getEntry(challenge.challenge_id, me);
    const entry = ENTRY_STATUSES[Number(entryView.status)];
    const owed = entryView.awardOwed;
    // After the evaluation an unselected entrant's IP comes back when its licence expires.
    const licenceEnds = challenge.state === "open" ? 0n : await escrow.licenceExpiry(challenge.challenge_id, me);
    const refusal = challenge.refusals.find((r) => r.entrant === me);
    parts.push(
      section(
        "Your entry",
        facts([
          ["Status", entry],
          owed > 0n && ["Yours to withdraw", formatAmount(owed, token)],
          refusal && ["Refused", `${refusal.reason.replace("_", " ")} ${fromNow(refusal.refused_at, now)}`],
          licenceEnds > 0n && ["Your IP", ["the seeker's evaluation licence ends ", timeElement(licenceEnds, now), "; then your IP is yours alone"]],
        ]),
        entry === "refused" && challenge.arbiter && now <= refusal?.dispute_deadline
          ? actionButton("Dispute the refusal", async () => {
              await wallet.ensureAllowance(token.address, challenge.escrow_address, BigInt(refusal.fee));
              await transact("ChallengeEscrow", "disputeRefusal", [challenge.challenge_id], {
                value: token.address === ethers.ZeroAddress ? BigInt(refusal.fee) : 0n,
                label: "dispute refusal",
              });
            }, "Disputed: the arbiter rules within 7 days; if not, the refusal is overturned.")
          : null,
      ),
    );
    const eligible = ["submitted", "selected", "overturned"].includes(entry);
    if (challenge.outcome && BigInt(challenge.outcome.share_pool ?? 0) > 0n && eligible && !entryView.shareClaimed) {
      parts.push(
        actionButton("Claim your share", () => transact("ChallengeEscrow", "claimShare", [challenge.challenge_id, me], { label: "claim share" }), "Your share is yours to withdraw."),
      );
    }
    if (owed > 0n) {
      parts.push(actionButton("Withdraw award", () => transact("ChallengeEscrow", "withdrawAward", [challenge.challenge_id], { label: "withdraw award" }), "Withdrawn to your wallet."));
    }
    parts.push(await agreementSection(challenge, entry, open));
    if (entry !== "none") parts.push(roomSection(challenge));
    const team = teamOf(challenge, me);
    if (entry === "accepted" && open && team && team.leader !== me) {
      parts.push(section("Submit a solution", h("p", {}, `Your team's leader submits for team ${team.team_id}.`)));
    } else if (entry === "accepted" && open) {
      parts.push(submitSection(challenge));
    }
    const teams = teamsSection(challenge, entry, open);
    if (teams) parts.push(teams);
  } else if (!me) {
    parts.push(h("p", { class: "hint" }, "Connect your wallet to enter this challenge or add to its prize."));
  }
  const myContribution = challenge.contributions.find((c) => c.contributor === me && !c.refunded);
  if (myContribution && challenge.outcome && BigInt(challenge.outcome.refund_pool ?? 0) > 0n) {
    parts.push(
      section(
        "Refund",
        h("p", {}, "Part of the prize went unpaid: contributors are refunded pro rata (then withdraw it from your profile)."),
        actionButton("Claim my refund", () => transact("ChallengeEscrow", "claimRefund", [challenge.challenge_id, me], { label: "claim refund" }), "Refund credited: withdraw it from your profile."),
      ),
    );
  }
  if (isSeeker) parts.push(roomSection(challenge, { seeker: true }), await reviewSection(challenge, token, now));
  if (challenge.state === "open" && now > challenge.evaluation_deadline && me) {
    parts.push(
      section(
        "Settle",
        h("p", {}, "The evaluation deadline passed: anyone may settle. What was not awarded is split among the submitters."),
        actionButton("Settle the challenge", () => transact("ChallengeEscrow", "settle", [challenge.challenge_id], { label: "settle" })),
      ),
    );
  }
  parts.push(section("Timeline", timeline(events, now)));
  mount(main, ...parts);
  if (challenge.metadata_status === "pending") redrawSoon(`#/challenges/${id}`); // the indexer joins IPFS next
}

/** Draw this page again in a moment, unless the user went elsewhere meanwhile. */
function redrawSoon(hash) {
  setTimeout(() => window.location.hash === hash && refresh(), 1500);
}
