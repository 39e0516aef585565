// The requester's dashboard: their batches with progress, and "Create a batch": tasks from a
// CSV file, metadata and task manifest published through the backend (POST /api/manifests,
// which builds the Merkle tree with the code the CLI uses), then `fundBatch` from the wallet.
import { ethers } from "ethers";
import { api, apiAll, getConfig, waitForIndexer } from "../api.js";
import { DappError } from "../errors.js";
import { busy, field, formatAmount, formatDuration, h, mount, parseAmount, parseTokenAddress, section, setStatus, timeElement } from "../ui.js";
import { wallet } from "../wallet.js";
import { batchTitle, progressMeter } from "./batch.js";

const MAX_TASKS = 10_000; // backend/schemas/manifests.py MAX_TASKS
const MAX_CSV_BYTES = 16 * 1024 * 1024;
const MAX_UINT96 = (1n << 96n) - 1n; // the escrow stores a batch's total as uint96
const PREVIEW_ROWS = 5;
const DAY = 86400;
const HOUR = 3600;
// Seconds a worker keeps a claimed task (the CLI's default is 1 hour).
const CLAIM_DURATIONS = [15 * 60, 30 * 60, HOUR, 2 * HOUR, 4 * HOUR, DAY];
// The contract takes 1 hour to 30 days (MIN/MAX_REVIEW_WINDOW); the CLI's default is 2 days.
const REVIEW_WINDOWS = [HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];
const MAX_WORK_DAYS = 365; // MAX_BATCH_DURATION

// -- tasks from CSV --------------------------------------------------------------------------

/**
 * RFC 4180 CSV, read as Python's csv module reads it (the CLI's `--tasks file.csv`): fields
 * in double quotes may hold commas, line breaks and doubled quotes; rows end with LF or CRLF.
 * Returns [{line, values}] with blank lines left out.
 */
function parseCsv(text) {
  const rows = [];
  let values = [];
  let value = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    values.push(value);
    if (values.length > 1 || values[0] !== "") rows.push({ line: rowLine, values });
    values = [];
    value = "";
  };
  const source = text.replace(/^\uFEFF/, ""); // spreadsheet programs start UTF-8 files with a BOM
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line++;
        value += c;
      }
    } else if (c === '"' && value === "") {
      quoted = true;
    } else if (c === ",") {
      values.push(value);
      value = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      value += c;
    }
  }
  if (quoted) throw new DappError(`Line ${rowLine}: a quoted value is never closed (a " is missing).`);
  if (value !== "" || values.length) endRow();
  return rows;
}

/** The CSV's tasks: one object per row, keyed by the header's column names. */
function tasksFromCsv(text) {
  const rows = parseCsv(text);
  if (!rows.length) throw new DappError("The CSV file is empty: its first row names the columns, each further row is one task.");
  const [header, ...body] = rows;
  const columns = header.values;
  columns.forEach((name, index) => {
    if (!name.trim()) throw new DappError(`Column ${index + 1} of the first row has no name: the first row names the columns.`);
    if (columns.indexOf(name) !== index) throw new DappError(`Column "${name}" appears twice in the first row.`);
  });
  if (!body.length) throw new DappError("The CSV file has a header row but no tasks: add one row per task.");
  if (body.length > MAX_TASKS) {
    throw new DappError(`The file holds ${body.length.toLocaleString("en")} tasks; a batch takes at most ${MAX_TASKS.toLocaleString("en")}. Split it into several batches.`);
  }
  const ragged = body.find((row) => row.values.length !== columns.length);
  if (ragged) {
    throw new DappError(
      `Line ${ragged.line} has ${ragged.values.length} value${ragged.values.length === 1 ? "" : "s"}, but the first row names ${columns.length} columns: ` +
        "every row needs one value per column (quote values that contain commas).",
    );
  }
  return { columns, tasks: body.map((row) => Object.fromEntries(columns.map((name, index) => [name, row.values[index]]))) };
}

function preview({ columns, tasks }) {
  const shown = tasks.slice(0, PREVIEW_ROWS);
  return h(
    "div",
    { class: "table-scroll", role: "region", "aria-label": "Task preview", tabindex: 0 },
    h(
      "table",
      { class: "table" },
      h("caption", {}, `${tasks.length} task${tasks.length === 1 ? "" : "s"}${tasks.length > shown.length ? `; the first ${shown.length}:` : ":"}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), columns.map((name) => h("th", { scope: "col" }, name)))),
      h(
        "tbody",
        {},
        shown.map((task, index) =>
          h("tr", {}, h("th", { scope: "row" }, String(index)), columns.map((name) => h("td", {}, task[name]))),
        ),
      ),
    ),
  );
}

// -- the form --------------------------------------------------------------------------------

function choice(name, seconds, selected) {
  return h(
    "select",
    { name },
    seconds.map((value) => h("option", { value, selected: value === selected }, formatDuration(value))),
  );
}

/** The form's values, checked; every problem is one sentence saying what to change. */
async function readForm(form, parsed) {
  const data = Object.fromEntries(new FormData(form));
  if (!data.title.trim()) throw new DappError("Give the batch a title.");
  if (!parsed) throw new DappError("Choose a CSV file with the tasks (first row: column names; then one row per task).");
  const token = await wallet.token(parseTokenAddress(data.token, "Payment token"));
  const reward = parseAmount(data.reward, token, "The reward per task");
  const bonusPool = parseAmount(data.bonus_pool, token, "The bonus pool", { allowZero: true });
  const total = reward * BigInt(parsed.tasks.length) + bonusPool;
  if (total > MAX_UINT96) throw new DappError(`The batch would escrow ${formatAmount(total, token)}, more than the escrow holds per batch.`);
  const workDays = Number(data.work_days);
  if (!(workDays > 0 && workDays <= MAX_WORK_DAYS)) throw new DappError(`The work period must be more than 0 and at most ${MAX_WORK_DAYS} days.`);
  const arbiterText = data.arbiter.trim();
  if (arbiterText && !ethers.isAddress(arbiterText)) throw new DappError(`Arbiter: "${arbiterText}" is not an address.`);
  const arbiter = arbiterText ? ethers.getAddress(arbiterText) : ethers.ZeroAddress;
  if (arbiter === wallet.address) throw new DappError("You cannot be your own batch's arbiter: name someone workers can trust, or nobody.");
  const tags = data.tags.split(",").map((tag) => tag.trim().toLowerCase()).filter(Boolean);
  const badTag = tags.find((tag) => !/^[a-z0-9][a-z0-9-]{0,39}$/.test(tag));
  if (badTag) throw new DappError(`Tag "${badTag}": use lower-case letters, digits and dashes.`);
  return {
    title: data.title.trim(),
    instructions: data.instructions,
    token,
    reward,
    bonusPool,
    total,
    workDays,
    claimDuration: Number(data.claim_duration),
    reviewWindow: Number(data.review_window),
    arbiter,
    tags,
  };
}

async function createBatch(form, parsed) {
  await wallet.ensureReady();
  const values = await readForm(form, parsed);
  await wallet.ensureSignedIn(); // publishing goes through the backend, which needs a session
  const config = await getConfig();
  const escrowAddress = config.contracts.MicrotaskEscrow.address;
  const expiry = (await wallet.chainNow()) + Math.round(values.workDays * DAY);
  // A JSON Schema of the inputs, from the CSV's header: every column a string.
  const taskSchema = {
    type: "object",
    properties: Object.fromEntries(parsed.columns.map((name) => [name, { type: "string" }])),
    required: parsed.columns,
  };
  setStatus(`Publishing the batch's description and its ${parsed.tasks.length} tasks on IPFS…`);
  const published = await api("/api/manifests", {
    method: "POST",
    json: {
      metadata: {
        schema_version: 1,
        kind: "task-batch",
        title: values.title,
        instructions: values.instructions,
        reward_display: formatAmount(values.reward, values.token),
        task_schema: taskSchema,
        task_count: parsed.tasks.length,
        deadline: expiry,
        tags: values.tags,
      },
      tasks: parsed.tasks,
    },
  });
  await wallet.ensureAllowance(values.token.address, escrowAddress, values.total);
  // BatchParams, in the contract's order (the CLI's create_batch): no qualification, like the CLI.
  const params = [
    values.token.address,
    values.reward,
    published.task_count,
    values.bonusPool,
    published.task_root,
    values.claimDuration,
    values.reviewWindow,
    expiry,
    0,
    ethers.ZeroHash,
    values.arbiter,
    published.manifest_cid,
  ];
  const { receipt, events } = await wallet.send("MicrotaskEscrow", "fundBatch", [params], {
    value: values.token.address === ethers.ZeroAddress ? values.total : 0n,
    label: "fund batch",
  });
  const batchId = events.find((event) => event.name === "BatchFunded").args.batchId;
  setStatus(`Batch ${batchId} funded; waiting for the backend to list it…`);
  await waitForIndexer(receipt.blockNumber);
  setStatus(`Batch ${batchId} funded with ${parsed.tasks.length} tasks.`);
  window.location.hash = `#/batches/${batchId}`;
}

function createForm() {
  let parsed = null;
  const file = h("input", { type: "file", name: "tasks", accept: ".csv,text/csv", required: true });
  const csvError = h("p", { class: "error", id: "tasks-error", role: "alert" });
  const previewBox = h("div", { class: "csv-preview" });
  const summary = h("output", { name: "summary", for: "reward bonus_pool", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Publish and fund batch");
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "create-batch-heading" },
    field("Title", h("input", { name: "title", required: true, maxlength: 200 })),
    field("Instructions", h("textarea", { name: "instructions", rows: 5 }), "What workers must do with each task (Markdown)."),
    field("Tasks (CSV file)", file, `First row: column names; then one row per task, at most ${MAX_TASKS.toLocaleString("en")}.`),
    csvError,
    previewBox,
    field("Payment token", h("input", { name: "token", value: "ETH" }), "ETH, or the address of an ERC-20 token."),
    field("Reward per task", h("input", { name: "reward", id: "reward", inputmode: "decimal", required: true, placeholder: "0.001" })),
    field("Bonus pool (optional)", h("input", { name: "bonus_pool", id: "bonus_pool", inputmode: "decimal", placeholder: "0" }), "Escrowed on top of the rewards, for bonuses you grant in reviews."),
    field("Work period (days)", h("input", { name: "work_days", type: "number", min: "0.01", max: MAX_WORK_DAYS, step: "any", value: 30 }), "Workers claim tasks until then; vouchers stay redeemable 7 days longer."),
    field("Time to finish a claimed task", choice("claim_duration", CLAIM_DURATIONS, HOUR), "After this, the task is free for others again."),
    field("Review window for results posted on chain", choice("review_window", REVIEW_WINDOWS, 2 * DAY), "If a worker posts a result on chain, you must answer within this or it is approved."),
    field("Arbiter (optional)", h("input", { name: "arbiter", placeholder: "0x…" }), "Rules on disputed rejections; leave empty for none (rejections are then final)."),
    field("Tags (optional)", h("input", { name: "tags", placeholder: "images, labelling" }), "Comma-separated."),
    h("p", {}, summary),
    h("p", { class: "actions" }, submit),
  );
  file.setAttribute("aria-describedby", `${file.getAttribute("aria-describedby")} tasks-error`);

  // What the batch escrows, as the numbers change (the token's decimals may need a lookup).
  async function updateSummary() {
    const data = Object.fromEntries(new FormData(form));
    try {
      if (!parsed || !data.reward.trim()) throw new Error();
      const token = await wallet.token(parseTokenAddress(data.token, "Payment token"));
      const reward = ethers.parseUnits(data.reward.trim(), token.decimals);
      const bonus = ethers.parseUnits(data.bonus_pool.trim() || "0", token.decimals);
      const total = reward * BigInt(parsed.tasks.length) + bonus;
      summary.value = `Escrowed when you fund it: ${parsed.tasks.length} × ${formatAmount(reward, token)}${bonus ? ` + ${formatAmount(bonus, token)} bonus pool` : ""} = ${formatAmount(total, token)}.`;
    } catch {
      summary.value = "";
    }
  }

  file.addEventListener("change", async () => {
    parsed = null;
    mount(previewBox);
    csvError.textContent = "";
    file.removeAttribute("aria-invalid");
    const chosen = file.files[0];
    try {
      if (!chosen) return;
      if (chosen.size > MAX_CSV_BYTES) throw new DappError(`The file has ${chosen.size} bytes; at most ${MAX_CSV_BYTES} are read. Split the batch.`);
      parsed = tasksFromCsv(await chosen.text());
      mount(previewBox, preview(parsed));
    } catch (error) {
      csvError.textContent = error instanceof DappError ? error.message : `The file could not be read: ${error.message}`;
      file.setAttribute("aria-invalid", "true");
    } finally {
      updateSummary();
    }
  });
  form.addEventListener("input", (event) => {
    if (event.target !== file) updateSummary();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, () => createBatch(form, parsed));
  });
  return form;
}

// -- the requester's batches -----------------------------------------------------------------

async function batchCard(batch, now) {
  const [detail, token] = await Promise.all([api(`/api/batches/${batch.batch_id}`), wallet.token(batch.token)]);
  const pending = detail.progress.results_pending;
  return h(
    "li",
    { class: "card" },
    h("h3", {}, h("a", { href: `#/batches/${batch.batch_id}` }, batchTitle(batch))),
    h(
      "p",
      { class: "meta" },
      `${batch.task_count} tasks · ${formatAmount(batch.reward, token)} each · `,
      batch.state === "open" ? [now < batch.expiry ? "work ends " : "work ended ", timeElement(batch.expiry, now)] : "closed",
    ),
    progressMeter(detail),
    pending ? h("p", {}, h("a", { href: `#/batches/${batch.batch_id}` }, `${pending} result${pending === 1 ? "" : "s"} to review`)) : null,
  );
}

async function batchesSection() {
  if (!wallet.address) return section("Your batches", h("p", {}, "Connect your wallet (top right) to see the batches you funded."));
  const [batches, now] = await Promise.all([apiAll("/api/batches", { requester: wallet.address }, 200), wallet.chainNow()]);
  if (!batches.length) return section("Your batches", h("p", {}, "You have not funded a batch yet: create one below."));
  const cards = await Promise.all(batches.map((batch) => batchCard(batch, now)));
  return section("Your batches", h("ul", { class: "cards", "aria-label": "Your batches" }, cards));
}

export async function render(main) {
  const batches = await batchesSection();
  mount(
    main,
    h("h1", {}, "Requester"),
    h("p", {}, "Pay many people a little for small tasks: the escrow contract holds the money, and you pay approved work with signed vouchers."),
    batches,
    h("section", {}, h("h2", { id: "create-batch-heading" }, "Create a batch"), createForm()),
  );
}
