// The user's wallet through EIP-1193 (window.ethereum): connect, check the chain, sign in with
// Ethereum (EIP-4361), sign typed data, send transactions and wait for them to be mined.
import { ethers } from "ethers";
import { api, getConfig } from "./api.js";
import { NoWalletError, WrongNetworkError, decodeRefusal } from "./errors.js";
import { setStatus } from "./ui.js";

const SESSION_HINT = "crowdbounty.session";
const ERC20_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

class Wallet extends EventTarget {
  address = null; // the connected account (EIP-55), or null
  chainId = null; // the wallet's chain, as a number
  signedIn = null; // the address of the backend session, or null
  #subscribed = false;
  #tokens = new Map();
  #notifications = null;

  get ethereum() {
    return window.ethereum ?? null;
  }

  // "change": the account or the chain (pages depend on them); "session": signed in or out
  // (only the header shows it, and a page must not be redrawn under an action that signs in).
  #changed(kind = "change") {
    this.dispatchEvent(new Event(kind));
  }

  #subscribe() {
    if (this.#subscribed || !this.ethereum?.on) return;
    this.#subscribed = true;
    this.ethereum.on("accountsChanged", (accounts) => {
      this.address = accounts.length ? ethers.getAddress(accounts[0]) : null;
      if (this.signedIn !== this.address) this.#endSession();
      this.#changed();
    });
    this.ethereum.on("chainChanged", (chainId) => {
      this.chainId = Number(chainId);
      this.#changed();
    });
  }

  /** Ask the wallet for an account (the wallet shows its own prompt). */
  async connect() {
    if (!this.ethereum) throw new NoWalletError();
    const accounts = await this.ethereum.request({ method: "eth_requestAccounts" });
    this.address = ethers.getAddress(accounts[0]);
    this.chainId = Number(await this.ethereum.request({ method: "eth_chainId" }));
    this.#subscribe();
    await this.#restoreSession();
    this.#changed();
    return this.address;
  }

  /** Reconnect silently on page load if the wallet already authorised this site. */
  async reconnect() {
    if (!this.ethereum) return;
    const accounts = await this.ethereum.request({ method: "eth_accounts" });
    if (!accounts.length) return;
    await this.connect();
  }

  async #restoreSession() {
    // The session cookie is HttpOnly; a hint in localStorage says whether one may exist, so a
    // first visit does not ask the backend (and log a 401) for nothing.
    if (localStorage.getItem(SESSION_HINT) !== this.address) {
      this.signedIn = null;
      return;
    }
    try {
      const me = await api("/api/auth/me");
      if (me.address === this.address) {
        this.signedIn = me.address;
        this.#listen();
        return;
      }
    } catch {
      // not signed in
    }
    this.signedIn = null;
  }

  /** Connected, and on the contracts' chain; else a clear error. */
  async ensureReady() {
    if (!this.address) await this.connect();
    const config = await getConfig();
    this.chainId = Number(await this.ethereum.request({ method: "eth_chainId" }));
    if (this.chainId !== config.chain_id) throw new WrongNetworkError(this.chainId, config.chain_id);
    return config;
  }

  /** Ask the wallet to switch to the contracts' chain. */
  async switchNetwork() {
    const config = await getConfig();
    await this.ethereum.request({
      method: "wallet_switchEthereumChain",
      params: [{ chainId: ethers.toQuantity(config.chain_id) }],
    });
    this.chainId = Number(await this.ethereum.request({ method: "eth_chainId" }));
    this.#changed();
  }

  /** An ethers provider over the wallet (reads go through the wallet's node). */
  provider() {
    if (!this.ethereum) throw new NoWalletError();
    return new ethers.BrowserProvider(this.ethereum);
  }

  /** The ethers signer of the connected account, after the chain check. */
  async signer() {
    await this.ensureReady();
    return this.provider().getSigner(this.address);
  }

  /** Sign in to the backend with an EIP-4361 message (one signature, no transaction). */
  async signIn() {
    const signer = await this.signer();
    const issued = await api("/api/auth/nonce", { method: "POST" });
    if (issued.domain !== window.location.host) {
      throw new Error(
        `This page is served as ${window.location.host}, but the backend signs in for ${issued.domain}: ` +
          `open ${issued.uri} instead.`,
      );
    }
    const message = [
      `${issued.domain} wants you to sign in with your Ethereum account:`,
      this.address,
      "",
      "Sign in to Crowdbounty.",
      "",
      `URI: ${issued.uri}`,
      "Version: 1",
      `Chain ID: ${issued.chain_id}`,
      `Nonce: ${issued.nonce}`,
      `Issued At: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    ].join("\n");
    setStatus("Sign the sign-in message in your wallet…");
    const signature = await signer.signMessage(message);
    const session = await api("/api/auth/login", { method: "POST", json: { message, signature } });
    this.signedIn = session.address;
    localStorage.setItem(SESSION_HINT, session.address);
    setStatus(`Signed in as ${session.address}.`);
    this.#listen();
    this.#changed("session");
  }

  /** Sign in first if this account has no session (routes that write need one). */
  async ensureSignedIn() {
    await this.ensureReady();
    if (this.signedIn !== this.address) await this.signIn();
  }

  async signOut() {
    await api("/api/auth/logout", { method: "POST" }).catch(() => null);
    this.#endSession();
    this.#changed("session");
  }

  #endSession() {
    this.signedIn = null;
    localStorage.removeItem(SESSION_HINT);
    this.#notifications?.close();
    this.#notifications = null;
  }

  // Live notifications (Server-Sent Events); EventSource reconnects by itself with Last-Event-ID.
  #listen() {
    if (this.#notifications) return;
    this.#notifications = new EventSource("/api/notifications/stream");
    this.#notifications.addEventListener("notification", (event) => {
      this.dispatchEvent(new CustomEvent("notification", { detail: JSON.parse(event.data) }));
    });
  }

  /** A contract of the deployments, bound to the signer (or read-only with `readOnly`). */
  async contract(name, { readOnly = false } = {}) {
    const config = await getConfig();
    const deployed = config.contracts[name];
    const runner = readOnly ? this.provider() : await this.signer();
    return new ethers.Contract(deployed.address, deployed.abi, runner);
  }

  /**
   * Send `method(...args)` of contract `name` and wait until it is mined; returns the receipt and
   * the contract's events in it ({name, args}). `label` names the action in the status line.
   */
  async send(name, method, args, { value, label = method } = {}) {
    const contract = await this.contract(name);
    setStatus(`Confirm “${label}” in your wallet…`);
    let tx;
    try {
      tx = await contract[method](...args, value ? { value } : {});
    } catch (error) {
      throw decodeRefusal(error, contract.interface);
    }
    setStatus(`Waiting for “${label}” to be mined…`);
    const receipt = await tx.wait();
    setStatus(`“${label}” confirmed in block ${receipt.blockNumber}.`);
    const events = receipt.logs
      .map((log) => {
        try {
          return contract.interface.parseLog(log);
        } catch {
          return null;
        }
      })
      .filter(Boolean);
    return { receipt, events };
  }

  /** The chain's clock (the dev chain's can run ahead of the wall clock). */
  async chainNow() {
    if (!this.ethereum) return Math.floor(Date.now() / 1000);
    try {
      const block = await this.provider().getBlock("latest");
      return Number(block.timestamp);
    } catch {
      return Math.floor(Date.now() / 1000);
    }
  }

  /**
   * {address, symbol, decimals} of a token (ETH for the zero address), cached. A token that
   * cannot be read (no wallet to ask, not an ERC-20) is shown in base units, never with
   * guessed decimals.
   */
  async token(address) {
    if (!address || address === ethers.ZeroAddress) return { address: ethers.ZeroAddress, symbol: "ETH", decimals: 18 };
    if (!this.#tokens.has(address)) {
      const unreadable = { address, symbol: `base units of ${address.slice(0, 8)}…`, decimals: 0 };
      const loading = (async () => {
        const erc20 = new ethers.Contract(address, ERC20_ABI, this.provider());
        const [symbol, decimals] = await Promise.all([erc20.symbol(), erc20.decimals()]);
        return { address, symbol, decimals: Number(decimals) };
      })().catch(() => unreadable);
      this.#tokens.set(address, loading);
    }
    return this.#tokens.get(address);
  }

  /** Approve `spender` for `amount` of an ERC-20 if the allowance is short (ETH needs nothing). */
  async ensureAllowance(tokenAddress, spender, amount) {
    if (tokenAddress === ethers.ZeroAddress) return;
    const erc20 = new ethers.Contract(tokenAddress, ERC20_ABI, await this.signer());
    if ((await erc20.allowance(this.address, spender)) >= amount) return;
    setStatus("Confirm the token approval in your wallet…");
    await (await erc20.approve(spender, amount)).wait();
  }
}

/** The page's one wallet. */
export const wallet = new Wallet();
