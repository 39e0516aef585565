// The dApp's shell: hash routes to pages, the wallet widget, the network banner, live notifications.
import { getConfig, waitForIndexer } from "./api.js";
import { explain } from "./errors.js";
import { busy, h, mount, setStatus, shortAddress, showError } from "./ui.js";
import { wallet } from "./wallet.js";

// Each route: a pattern on the hash path and the module whose `render(main, params)` draws it.
const ROUTES = [
  [/^\/?$/, "./pages/challenges.js"],
  [/^\/challenges\/(?<id>\d+)$/, "./pages/challenge.js"],
  [/^\/create$/, "./pages/create.js"],
  [/^\/tasks$/, "./pages/worker.js"],
  [/^\/requester$/, "./pages/requester.js"],
  [/^\/batches\/(?<id>\d+)$/, "./pages/batch.js"],
  [/^\/profiles\/(?<address>0x[0-9a-fA-F]{40})$/, "./pages/profile.js"],
  [/^\/me$/, "./pages/profile.js"],
];

let rendering = 0;
let drawn = Promise.resolve();

/**
 * Draw the page of the current hash. Draws never overlap (an older one finishing last would
 * overwrite a newer one): each waits for the one before, and one superseded meanwhile is skipped.
 */
function route() {
  const ticket = ++rendering;
  const main = document.getElementById("main");
  main.setAttribute("aria-busy", "true"); // screen readers (and tests) wait for the new content
  drawn = drawn.then(async () => {
    if (ticket !== rendering) return;
    await draw(ticket);
    if (ticket === rendering) {
      main.removeAttribute("aria-busy");
      delete main.dataset.edited;
    }
  });
  return drawn;
}

/**
 * Draw again after something changed elsewhere (a notification, the wallet), unless the user
 * is filling in a form on this page: their input matters more than a fresher list.
 */
function redrawUnlessEditing() {
  if (!document.getElementById("main").dataset.edited) route();
}

async function draw(ticket) {
  // "#/path?query": the query belongs to the page (search filters), the path picks the page.
  const path = decodeURIComponent(window.location.hash.replace(/^#/, "").split("?")[0]) || "/";
  const main = document.getElementById("main");
  const match = ROUTES.map(([pattern, module]) => [path.match(pattern), module]).find(([found]) => found);
  if (!match) {
    mount(main, h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "#/" }, "Browse challenges")));
    return;
  }
  const [found, module] = match;
  try {
    const page = await import(module);
    if (ticket !== rendering) return; // the user navigated on meanwhile
    await page.render(main, { ...found.groups });
    document.querySelectorAll("nav a").forEach((link) => {
      link.toggleAttribute("aria-current", link.getAttribute("href") === `#${path}`);
    });
  } catch (error) {
    if (ticket === rendering) mount(main, h("h1", {}, "Something went wrong"), h("p", { class: "error" }, explain(error)));
  }
}

/** Re-draw the current page (after a transaction, or a notification about what it shows). */
export function refresh() {
  return route();
}

/**
 * Send a transaction (wallet.send), wait until the backend indexed its block, and re-draw the
 * page, so what the user sees next includes what they just did. Returns the decoded events.
 */
export async function transact(contract, method, args, options) {
  const { receipt, events } = await wallet.send(contract, method, args, options);
  if (!(await waitForIndexer(receipt.blockNumber))) {
    setStatus("Done on chain; the backend has not indexed it yet, so this page may lag behind for a moment.");
  }
  await refresh();
  return events;
}

async function drawWallet() {
  const box = document.getElementById("wallet");
  const banner = document.getElementById("banner");
  if (!wallet.address) {
    const connect = h("button", { type: "button" }, "Connect wallet");
    connect.addEventListener("click", () => busy(connect, () => wallet.connect()));
    mount(box, connect);
    return;
  }
  const config = await getConfig().catch(() => null);
  const wrong = config && wallet.chainId !== config.chain_id;
  const signIn = h("button", { type: "button" }, "Sign in");
  signIn.addEventListener("click", () => busy(signIn, () => wallet.signIn()));
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => busy(signOut, () => wallet.signOut()));
  mount(
    box,
    h("span", { class: "account", "data-testid": "account" }, shortAddress(wallet.address)),
    wallet.signedIn === wallet.address ? signOut : signIn,
  );
  if (wrong) {
    const switchButton = h("button", { type: "button" }, "Switch network");
    switchButton.addEventListener("click", () => busy(switchButton, () => wallet.switchNetwork()));
    mount(
      banner,
      h("span", {}, `Wrong network: your wallet is on chain ${wallet.chainId}; Crowdbounty runs on chain ${config.chain_id}.`),
      switchButton,
    );
    banner.dataset.kind = "network";
    banner.hidden = false;
  } else if (banner.dataset.kind === "network") {
    banner.hidden = true;
  }
}

function showNotification(event) {
  const notification = event.detail;
  const list = document.getElementById("notifications");
  const text = describeNotification(notification);
  const item = h("li", { class: "notification" }, text);
  list.prepend(item);
  while (list.children.length > 5) list.lastElementChild.remove();
  setTimeout(() => item.remove(), 15000);
  redrawUnlessEditing(); // what the page shows may have changed
}

// What each notification says, from its payload's challenge or batch id.
const NOTIFICATION_TEXTS = {
  submission_received: (id) => `New submission on challenge ${id}`,
  award_granted: (id) => `Award granted on challenge ${id}`,
  challenge_cancelled: (id) => `Challenge ${id} cancelled`,
  challenge_settled: (id) => `Challenge ${id} settled`,
  submission_deadline_near: (id) => `Submissions to challenge ${id} close soon`,
  evaluation_deadline_near: (id) => `The evaluation of challenge ${id} ends soon`,
  voucher_issued: (id) => `Voucher issued for batch ${id}`,
};

function describeNotification({ kind, payload }) {
  const text = NOTIFICATION_TEXTS[kind];
  return text ? text(payload.challenge_id ?? payload.batch_id) : kind.replaceAll("_", " ");
}

window.addEventListener("hashchange", () => {
  setStatus(""); // the last action's message belongs to the page it was done on
  route();
  document.getElementById("main").focus({ preventScroll: true });
});
// The skip link must not change the hash: the hash is the page's route.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
document.getElementById("main").addEventListener("input", (event) => {
  if (event.target.closest("form")) document.getElementById("main").dataset.edited = "true";
});
wallet.addEventListener("change", () => {
  drawWallet();
  redrawUnlessEditing();
});
wallet.addEventListener("session", drawWallet);
wallet.addEventListener("notification", showNotification);

drawWallet();
wallet
  .reconnect()
  .catch((error) => showError(explain(error)))
  .finally(route);
