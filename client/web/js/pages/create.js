// Post a challenge: publish the agreement and metadata, derive the challenge's encryption key
// from the seeker's wallet, and create the challenge with its prize escrowed in one transaction.
import { ethers } from "ethers";
import { addToIpfs, api, getConfig } from "../api.js";
import { deriveChallengeKeyPair } from "../crypto/keys.js";
import { DappError } from "../errors.js";
import { busy, field, h, mount, parseAmount, parseTokenAddress, setStatus } from "../ui.js";
import { wallet } from "../wallet.js";

const KINDS = ["ideation", "conditional", "rfp"]; // the contract's ChallengeType order
const CATEGORIES = ["ideation", "theoretical", "reduction-to-practice", "software", "other"];
const DAY = 86400;
const ZERO_BYTES32 = ethers.ZeroHash;

function input(name, attributes = {}) {
  return h("input", { name, ...attributes });
}

/** The form's values, checked; every problem is one clear sentence. */
async function readForm(form) {
  const data = Object.fromEntries(new FormData(form));
  const kind = data.kind;
  const token = await wallet.token(parseTokenAddress(data.token, "Prize token"));
  const prizeTexts = data.prizes.split(",").map((text) => text.trim()).filter(Boolean);
  if (kind === "rfp" && prizeTexts.length) throw new DappError("An RFP has no cash prize: leave the prizes empty.");
  if (kind !== "rfp" && !prizeTexts.length) throw new DappError("A cash challenge needs at least one prize, e.g. 1.5");
  if (prizeTexts.length > 16) throw new DappError("At most 16 prizes.");
  const slots = prizeTexts.map((text) => parseAmount(text, token, "Prize"));
  const submissionDays = Number(data.submission_days);
  const evaluationDays = Number(data.evaluation_days);
  if (!(submissionDays > 0) || !(evaluationDays > 0)) throw new DappError("Both periods must be more than zero days.");
  const arbiter = data.arbiter.trim() || ethers.ZeroAddress;
  if (!ethers.isAddress(arbiter)) throw new DappError(`Arbiter: "${data.arbiter}" is not an address.`);
  const tags = data.tags.split(",").map((tag) => tag.trim().toLowerCase()).filter(Boolean);
  const badTag = tags.find((tag) => !/^[a-z0-9][a-z0-9-]{0,39}$/.test(tag));
  if (badTag) throw new DappError(`Tag "${badTag}": use lower-case letters, digits and dashes.`);
  if (!data.agreement.trim()) throw new DappError("Write the agreement solvers accept (IP terms, licence, confidentiality).");
  return { ...data, kind, token, slots, submissionDays, evaluationDays, arbiter: ethers.getAddress(arbiter), tags };
}

async function create(form) {
  const values = await readForm(form);
  await wallet.ensureSignedIn(); // publishing to IPFS goes through the backend, which needs a session
  const config = await getConfig();
  const escrow = await wallet.contract("ChallengeEscrow");
  const now = await wallet.chainNow();
  const submissionDeadline = now + Math.round(values.submissionDays * DAY);
  const evaluationDeadline = submissionDeadline + Math.round(values.evaluationDays * DAY);
  const funded = values.slots.reduce((sum, amount) => sum + amount, 0n);

  setStatus("Publishing the agreement and the metadata on IPFS…");
  const agreement = new TextEncoder().encode(values.agreement);
  const agreementAdded = await addToIpfs(agreement);
  const metadata = await api("/api/metadata", {
    method: "POST",
    json: {
      kind: "challenge",
      title: values.title,
      description: values.description,
      challenge_type: values.category,
      prize_display: funded ? `${ethers.formatUnits(funded, values.token.decimals)} ${values.token.symbol}` : "no prize (RFP)",
      submission_deadline: submissionDeadline,
      review_deadline: evaluationDeadline,
      agreement_cid: agreementAdded.cid,
      tags: values.tags,
      attachments: [],
      seeker_display_name: values.display_name.trim() || null,
    },
  });

  // The key is derived for the next id; if someone else creates one first, the ids differ and we say so.
  const challengeId = (await escrow.challengeCount()) + 1n;
  setStatus("Sign the key message in your wallet: it derives the key that opens the solutions…");
  const keys = await deriveChallengeKeyPair(await wallet.signer(), config.chain_id, await escrow.getAddress(), challengeId);
  await wallet.ensureAllowance(values.token.address, await escrow.getAddress(), funded);
  const terms = [
    KINDS.indexOf(values.kind),
    values.token.address,
    values.slots,
    submissionDeadline,
    evaluationDeadline,
    ethers.keccak256(agreement),
    metadata.cid_bytes,
    metadata.metadata_hash,
    ethers.hexlify(keys.publicKey),
    values.arbiter,
    Number(values.licence_days),
    ZERO_BYTES32,
  ];
  const { events } = await wallet.send("ChallengeEscrow", "createChallenge", [terms], {
    value: values.token.address === ethers.ZeroAddress ? funded : 0n,
    label: "create challenge",
  });
  const created = events.find((event) => event.name === "ChallengeCreated")?.args.challengeId;
  if (created !== challengeId) {
    throw new DappError(
      `Challenge ${created} was created, but its key was derived for ${challengeId} (someone created one meanwhile): ` +
        `cancel challenge ${created} and post it again.`,
    );
  }
  setStatus(`Challenge ${created} created.`);
  window.location.hash = `#/challenges/${created}`;
}

export async function render(main) {
  const kind = h(
    "select",
    { name: "kind" },
    h("option", { value: "ideation" }, "Ideation: at least one award is guaranteed"),
    h("option", { value: "conditional" }, "Conditional: paid only if the criteria are met"),
    h("option", { value: "rfp" }, "RFP: quotes, no cash prize"),
  );
  const category = h("select", { name: "category" }, CATEGORIES.map((name) => h("option", { value: name }, name)));
  const submit = h("button", { type: "submit" }, "Create and fund");
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "create-heading" },
    field("Title", input("title", { required: true, maxlength: 200 })),
    field("Description", h("textarea", { name: "description", rows: 6, required: true }), "Markdown; what a solution must achieve."),
    field("Challenge type", kind),
    field("Category", category),
    field("Prize token", input("token", { value: "ETH" }), "ETH, or the address of an ERC-20 token."),
    field("Prizes", input("prizes", { value: "1", inputmode: "decimal" }), "One amount per award, separated by commas (e.g. 1, 0.5). Empty for an RFP."),
    field("Submissions close in (days)", input("submission_days", { type: "number", min: "0.01", step: "any", value: 7 })),
    field("Evaluation period (days after that)", input("evaluation_days", { type: "number", min: "0.01", step: "any", value: 14 })),
    field("Agreement", h("textarea", { name: "agreement", rows: 5, required: true }), "What solvers accept before they enter the project room; its hash goes on chain."),
    field("Evaluation licence (days)", input("licence_days", { type: "number", min: 0, max: 3650, value: 90 }), "Unselected solvers get their IP back when it expires."),
    field("Tags", input("tags", { placeholder: "water, filtration" }), "Comma-separated."),
    field("Arbiter (optional)", input("arbiter", { placeholder: "0x…" }), "Rules on disputed refusals; leave empty for none."),
    field("Display name (optional)", input("display_name", { maxlength: 200 })),
    h("p", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, () => create(form));
  });
  mount(
    main,
    h("h1", { id: "create-heading" }, "Post a challenge"),
    h("p", {}, "The prize is escrowed by the contract when you create the challenge; nobody else holds it."),
    form,
  );
}
