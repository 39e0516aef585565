// The wallet of the browser tests: an EIP-1193 provider at window.ethereum, also announced by
// EIP-6963. Every request goes to Python (tests/web/injected_wallet.py), which holds the dev
// key, talks to the chain and decides; this side only turns its replies into promises,
// errors and events. Runs before the page's own scripts (context.add_init_script).
(() => {
  const listeners = new Map();

  function emit(event, value) {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        console.error(`a "${event}" listener of the test wallet threw`, error);
      }
    }
  }

  // EIP-1193: errors carry a numeric `code` (4001 rejected, 4100 unauthorized, ...) and,
  // for reverts, the revert `data` that ethers decodes into the contract's custom error.
  class ProviderRpcError extends Error {
    constructor({ code, message, data }) {
      super(message);
      this.name = "ProviderRpcError";
      this.code = code;
      if (data !== undefined && data !== null) this.data = data;
    }
  }

  const provider = {
    isMetaMask: false,
    isCrowdbountyTestWallet: true,
    isConnected: () => true,
    async request(args) {
      if (!args || typeof args.method !== "string") {
        throw new ProviderRpcError({ code: -32600, message: "request() takes { method, params }" });
      }
      const reply = await window.__crowdbountyWalletRequest(args.method, args.params ?? []);
      // Events the request caused (chainChanged after a switch) come before it resolves, as in MetaMask.
      for (const [event, value] of reply.events ?? []) emit(event, value);
      if (reply.error) throw new ProviderRpcError(reply.error);
      return reply.result;
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return provider;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };

  // Python emits events it starts (a test switching chain or account) through this.
  Object.defineProperty(window, "__crowdbountyWalletEmit", { value: emit });
  window.ethereum = provider;

  const info = Object.freeze({
    uuid: "5b0c4f5e-7a8e-4c43-9d44-2f1f4a8c6b01",
    name: "Crowdbounty test wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E",
    rdns: "org.crowdbounty.test-wallet",
  });
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
