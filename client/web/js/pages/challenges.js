// Browse and search challenges: full-text search, filters, sort, cursor pages.
import { api } from "../api.js";
import { field, formatAmount, h, mount, timeElement } from "../ui.js";
import { wallet } from "../wallet.js";

const TYPES = { "": "Any type", ideation: "Ideation", conditional: "Conditional", rfp: "RFP (quotes)" };
const STATES = { open: "Open", settled: "Settled", cancelled: "Cancelled", "": "Any status" };
const SORTS = { newest: "Newest", deadline: "Nearest deadline", prize: "Largest prize" };

function select(name, options, value) {
  return h(
    "select",
    { name },
    Object.entries(options).map(([key, label]) => h("option", { value: key, selected: key === value }, label)),
  );
}

/** A challenge's card in a list. */
export async function challengeCard(challenge, now) {
  const token = await wallet.token(challenge.token);
  const title = challenge.title ?? `Challenge ${challenge.challenge_id} (metadata ${challenge.metadata_status})`;
  const open = challenge.state === "open" && challenge.submission_deadline > now;
  return h(
    "li",
    { class: "card" },
    h("h3", {}, h("a", { href: `#/challenges/${challenge.challenge_id}` }, title)),
    h(
      "p",
      { class: "meta" },
      h("span", { class: "badge" }, challenge.kind),
      " ",
      challenge.kind === "rfp" ? "Quotes, no cash prize" : h("strong", {}, formatAmount(challenge.funded, token)),
      " · ",
      open ? ["Submissions close ", timeElement(challenge.submission_deadline, now)] : challenge.state === "open" ? "In evaluation" : challenge.state,
      ` · ${challenge.submission_count} submission${challenge.submission_count === 1 ? "" : "s"}`,
    ),
    challenge.description_snippet ? h("p", {}, challenge.description_snippet) : null,
    challenge.tags?.length ? h("p", { class: "tags" }, challenge.tags.map((tag) => h("span", { class: "tag" }, tag))) : null,
  );
}

export async function render(main) {
  const params = new URLSearchParams(window.location.hash.split("?")[1] ?? "");
  const query = {
    q: params.get("q") ?? "",
    type: params.get("type") ?? "",
    status: params.get("status") ?? "open",
    sort: params.get("sort") ?? "newest",
  };
  const search = h("input", { type: "search", name: "q", value: query.q, placeholder: "photovoltaic, water…" });
  const form = h(
    "form",
    { class: "filters", role: "search" },
    field("Search challenges", search),
    field("Type", select("type", TYPES, query.type)),
    field("Status", select("status", STATES, query.status)),
    field("Sort by", select("sort", SORTS, query.sort)),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) next.set(name, value);
    window.location.hash = `#/?${next}`;
  });
  const list = h("ul", { class: "cards", "aria-label": "Challenges" });
  const more = h("button", { type: "button", hidden: true }, "More challenges");
  mount(main, h("h1", {}, "Challenges"), form, list, more);

  const now = await wallet.chainNow();
  let cursor = null;
  async function loadPage() {
    const page = await api("/api/challenges", { query: { ...query, cursor, limit: 20 } });
    list.append(...(await Promise.all(page.items.map((challenge) => challengeCard(challenge, now)))));
    if (!list.children.length) list.append(h("li", {}, "No challenge matches. ", h("a", { href: "#/create" }, "Post one")));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", loadPage);
  await loadPage();
}
