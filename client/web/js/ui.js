// Small DOM and formatting helpers shared by every page. Text always goes in as text nodes
// (never innerHTML): titles, descriptions and addresses come from strangers.
import { ethers } from "ethers";
import { DappError } from "./errors.js";

/**
 * Build an element: h("a", { href: "#/", class: "x" }, "text", child).
 * Attributes starting with "on" are listeners; false/null attributes and children are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === false || child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace the contents of `parent` with `children`. */
export function mount(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((child) => child !== null && child !== false));
  return parent;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });
// [unit, its length, the least time shown in it]: days up to two weeks ("in 10 days" reads
// better than "next week" for a deadline), weeks up to two months.
const UNITS = [
  ["year", 365 * 86400, 365 * 86400],
  ["month", 30 * 86400, 60 * 86400],
  ["week", 7 * 86400, 14 * 86400],
  ["day", 86400, 86400],
  ["hour", 3600, 3600],
  ["minute", 60, 60],
  ["second", 1, 0],
];

/** "in 3 days", "2 hours ago": `timestamp` against `now`, both Unix seconds. */
export function fromNow(timestamp, now) {
  const delta = Number(timestamp) - now;
  if (delta === 0) return "now";
  const [unit, seconds] = UNITS.find(([, , least]) => Math.abs(delta) >= least);
  return relative.format(Math.round(delta / seconds), unit);
}

/** A <time> showing "in 3 days" with the exact date as its machine value and tooltip. */
export function timeElement(timestamp, now) {
  const date = new Date(Number(timestamp) * 1000);
  return h("time", { datetime: date.toISOString(), title: date.toUTCString() }, fromNow(timestamp, now));
}

export const ZERO_ADDRESS = ethers.ZeroAddress;

/** An amount typed by a person, in the token's base units (refused unless above zero, or zero when `allowZero`). */
export function parseAmount(text, token, what, { allowZero = false } = {}) {
  let amount;
  try {
    amount = ethers.parseUnits(text.trim() || "0", token.decimals);
  } catch {
    throw new DappError(`${what}: "${text}" is not an amount of ${token.symbol} (at most ${token.decimals} decimals).`);
  }
  if (amount < 0n || (amount === 0n && !allowZero)) throw new DappError(`${what} must be above zero.`);
  return amount;
}

/** The token a person typed: "ETH" (or nothing) for ETH, else an address (checksummed). */
export function parseTokenAddress(text, what) {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toUpperCase() === "ETH") return ethers.ZeroAddress;
  if (!ethers.isAddress(trimmed)) throw new DappError(`${what}: "${trimmed}" is neither ETH nor a token address.`);
  return ethers.getAddress(trimmed);
}

/** An amount in the token's smallest unit shown with its symbol: "1.5 ETH". */
export function formatAmount(amount, token = { symbol: "ETH", decimals: 18 }) {
  const text = ethers.formatUnits(BigInt(amount), token.decimals);
  return `${text.endsWith(".0") ? text.slice(0, -2) : text} ${token.symbol}`;
}

/** "0x1234…abcd", with the full address in the tooltip. */
export function shortAddress(address) {
  if (!address) return "";
  return h("span", { class: "address", title: address }, `${address.slice(0, 6)}…${address.slice(-4)}`);
}

/** A link to a profile. */
export function addressLink(address) {
  return h("a", { href: `#/profiles/${address}` }, shortAddress(address));
}

/** A labelled form field: the label names the input for screen readers and tests. */
export function field(label, input, hint) {
  const id = input.id || `field-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const hintElement = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintElement) input.setAttribute("aria-describedby", hintElement.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintElement);
}

/** Text for the status line (progress of a transaction, say); "" clears it. */
export function setStatus(text) {
  document.getElementById("status").textContent = text;
}

/** Show an error in the alert banner (screen readers announce it). */
export function showError(message) {
  const banner = document.getElementById("banner");
  mount(
    banner,
    h("span", {}, message),
    h("button", { type: "button", class: "link", onclick: () => (banner.hidden = true) }, "Dismiss"),
  );
  banner.dataset.kind = "error";
  banner.hidden = false;
  setStatus("");
}

export function clearError() {
  const banner = document.getElementById("banner");
  if (banner.dataset.kind === "error") banner.hidden = true;
}

/**
 * Run `action` for a button: disabled while it runs, errors shown in the banner, a success
 * message in the status line. Returns what `action` returned (undefined after an error).
 */
export async function busy(button, action, done) {
  clearError();
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const result = await action();
    if (done) setStatus(done);
    return result;
  } catch (error) {
    console.error(error); // the full error, for whoever debugs with the browser's console
    const { explain } = await import("./errors.js");
    showError(explain(error));
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** A button that runs `action` through `busy` (disabled meanwhile, errors shown, `done` said). */
export function actionButton(label, action, done, attributes = {}) {
  const element = h("button", { type: "button", ...attributes }, label);
  element.addEventListener("click", () => busy(element, action, done));
  return element;
}

/** A section with a heading, for page structure (headings drive screen-reader navigation). */
let sections = 0;
export function section(title, ...children) {
  const id = `section-${++sections}`;
  // Named by its heading, so it is a landmark ("region") screen readers can jump to.
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

/** A definition list from [term, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** Read a File as bytes. */
export async function fileBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

/** Offer bytes as a download. */
export function download(name, bytes, type = "application/octet-stream") {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = h("a", { href: url, download: name }, name);
  return link;
}

/** A length of time in its largest whole unit: "2 days", "90 minutes" (not relative, unlike fromNow). */
export function formatDuration(seconds) {
  const [unit, size] = UNITS.find(([, size]) => seconds % size === 0 && seconds >= size) ?? ["second", 1];
  return new Intl.NumberFormat("en", { style: "unit", unit, unitDisplay: "long" }).format(seconds / size);
}
