// One sentence for every way an action can fail, so the user knows what happened and what to do.
import { ethers } from "ethers";

/** The root of the dApp's own errors; its message is already meant for the user. */
export class DappError extends Error {}

/** The backend answered with an error (`{"detail": "..."}`). */
export class ApiError extends DappError {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** No EIP-1193 wallet in the page. */
export class NoWalletError extends DappError {
  constructor() {
    super("No Ethereum wallet found: install MetaMask (or another EIP-1193 wallet) and reload the page.");
  }
}

/** The wallet is on another chain than the contracts. */
export class WrongNetworkError extends DappError {
  constructor(walletChainId, expectedChainId) {
    super(
      `Wrong network: your wallet is on chain ${walletChainId}, Crowdbounty runs on chain ${expectedChainId}. ` +
        "Switch the network in your wallet (or press “Switch network”) and try again.",
    );
    this.walletChainId = walletChainId;
    this.expectedChainId = expectedChainId;
  }
}

// Why a contract refuses, in words, for the custom errors users run into.
const CONTRACT_REASONS = {
  AgreementMismatch: "the agreement changed; reload the page and read it again",
  AlreadyAccepted: "this account already accepted the terms",
  AlreadyConfirmed: "you already confirmed your membership",
  AlreadyInTeam: "this account is already in a team for this challenge",
  InvalidSplit: "the split's basis points must be one per member and sum to 10000",
  InvalidTeam: "a team has 2 to 8 distinct members, its leader among them once",
  NotTeamMember: "only the team's members may do that",
  StaleProposal: "that split proposal was replaced; reload the page",
  TeamNotConfirmed: "every member must confirm before the team submits",
  DeadlineNotReached: "the deadline has not come yet",
  DeadlinePassed: "the deadline for this has passed",
  NoCashPrize: "an RFP has no prize to award",
  NotRequester: "only the batch's requester may do that",
  NotSeeker: "only the seeker of this challenge may do that",
  NothingToClaim: "there is nothing to withdraw",
  InvalidVoucherSigner: "the voucher was not signed by the requester",
  SlotExceeded: "the award is larger than what remains of the prize",
  StaleVoucher: "this voucher was already redeemed",
  TermsFrozen: "the terms are frozen once someone accepted them",
  WindowClosed: "the time window for this has closed",
  WindowOpen: "the time window for this is still open",
  WrongEntryStatus: "the submission is not in a state that allows this",
  WrongState: "the challenge is not in a state that allows this",
};

function walletCode(error) {
  return error?.code ?? error?.info?.error?.code ?? error?.error?.code;
}

/** A contract refused a call with one of its custom errors. */
export class ContractRefusalError extends DappError {
  constructor(name, args) {
    const reason = CONTRACT_REASONS[name];
    const shown = args.length ? `(${args.map(String).join(", ")})` : "";
    super(`The contract refused: ${name}${shown}${reason ? `: ${reason}` : ""}.`);
    this.errorName = name;
  }
}

/**
 * `error` as a ContractRefusalError if it carries revert data `contract` can decode (ethers v6
 * leaves custom errors undecoded when a wallet refuses to estimate a transaction), else as is.
 */
export function decodeRefusal(error, contractInterface) {
  if (error instanceof DappError) return error;
  if (error?.revert?.name) return new ContractRefusalError(error.revert.name, Array.from(error.revert.args ?? []));
  for (const data of [error?.data, error?.info?.error?.data, error?.error?.data]) {
    if (typeof data !== "string" || !data.startsWith("0x") || data.length < 10) continue;
    try {
      const parsed = contractInterface.parseError(data);
      if (parsed) return new ContractRefusalError(parsed.name, Array.from(parsed.args));
    } catch {
      // not one of this contract's errors
    }
  }
  return error;
}

/** The one line to show for `error`, whatever threw it. */
export function explain(error) {
  if (error instanceof DappError) return error.message;
  if (ethers.isError(error, "ACTION_REJECTED") || walletCode(error) === 4001) {
    return "You rejected the request in your wallet; nothing was signed or sent.";
  }
  const text = `${error?.shortMessage ?? ""} ${error?.message ?? ""} ${error?.info?.error?.message ?? ""}`;
  if (ethers.isError(error, "INSUFFICIENT_FUNDS") || /insufficient funds/i.test(text)) {
    return "Insufficient funds: your account cannot pay this amount plus the gas. Add funds or lower the amount.";
  }
  if (ethers.isError(error, "CALL_EXCEPTION")) {
    if (error.revert?.name) return new ContractRefusalError(error.revert.name, Array.from(error.revert.args ?? [])).message;
    return `The contract refused the transaction${error.reason ? `: ${error.reason}` : ""}.`;
  }
  if (ethers.isError(error, "UNSUPPORTED_OPERATION") && error.operation) {
    return `Your wallet does not support ${error.operation}; use a wallet that does (MetaMask, say).`;
  }
  if (walletCode(error) === 4100) return "Your wallet has not authorised this site: connect it first.";
  if (walletCode(error) === 4902) return "Your wallet does not know this network: add it in the wallet first.";
  if (error instanceof TypeError && /fetch/i.test(error.message)) {
    return "The Crowdbounty backend cannot be reached; check that it is running and try again.";
  }
  return error?.shortMessage ?? error?.message ?? String(error);
}
