// The worker's dashboard: find open batches, follow your claims and results, and redeem the
// vouchers requesters signed you (one transaction per batch pays everything owed so far).
import { ethers } from "ethers";
import { api, apiAll } from "../api.js";
import { transact } from "../app.js";
import { DappError } from "../errors.js";
import { busy, facts, field, formatAmount, h, mount, parseAmount, parseTokenAddress, section, setStatus, timeElement } from "../ui.js";
import { wallet } from "../wallet.js";
import { backendNow, batchTitle } from "./batch.js";

const PAGE = 20;
// "My work" reads each batch's results and tasks (the API has no per-worker list): the newest
// open batches and those you hold vouchers for, at most this many.
const SCANNED_BATCHES = 20;
const STATES = { open: "Open for work", closed: "Closed", "": "Any state" };
const WORK_STATES = { pending: "waiting for review", approved: "approved", rejected: "rejected" };

/** The page's filters from the hash ("#/tasks?token=ETH&min_reward=0.01"), as API query values. */
async function readFilters(params) {
  const filters = { state: params.get("state") ?? "open", token: params.get("token") ?? "", min_reward: params.get("min_reward") ?? "" };
  const query = { state: filters.state || undefined };
  if (filters.token) {
    query.token = parseTokenAddress(filters.token, "Token");
  }
  if (filters.min_reward) {
    // Rewards compare in base units, which only mean something for one token.
    if (!query.token) throw new DappError("Choose a token to filter by reward (amounts differ per token).");
    query.min_reward = parseAmount(filters.min_reward, await wallet.token(query.token), "The minimum reward", { allowZero: true }).toString();
  }
  return { filters, query };
}

function filterForm(filters) {
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Find batches" },
    field("Token", h("input", { name: "token", value: filters.token, placeholder: "Any, ETH or 0x…" })),
    field("Minimum reward per task", h("input", { name: "min_reward", value: filters.min_reward, inputmode: "decimal" })),
    field(
      "State",
      h("select", { name: "state" }, Object.entries(STATES).map(([value, label]) => h("option", { value, selected: value === filters.state }, label))),
    ),
    h("button", { type: "submit" }, "Find batches"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) next.set(name, value.trim());
    window.location.hash = `#/tasks?${next}`;
  });
  return form;
}

async function batchCard(batch, now) {
  const token = await wallet.token(batch.token);
  const working = batch.state === "open" && now < batch.expiry;
  return h(
    "li",
    { class: "card" },
    h("h3", {}, h("a", { href: `#/batches/${batch.batch_id}` }, batchTitle(batch))),
    h(
      "p",
      { class: "meta" },
      h("strong", {}, `${formatAmount(batch.reward, token)} per task`),
      ` · ${batch.task_count} task${batch.task_count === 1 ? "" : "s"} · `,
      working ? ["work ends ", timeElement(batch.expiry, now)] : batch.state === "open" ? ["work ended ", timeElement(batch.expiry, now)] : "closed",
      batch.arbiter === ethers.ZeroAddress ? " · no arbiter" : " · with an arbiter",
    ),
  );
}

async function findSection(params, now) {
  let filters;
  let query;
  try {
    ({ filters, query } = await readFilters(params));
  } catch (error) {
    return section("Find work", filterForm(Object.fromEntries(params)), h("p", { class: "error", role: "alert" }, error.message));
  }
  const list = h("ul", { class: "cards", "aria-label": "Batches" });
  const more = h("button", { type: "button", hidden: true }, "More batches");
  let cursor = null;
  async function loadPage() {
    const page = await api("/api/batches", { query: { ...query, limit: PAGE, cursor } });
    list.append(...(await Promise.all(page.items.map((batch) => batchCard(batch, now)))));
    if (!list.children.length) list.append(h("li", {}, "No batch matches these filters."));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => busy(more, loadPage));
  await loadPage();
  return section("Find work", filterForm(filters), list, more);
}

// -- the connected worker's own work ---------------------------------------------------------

async function workSection(me, vouchers) {
  const open = await api("/api/batches", { query: { state: "open", limit: SCANNED_BATCHES } });
  const titles = new Map(open.items.map((batch) => [batch.batch_id, batchTitle(batch)]));
  const ids = [...new Set([...titles.keys(), ...vouchers.map((voucher) => voucher.batch_id)])].slice(0, SCANNED_BATCHES);
  const perBatch = await Promise.all(
    ids.map(async (id) => {
      const [results, tasks] = await Promise.all([apiAll(`/api/batches/${id}/results`), apiAll(`/api/batches/${id}/tasks`)]);
      const claimed = tasks.filter((task) => task.status === "claimed" && task.claimed_by === me);
      return [
        ...claimed.map((task) => ({ id, task: task.task_index, state: ["claimed; the claim expires ", timeElement(task.claim_expires_at, backendNow())] })),
        ...results.filter((result) => result.worker === me).map((result) => ({ id, task: result.task_index, state: WORK_STATES[result.status] })),
      ];
    }),
  );
  const rows = perBatch.flat();
  if (!rows.length) return section("My work", h("p", {}, "No claims or results yet: claim a task in one of the batches above."));
  return section(
    "My work",
    h(
      "div",
      { class: "table-scroll", role: "region", "aria-label": "My work", tabindex: 0 },
      h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, ["Batch", "Task", "State"].map((name) => h("th", { scope: "col" }, name)))),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h("tr", {}, h("td", {}, h("a", { href: `#/batches/${row.id}` }, titles.get(row.id) ?? `Batch ${row.id}`)), h("td", {}, String(row.task)), h("td", {}, row.state)),
          ),
        ),
      ),
    ),
  );
}

async function redeem(voucher, token) {
  await wallet.ensureReady();
  const events = await transact(
    "MicrotaskEscrow",
    "redeemVoucher",
    [voucher.batch_id, voucher.worker, voucher.cumulative_amount, voucher.signature],
    { label: `redeem voucher of batch ${voucher.batch_id}` },
  );
  const paid = events.find((event) => event.name === "VoucherRedeemed")?.args.paid ?? 0n;
  setStatus(`Batch ${voucher.batch_id} paid ${formatAmount(paid, token)} to your wallet.`);
}

function voucherState(voucher, token) {
  if (BigInt(voucher.redeemable) === 0n) return "Redeemed";
  if (voucher.batch_state !== "open") return "Batch closed: no longer redeemable";
  const redeemButton = h("button", { type: "button", "aria-label": `Redeem voucher of batch ${voucher.batch_id}` }, "Redeem");
  redeemButton.addEventListener("click", () => busy(redeemButton, () => redeem(voucher, token)));
  return redeemButton;
}

/** Sums per token: "0.003 ETH, 5 DAI". */
function totals(vouchers, tokens, key) {
  const sums = new Map();
  for (const voucher of vouchers) sums.set(voucher.token, (sums.get(voucher.token) ?? 0n) + BigInt(voucher[key]));
  const parts = [...sums].filter(([, sum]) => sum > 0n).map(([address, sum]) => formatAmount(sum, tokens.get(address)));
  return parts.length ? parts.join(", ") : "nothing";
}

async function vouchersSection(vouchers) {
  if (!vouchers.length) {
    return section("Vouchers", h("p", {}, "No vouchers yet: requesters sign you one when they approve your work."));
  }
  const tokens = new Map(await Promise.all([...new Set(vouchers.map((voucher) => voucher.token))].map(async (address) => [address, await wallet.token(address)])));
  const batches = await Promise.all(vouchers.map((voucher) => api(`/api/batches/${voucher.batch_id}`)));
  const rows = vouchers.map((voucher, index) => {
    const token = tokens.get(voucher.token);
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href: `#/batches/${voucher.batch_id}` }, batchTitle(batches[index]))),
      h("td", {}, formatAmount(voucher.cumulative_amount, token)),
      h("td", {}, formatAmount(voucher.redeemed, token)),
      h("td", {}, formatAmount(voucher.redeemable, token)),
      h("td", {}, voucherState(voucher, token)),
    );
  });
  return section(
    "Vouchers",
    facts([
      ["Redeemable now", totals(vouchers.filter((voucher) => voucher.batch_state === "open"), tokens, "redeemable")],
      ["Paid to you so far", totals(vouchers, tokens, "redeemed")],
    ]),
    h(
      "div",
      { class: "table-scroll", role: "region", "aria-label": "Vouchers by batch", tabindex: 0 },
      h(
        "table",
        { class: "table" },
        h("thead", {}, h("tr", {}, ["Batch", "Voucher total", "Redeemed", "Redeemable", "Action"].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, rows),
      ),
    ),
    h("p", { class: "hint" }, "Redeem before the batch closes (at the latest 7 days after its work period): closing voids unredeemed vouchers."),
  );
}

export async function render(main) {
  const params = new URLSearchParams(window.location.hash.split("?")[1] ?? "");
  const now = await wallet.chainNow();
  const me = wallet.address;
  const vouchers = me ? await api(`/api/workers/${me}/vouchers`) : [];
  const [find, work, paid] = await Promise.all([
    findSection(params, now),
    me ? workSection(me, vouchers) : null,
    me ? vouchersSection(vouchers) : null,
  ]);
  mount(
    main,
    h("h1", {}, "Tasks"),
    h("p", {}, "Small paid tasks: claim one, submit your answer, and redeem the requester's voucher for your pay."),
    me ? null : h("p", {}, "Connect your wallet to claim tasks and see your vouchers."),
    paid,
    work,
    find,
  );
}
