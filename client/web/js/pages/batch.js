// One micro-task batch: its terms, instructions, progress and tasks, and what the connected
// account can do with it. A worker claims tasks and submits results; the requester reviews
// them and pays with cumulative vouchers. Every step is an EIP-712 message the wallet signs
// and the backend verifies, exactly as the CLI builds them (client/microtasks.py).
import { ethers } from "ethers";
import { addToIpfs, api, apiAll, getConfig, readFromIpfs } from "../api.js";
import { refresh, transact } from "../app.js";
import { ApiError, DappError } from "../errors.js";
import {
  actionButton,
  addressLink,
  busy,
  download,
  facts,
  field,
  fileBytes,
  formatAmount,
  formatDuration,
  h,
  mount,
  parseAmount,
  section,
  setStatus,
  shortAddress,
  timeElement,
} from "../ui.js";
import { wallet } from "../wallet.js";

// Signed claims, results and reviews expire after this (the CLI's MESSAGE_LIFETIME_S); the
// backend checks their deadline against its own clock, so it is taken from the wall clock.
const MESSAGE_LIFETIME_S = 600;
const GRACE_PERIOD_S = 7 * 86400; // MicrotaskEscrow.GRACE_PERIOD: closing is allowed after expiry + this
const TASKS_SHOWN = 50; // rows per "Show more" of the task table
const PREVIEW_BYTES = 4096; // answers up to this size are shown inline as text
const QUEUE_SHOWN = 20; // review cards on the page at once
const QUALIFICATIONS = ["None", "Allowlist", "Qualifier"]; // the contract's QualificationKind

// -- shared with the requester and worker pages --------------------------------------------

/** {symbol, decimals} of a batch's token; without a wallet to read an ERC-20, exact base units. */

export function batchTitle(batch) {
  return batch.title ?? `Batch ${batch.batch_id}`;
}


// Task states in chart order, with the colours of the bar and its legend (attributes, so the
// chart reads right even where the stylesheet does not load; microtasks.css may restyle them).
const SEGMENTS = [
  ["approved", "Approved", "#17693a"],
  ["submitted", "Awaiting review", "#c77c02"],
  ["claimed", "Being worked on", "#1f5fbf"],
  ["open", "Open", "#d9dee7"],
];
const SVG = "http://www.w3.org/2000/svg";

function taskCounts(progress) {
  return {
    approved: progress.tasks_approved,
    submitted: progress.tasks_submitted,
    claimed: progress.tasks_claimed,
    open: progress.tasks_open,
  };
}

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** The batch's tasks by state: a stacked bar (decoration) and the same numbers as text. */
function progressChart(batch) {
  const counts = taskCounts(batch.progress);
  const total = batch.task_count;
  // The caption says the same in words, so the bar is hidden from screen readers.
  const bar = svg("svg", { viewBox: `0 0 ${total} 1`, preserveAspectRatio: "none", width: "100%", height: 16, "aria-hidden": "true", class: "progress-bar" });
  let x = 0;
  for (const [key, , colour] of SEGMENTS) {
    if (!counts[key]) continue;
    bar.append(svg("rect", { x, y: 0, width: counts[key], height: 1, fill: colour, class: `segment-${key}` }));
    x += counts[key];
  }
  const swatch = (key, colour) => {
    const box = svg("svg", { viewBox: "0 0 1 1", width: 14, height: 14, "aria-hidden": "true", class: "swatch" });
    box.append(svg("rect", { width: 1, height: 1, fill: colour, class: `segment-${key}` }));
    return box;
  };
  return h(
    "figure",
    { class: "batch-progress" },
    bar,
    h(
      "figcaption",
      {},
      h("p", {}, `${counts.approved} of ${total} task${total === 1 ? "" : "s"} approved`),
      h(
        "ul",
        { class: "progress-legend" },
        SEGMENTS.map(([key, label, colour]) => h("li", {}, swatch(key, colour), ` ${label}: ${counts[key]}`)),
      ),
    ),
  );
}

/** One line for lists: a native <progress> of approved tasks with the numbers as its label. */
export function progressMeter(batch) {
  const counts = taskCounts(batch.progress);
  const text = `${counts.approved} of ${batch.task_count} approved, ${batch.progress.results_pending} to review`;
  return h(
    "span",
    { class: "progress-meter" },
    h("progress", { max: batch.task_count, value: counts.approved, "aria-label": text }),
    h("span", {}, text),
  );
}

/**
 * Sign a micro-task message with the wallet: the typed data comes from /api/config, so it is
 * the backend's own. Returns the fields every signed request carries.
 */
async function signMessage(primaryType, message) {
  const { microtask_typed_data: typed } = await getConfig();
  // Vouchers are the contract's typed data (they redeem on chain); claims, results and reviews
  // use the backend's domain, so none of them can ever pass for an on-chain signature.
  const domain = primaryType === "Voucher" ? typed.escrow_domain : typed.offchain_domain;
  const signer = await wallet.signer();
  setStatus(`Sign the ${primaryType.toLowerCase()} in your wallet…`);
  const signature = await signer.signTypedData(domain, { [primaryType]: typed.types[primaryType] }, message);
  return {
    chain_id: domain.chainId,
    verifying_contract: domain.verifyingContract,
    // Some wallets answer with v = 0/1; the backend and the contract take 27/28 only.
    signature: ethers.Signature.from(signature).serialized,
  };
}

/** The backend's clock: it stamps claims and results, and checks message deadlines, by the wall
 * clock, which the dev chain's clock (`wallet.chainNow()`, for on-chain times) may not follow. */
export function backendNow() {
  return Math.floor(Date.now() / 1000);
}

function messageDeadline() {
  return backendNow() + MESSAGE_LIFETIME_S;
}


/** A task's input as a small definition list (objects) or its JSON (anything else). */
function taskInput(input) {
  if (input && typeof input === "object" && !Array.isArray(input)) {
    return h(
      "dl",
      { class: "task-input" },
      Object.entries(input).flatMap(([key, value]) => [
        h("dt", {}, key),
        h("dd", {}, typeof value === "string" ? value : JSON.stringify(value)),
      ]),
    );
  }
  return h("code", {}, JSON.stringify(input));
}

// -- the batch's terms -----------------------------------------------------------------------

async function instructions(batch) {
  if (!batch.metadata_cid || batch.metadata_status !== "verified") {
    return h("p", { class: "hint" }, `The batch's description is not available (metadata ${batch.metadata_status}).`);
  }
  try {
    const bytes = await readFromIpfs(batch.metadata_cid);
    // The backend verified it too; checking the hash here costs nothing and needs no trust.
    if (ethers.keccak256(bytes) !== batch.metadata_hash) throw new DappError("the metadata does not match its hash");
    const metadata = JSON.parse(new TextDecoder().decode(bytes));
    return h("div", { class: "description" }, metadata.instructions || "No instructions given.");
  } catch (error) {
    return h("p", { class: "error" }, `The instructions could not be loaded: ${error.message}`);
  }
}

function terms(batch, token, now) {
  const qualification =
    batch.qualification_kind === 2
      ? ["Qualifier ", addressLink(ethers.getAddress(ethers.dataSlice(batch.qualification, 12)))]
      : QUALIFICATIONS[batch.qualification_kind];
  const list = facts([
    ["Requester", addressLink(batch.requester)],
    ["Reward per task", formatAmount(batch.reward, token)],
    ["Tasks", String(batch.task_count)],
    ["Escrowed", formatAmount(batch.escrowed, token)],
    batch.bonus_pool !== "0" && ["Bonus pool", formatAmount(batch.bonus_pool, token)],
    ["Paid out on chain", formatAmount(batch.paid, token)],
    ["Promised by vouchers", formatAmount(batch.progress.vouchered, token)],
    [now < batch.expiry ? "Work ends" : "Work ended", timeElement(batch.expiry, now)],
    ["Claims last", formatDuration(batch.assignment_duration)],
    ["Review window", [formatDuration(batch.review_window), " (for results posted on chain)"]],
    ["Arbiter", batch.arbiter === ethers.ZeroAddress ? "None: rejections of on-chain results are final" : addressLink(batch.arbiter)],
    ["Qualification", qualification],
    ["State", batch.state],
  ]);
  list.classList.add("batch-terms");
  return list;
}

// -- workers ---------------------------------------------------------------------------------

async function claimTask(batch, taskIndex, proofInput) {
  await wallet.ensureReady();
  const worker = wallet.address;
  if (worker === batch.requester) throw new DappError("This is your own batch: workers claim its tasks, you review them.");
  const proof = proofInput?.value.trim() || "0x";
  if (!ethers.isHexString(proof)) throw new DappError("The qualification proof must be hex (0x…), as the qualifier gave it.");
  const deadline = messageDeadline();
  const signed = await signMessage("Claim", { batchId: batch.batch_id, taskIndex, worker, deadline });
  const claimed = await api(`/api/batches/${batch.batch_id}/claims`, {
    method: "POST",
    json: { ...signed, task_index: taskIndex, worker, deadline, qualification_proof: proof },
  });
  await refresh();
  setStatus(`Task ${taskIndex} is yours until ${new Date(claimed.expires_at * 1000).toLocaleTimeString()}.`);
}

async function submitResult(batch, task, answer, attachment) {
  const file = attachment.files[0];
  const bytes = file ? await fileBytes(file) : new TextEncoder().encode(answer.value);
  if (!bytes.length || (!file && !answer.value.trim())) throw new DappError(`Write an answer for task ${task.task_index} or attach a file.`);
  await wallet.ensureSignedIn(); // adding to IPFS goes through the backend, which needs a session
  const worker = wallet.address;
  setStatus("Publishing your result on IPFS…");
  const added = await addToIpfs(bytes);
  const resultHash = ethers.keccak256(bytes); // the contract's resultHash, should it ever go on chain
  const deadline = messageDeadline();
  const message = { batchId: batch.batch_id, taskIndex: task.task_index, worker, resultHash, resultCid: added.cid, deadline };
  const signed = await signMessage("Result", message);
  await api(`/api/batches/${batch.batch_id}/results`, {
    method: "POST",
    json: { ...signed, task_index: task.task_index, worker, result_hash: resultHash, result_cid: added.cid, deadline },
  });
  await refresh();
  setStatus(`Result for task ${task.task_index} submitted; the requester reviews it next.`);
}

function submitForm(batch, task) {
  const answer = h("textarea", { name: "answer", rows: 3 });
  const attachment = h("input", { type: "file", name: "attachment" });
  const submit = h("button", { type: "submit" }, `Submit result for task ${task.task_index}`);
  const form = h(
    "form",
    { class: "stack" },
    field(`Answer for task ${task.task_index}`, answer, "Published on IPFS: anyone with its link can read it."),
    field(`Or attach a file for task ${task.task_index}`, attachment),
    h("p", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, () => submitResult(batch, task, answer, attachment));
  });
  return h(
    "article",
    { class: "card" },
    h("h3", {}, `Task ${task.task_index}`),
    taskInput(task.input),
    h("p", { class: "meta" }, "Your claim expires ", timeElement(task.claim_expires_at, backendNow())),
    form,
  );
}

const RESULT_STATES = { pending: "waiting for review", approved: "approved", rejected: "rejected (the task is open again)" };

function workerSection(batch, tasks, results, proofInput) {
  const me = wallet.address;
  const mine = tasks.filter((task) => task.status === "claimed" && task.claimed_by === me);
  const myResults = results.filter((result) => result.worker === me);
  const nextOpen = tasks.find((task) => task.status === "open");
  const work = mine.map((task) => submitForm(batch, task));
  if (nextOpen && canWork(batch)) {
    work.unshift(actionButton("Claim the next open task", () => claimTask(batch, nextOpen.task_index, proofInput)));
  }
  if (myResults.length) {
    work.push(
      h(
        "ul",
        { class: "my-results", "aria-label": "Your results" },
        myResults.map((result) =>
          h("li", {}, `Task ${result.task_index}: ${RESULT_STATES[result.status]} · submitted `, timeElement(result.submitted_at, backendNow())),
        ),
      ),
    );
  }
  if (myResults.some((result) => result.status === "approved")) {
    work.push(h("p", {}, "The requester pays approved work by voucher: ", h("a", { href: "#/tasks" }, "see and redeem your vouchers"), "."));
  }
  if (!work.length) {
    const why = !me ? "Connect your wallet to work on this batch." : canWork(batch) || batch.manifest_status !== "verified" ? "No open task is left for you in this batch." : "This batch takes no more work.";
    work.push(h("p", {}, why));
  }
  const proof = proofInput
    ? field("Qualification proof", proofInput, "This batch admits qualified workers only: paste the proof (0x…) you were given.")
    : null;
  return section("Your work", proof, ...work);
}

// The backend takes claims until the batch's expiry by its own clock.
function canWork(batch) {
  return batch.state === "open" && batch.manifest_status === "verified" && backendNow() < batch.expiry && wallet.address !== batch.requester;
}

// -- the requester ---------------------------------------------------------------------------

// Bonuses are signed into reviews, but the API does not list reviews: this browser remembers the
// bonuses it granted, so the next voucher can include them (the requester may edit the amount).
function bonusKey(batch, worker) {
  return `crowdbounty.bonuses.${batch.chain_id}.${batch.escrow}.${batch.batch_id}.${worker}`;
}

function grantedBonuses(batch, worker) {
  const stored = JSON.parse(localStorage.getItem(bonusKey(batch, worker)) ?? "{}");
  return Object.values(stored).reduce((sum, amount) => sum + BigInt(amount), 0n);
}

function rememberBonus(batch, worker, taskIndex, bonus) {
  const stored = JSON.parse(localStorage.getItem(bonusKey(batch, worker)) ?? "{}");
  stored[taskIndex] = bonus.toString();
  localStorage.setItem(bonusKey(batch, worker), JSON.stringify(stored));
}

async function review(batch, result, token, { approved, bonusText = "", reason = "" }) {
  await wallet.ensureReady();
  const bonus = approved ? parseAmount(bonusText, token, `Bonus for task ${result.task_index}`, { allowZero: true }) : 0n;
  if (!approved && !reason.trim()) throw new DappError(`Say why task ${result.task_index} is rejected: the worker sees the reason's hash.`);
  // As the CLI: the reason's keccak-256 is signed (the text itself stays with the requester).
  const reasonHash = approved ? ethers.ZeroHash : ethers.id(reason.trim());
  const deadline = messageDeadline();
  const message = {
    batchId: batch.batch_id,
    taskIndex: result.task_index,
    worker: result.worker,
    approved,
    reasonHash,
    bonus,
    deadline,
  };
  const signed = await signMessage("Review", message);
  await api(`/api/batches/${batch.batch_id}/reviews`, {
    method: "POST",
    json: {
      ...signed,
      task_index: result.task_index,
      worker: result.worker,
      approved,
      reason_hash: reasonHash,
      bonus: bonus.toString(),
      deadline,
    },
  });
  if (bonus > 0n) rememberBonus(batch, result.worker, result.task_index, bonus);
  await refresh();
  setStatus(`Task ${result.task_index} ${approved ? "approved" : "rejected"}.`);
}

/** The answer's first bytes as text, or its size and a download link when it is not short text. */
async function answerPreview(result, slot) {
  try {
    const bytes = await readFromIpfs(result.result_cid);
    if (ethers.keccak256(bytes) !== result.result_hash) {
      mount(slot, h("p", { class: "error" }, "The stored answer does not match the hash the worker signed."));
      return;
    }
    let text = null;
    if (bytes.length <= PREVIEW_BYTES) {
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        // binary: offered as a download below
      }
    }
    mount(
      slot,
      text !== null
        ? h("pre", { class: "preview" }, text)
        : h("p", {}, `${bytes.length} bytes · `, download(`task-${result.task_index}-${result.worker}.bin`, bytes)),
    );
  } catch (error) {
    mount(slot, h("p", { class: "error" }, `The answer could not be loaded from IPFS (${error.message}).`));
  }
}

function reviewCard(batch, result, task, token) {
  const bonus = h("input", { name: "bonus", inputmode: "decimal", placeholder: "0" });
  const reason = h("input", { name: "reason", maxlength: 500 });
  const preview = h("div", { class: "answer" }, h("p", { class: "hint" }, "Loading the answer…"));
  answerPreview(result, preview);
  const approve = actionButton(`Approve task ${result.task_index}`, () => review(batch, result, token, { approved: true, bonusText: bonus.value }));
  const reject = actionButton(`Reject task ${result.task_index}`, () => review(batch, result, token, { approved: false, reason: reason.value }));
  return h(
    "article",
    { class: "card review" },
    h("h3", {}, `Task ${result.task_index} by `, shortAddress(result.worker)),
    h("p", { class: "meta" }, "Submitted ", timeElement(result.submitted_at, backendNow())),
    task ? taskInput(task.input) : null,
    preview,
    h(
      "div",
      { class: "review-actions" },
      h("div", { class: "inline" }, field(`Bonus for task ${result.task_index} (${token.symbol}, optional)`, bonus), approve),
      h("div", { class: "inline" }, field(`Reason for rejecting task ${result.task_index}`, reason), reject),
    ),
  );
}

async function issueVoucher(batch, worker, token, amountText) {
  await wallet.ensureReady();
  const cumulativeAmount = parseAmount(amountText, token, "The voucher's total");
  const signed = await signMessage("Voucher", { batchId: batch.batch_id, worker, cumulativeAmount });
  await api(`/api/batches/${batch.batch_id}/vouchers`, {
    method: "POST",
    json: { ...signed, worker, cumulative_amount: cumulativeAmount.toString() },
  });
  await refresh();
  setStatus(`Voucher of ${formatAmount(cumulativeAmount, token)} issued to ${worker}; they can redeem it now.`);
}

/** Per worker with approved results: what is owed, what vouchers already promise, and a voucher form. */
async function paySection(batch, results, token) {
  const approved = new Map();
  for (const result of results) {
    if (result.status === "approved") approved.set(result.worker, (approved.get(result.worker) ?? 0) + 1);
  }
  if (!approved.size) return section("Pay workers", h("p", {}, "Approve results first; then sign each worker a voucher for what they earned."));
  const rows = await Promise.all(
    [...approved].map(async ([worker, count]) => {
      const held = await api(`/api/workers/${worker}/vouchers`);
      const latest = held.find((voucher) => voucher.batch_id === batch.batch_id);
      const owed = BigInt(batch.reward) * BigInt(count) + grantedBonuses(batch, worker);
      const issued = latest ? BigInt(latest.cumulative_amount) : 0n;
      // Vouchers are cumulative: the next one names everything owed so far, never just the difference.
      const amount = h("input", { name: "cumulative", inputmode: "decimal", value: ethers.formatUnits(owed > issued ? owed : issued, token.decimals) });
      const short = `${worker.slice(0, 6)}…${worker.slice(-4)}`;
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, addressLink(worker)),
        h("td", {}, String(count)),
        h("td", {}, formatAmount(owed, token)),
        h(
          "td",
          {},
          latest ? `${formatAmount(issued, token)} (${formatAmount(latest.redeemed, token)} redeemed)` : "none yet",
          issued >= owed ? " · paid up" : "",
        ),
        h(
          "td",
          {},
          h(
            "div",
            { class: "inline" },
            field(`Voucher total for ${short} (${token.symbol})`, amount),
            actionButton(`Sign voucher for ${short}`, () => issueVoucher(batch, worker, token, amount.value)),
          ),
        ),
      );
    }),
  );
  return section(
    "Pay workers",
    h("p", { class: "hint" }, "A voucher names everything you owe a worker from this batch (rewards and bonuses); each new one replaces the last. Bonuses you granted in this browser are included."),
    h(
      "div",
      { class: "table-scroll", role: "region", "aria-label": "Vouchers by worker", tabindex: 0 },
      h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, ["Worker", "Approved", "Owed", "Voucher issued", "New voucher"].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

async function requesterSections(batch, tasks, results, token, now) {
  const byIndex = new Map(tasks.map((task) => [task.task_index, task]));
  const pending = results.filter((result) => result.status === "pending");
  // Oldest first, a screenful at a time: each card fetches its answer from IPFS.
  const shown = pending.slice(0, QUEUE_SHOWN);
  const queue = section(
    `Review queue (${pending.length})`,
    pending.length
      ? h("div", { class: "cards" }, shown.map((result) => reviewCard(batch, result, byIndex.get(result.task_index), token)))
      : h("p", {}, "No result is waiting for your review."),
    pending.length > shown.length ? h("p", { class: "hint" }, `The oldest ${shown.length} of ${pending.length}; the next appear as you review these.`) : null,
  );
  const closable = batch.state === "open" && now > batch.expiry + GRACE_PERIOD_S;
  const close = closable
    ? section(
        "Close the batch",
        h("p", {}, "Work and the grace period are over: closing sends you everything not yet redeemed. Vouchers not redeemed by then become void."),
        actionButton("Close batch and reclaim the rest", () => transact("MicrotaskEscrow", "closeBatch", [batch.batch_id], { label: "close batch" })),
      )
    : null;
  return [queue, await paySection(batch, results, token), close];
}

// -- the task table --------------------------------------------------------------------------

function statusText(task) {
  const me = wallet.address;
  if (task.status === "claimed") {
    return [task.claimed_by === me ? "claimed by you, " : ["claimed by ", shortAddress(task.claimed_by), ", "], "free again ", timeElement(task.claim_expires_at, backendNow())];
  }
  if (task.status === "submitted") return ["submitted by ", shortAddress(task.claimed_by)];
  if (task.status === "approved") return ["approved (", shortAddress(task.claimed_by), ")"];
  return "open";
}

function taskTable(batch, tasks, proofInput) {
  const body = h("tbody");
  const more = h("button", { type: "button" }, "Show more tasks");
  const working = canWork(batch);
  let shown = 0;
  function showMore() {
    for (const task of tasks.slice(shown, shown + TASKS_SHOWN)) {
      const action = working && task.status === "open" ? actionButton("Claim", () => claimTask(batch, task.task_index, proofInput), undefined, { "aria-label": `Claim task ${task.task_index}` }) : null;
      body.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, String(task.task_index)),
          h("td", {}, taskInput(task.input)),
          h("td", {}, statusText(task)),
          h("td", {}, action),
        ),
      );
    }
    shown = Math.min(shown + TASKS_SHOWN, tasks.length);
    more.hidden = shown >= tasks.length;
  }
  more.addEventListener("click", showMore);
  showMore();
  return [
    h(
      "div",
      { class: "table-scroll", role: "region", "aria-label": "Tasks", tabindex: 0 },
      h(
        "table",
        { class: "table tasks" },
        h("caption", {}, `${tasks.length} of ${batch.task_count} tasks`),
        h("thead", {}, h("tr", {}, ["#", "Input", "Status", "Action"].map((name) => h("th", { scope: "col" }, name)))),
        body,
      ),
    ),
    more,
  ];
}

// -- the page --------------------------------------------------------------------------------

export async function render(main, { id }) {
  let batch;
  try {
    batch = await api(`/api/batches/${id}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    mount(
      main,
      h("h1", {}, `Batch ${id}`),
      h("p", {}, `Batch ${id} has not been funded, or the backend has not indexed it yet. `, h("a", { href: "#/tasks" }, "Find open batches")),
    );
    return;
  }
  const verified = batch.manifest_status === "verified";
  const [token, now, tasks, results, description] = await Promise.all([
    wallet.token(batch.token),
    wallet.chainNow(),
    verified ? apiAll(`/api/batches/${batch.batch_id}/tasks`) : [],
    apiAll(`/api/batches/${batch.batch_id}/results`),
    instructions(batch),
  ]);
  const isRequester = wallet.address === batch.requester;
  // One proof input for every claim on the page (the qualifier gives a worker one proof per batch).
  const proofInput = batch.qualification_kind !== 0 && !isRequester ? h("input", { name: "qualification_proof", placeholder: "0x…" }) : null;
  const manifestNote = verified
    ? null
    : h(
        "p",
        { class: batch.manifest_status === "invalid" ? "error" : "hint" },
        batch.manifest_status === "invalid"
          ? `The batch's task list is invalid (${batch.manifest_error}): nobody can work on it. Its requester can close it after the grace period.`
          : `The batch's task list is ${batch.manifest_status}; reload in a moment.`,
      );
  mount(
    main,
    h("h1", {}, batchTitle(batch)),
    h("p", { class: "meta" }, `Batch ${batch.batch_id} · ${formatAmount(batch.reward, token)} per task`),
    section("Instructions", description),
    section("Terms", terms(batch, token, now)),
    section("Progress", progressChart(batch), manifestNote),
    isRequester ? await requesterSections(batch, tasks, results, token, now) : workerSection(batch, tasks, results, proofInput),
    verified ? section("Tasks", ...taskTable(batch, tasks, proofInput)) : null,
  );
}
