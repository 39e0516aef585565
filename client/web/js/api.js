// The backend's HTTP API (docs/api.md). The session is an HttpOnly cookie set at sign-in.
import { ApiError } from "./errors.js";

async function check(response) {
  if (response.ok) return response;
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    else if (Array.isArray(body.detail)) {
      // FastAPI's validation errors: name the field.
      detail = body.detail.map((item) => `${item.loc?.slice(1).join(".")}: ${item.msg}`).join("; ");
    }
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(response.status, detail);
}

/** `GET` (or `method`) `path` under the backend, JSON in and out. */
export async function api(path, { method = "GET", json, body, headers = {}, query } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await check(await fetch(url, init));
  return response.status === 204 ? null : response.json();
}

/** Every item of a paginated list (stops at `max`). */
export async function apiAll(path, query = {}, max = 1000) {
  const items = [];
  let cursor;
  do {
    const page = await api(path, { query: { ...query, limit: 100, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/** Add bytes to IPFS through the backend (needs a session); returns {cid, cid_bytes, size}. */
export async function addToIpfs(bytes) {
  return api("/api/ipfs", { method: "POST", body: bytes, headers: { "Content-Type": "application/octet-stream" } });
}

/** Read bytes from IPFS through the backend (verified against the CID there). */
export async function readFromIpfs(cid) {
  const response = await check(await fetch(`/api/ipfs/${encodeURIComponent(cid)}`));
  return new Uint8Array(await response.arrayBuffer());
}

let config;
/** GET /api/config, once: chain id, contracts (address, ABI), micro-task typed data. */
export async function getConfig() {
  config ??= api("/api/config").catch((error) => {
    config = undefined;
    throw error;
  });
  return config;
}

/** Wait until the backend's indexer has seen `block` (so pages show what was just mined); false on timeout. */
export async function waitForIndexer(block, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const health = await api("/health").catch(() => null);
    if ((health?.indexer?.last_block ?? -1) >= block) return true;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}
