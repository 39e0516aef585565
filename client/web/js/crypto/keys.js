/**
 * A challenge's X25519 key pair, recoverable from the seeker's wallet alone (browser side).
 *
 * Byte-compatible with backend/services/storage/keys.py (docs/keys.md is the reference):
 * the wallet signs a fixed, domain-separated text with EIP-191 `personal_sign`; the
 * signature's (r, low s) is hashed with BLAKE2b-256 personalised "cb-challenge-kd1" into
 * the seed of libsodium's `crypto_box_seed_keypair`. Wallets sign deterministically
 * (RFC 6979), so signing again later gives the same key.
 *
 * The signature *is* the private key: never log it, store it or send it anywhere.
 */

import { getAddress, getBytes, hexlify, verifyMessage } from "ethers";
import sodium from "libsodium-wrappers";
import { concatBytes } from "./bytes.js";

// Once, when the module loads: every function below can then be synchronous.
await sodium.ready;

export const KEY_DERIVATION_VERSION = 1;

// BLAKE2b personalisation (16 bytes): the seed is useless for any other purpose.
const SEED_PERSONALISATION = new TextEncoder().encode("cb-challenge-kd1");
// Order of secp256k1: a signature's s and n - s are both valid; wallets may return either.
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SIGNATURE_BYTES = 65;

/** A key signature or key message that cannot give a challenge key. */
export class ChallengeKeyError extends Error {
  constructor(message) {
    super(message);
    this.name = "ChallengeKeyError";
  }
}

/**
 * The exact text a seeker signs to derive the key of one challenge.
 *
 * @param {number|bigint} chainId chain of the contract
 * @param {string} contract address of the challenge contract (any case; written EIP-55 checksummed)
 * @param {number|bigint} challengeId the challenge
 * @returns {string}
 */
export function challengeKeyMessage(chainId, contract, challengeId) {
  return (
    `Crowdbounty challenge key v${KEY_DERIVATION_VERSION}\n` +
    "\n" +
    "Sign this only on Crowdbounty. The signature is the private key that opens the " +
    "solutions sent to this challenge: anyone who gets it can read them.\n" +
    "\n" +
    `Chain ID: ${decimal(chainId, "chain id")}\n` +
    // ethers refuses a mixed-case address with a wrong checksum; Python re-checksums it
    // silently. Lower-casing first gives Python's behaviour for any 40-hex-digit address.
    `Contract: ${getAddress(String(contract).toLowerCase())}\n` +
    `Challenge: ${decimal(challengeId, "challenge id")}`
  );
}

/**
 * The challenge's X25519 key pair from the wallet's signature of the key message.
 *
 * Same result as Python's `challenge_private_key_from_signature`: only (r, s) is hashed,
 * with s normalised to the low half, so wallets that encode `v` as 0/1 or 27/28, or that
 * return the high-s twin, give the same key.
 *
 * @param {string|Uint8Array} signatureHex 65-byte signature, hex (with or without 0x) or bytes
 * @returns {{ publicKey: Uint8Array, privateKey: Uint8Array }} 32 bytes each
 */
export function challengeKeyPairFromSignature(signatureHex) {
  const signature = signatureBytes(signatureHex);
  if (signature.length !== SIGNATURE_BYTES) {
    throw new ChallengeKeyError(`a key signature has ${SIGNATURE_BYTES} bytes, got ${signature.length}`);
  }
  const r = signature.slice(0, 32);
  const s = bytesToBigInt(signature.subarray(32, 64));
  const lowS = s <= SECP256K1_N - s ? s : SECP256K1_N - s;
  const seed = blake2b(concatBytes([r, bigIntTo32Bytes(lowS)]), 32, SEED_PERSONALISATION);
  // libsodium's seed key pair = PyNaCl's PrivateKey.from_seed (secret = SHA-512(seed)[:32]).
  const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(seed);
  seed.fill(0);
  return { publicKey, privateKey };
}

/**
 * Ask the wallet to sign the key message of a challenge and derive its key pair.
 *
 * @param {{ signMessage(text: string): Promise<string> }} signer an ethers Signer, or anything
 *   that signs EIP-191 `personal_sign` text and returns the 0x-hex signature
 * @param {number|bigint} chainId
 * @param {string} contract
 * @param {number|bigint} challengeId
 * @returns {Promise<{ publicKey: Uint8Array, privateKey: Uint8Array }>}
 */
export async function deriveChallengeKeyPair(signer, chainId, contract, challengeId) {
  const signature = await signer.signMessage(challengeKeyMessage(chainId, contract, challengeId));
  return challengeKeyPairFromSignature(signature);
}

/**
 * Check that `seeker` signed the key message; return the public key it derives.
 *
 * Mirrors Python's `verify_key_signature`: lets the page refuse a signature from the wrong
 * account before it publishes the challenge's public key.
 *
 * @param {string|Uint8Array} signatureHex
 * @param {string} seeker address expected to have signed
 * @param {number|bigint} chainId
 * @param {string} contract
 * @param {number|bigint} challengeId
 * @returns {Uint8Array} the 32-byte X25519 public key
 */
export function verifyKeySignature(signatureHex, seeker, chainId, contract, challengeId) {
  const signature = signatureBytes(signatureHex);
  const message = challengeKeyMessage(chainId, contract, challengeId);
  let signer;
  try {
    signer = verifyMessage(message, hexlify(lowSSignature(signature)));
  } catch (error) {
    throw new ChallengeKeyError(`the key signature is invalid: ${error.shortMessage ?? error.message}`);
  }
  const expected = getAddress(String(seeker).toLowerCase());
  if (signer !== expected) {
    throw new ChallengeKeyError(`the key message was signed by ${signer}, not by the seeker ${expected}`);
  }
  return challengeKeyPairFromSignature(signature).publicKey;
}

/**
 * The same signature with s in the low half (and v flipped to match), as ethers requires;
 * Python's eth-keys accepts both twins, so the browser must too.
 *
 * @param {Uint8Array} signature 65 bytes
 * @returns {Uint8Array}
 */
export function lowSSignature(signature) {
  if (signature.length !== SIGNATURE_BYTES) {
    throw new ChallengeKeyError(`a signature has ${SIGNATURE_BYTES} bytes, got ${signature.length}`);
  }
  const s = bytesToBigInt(signature.subarray(32, 64));
  if (s <= SECP256K1_N - s) return signature;
  // Same v spellings as eth-keys and ethers: 0/1, 27/28, or EIP-155 style (35+, odd = 27).
  const v = signature[64];
  const standardV = v <= 1 ? 27 + v : v >= 35 ? 28 - (v % 2) : v;
  if (standardV !== 27 && standardV !== 28) return signature; // invalid; let ethers say so
  // (r, n - s) with the other recovery id recovers the same public key.
  return concatBytes([signature.slice(0, 32), bigIntTo32Bytes(SECP256K1_N - s), Uint8Array.of(55 - standardV)]);
}

// -- helpers -------------------------------------------------------------------------------

function decimal(value, what) {
  if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) {
    return BigInt(value).toString();
  }
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return BigInt(value).toString();
  throw new ChallengeKeyError(`${what} must be an integer, got ${String(value)}`);
}

function signatureBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" && /^(0x)?([0-9a-fA-F]{2})*$/.test(value)) {
    return getBytes(value.startsWith("0x") ? value : `0x${value}`);
  }
  throw new ChallengeKeyError("a key signature must be hex or bytes");
}


function bytesToBigInt(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function bigIntTo32Bytes(value) {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

// -- BLAKE2b (RFC 7693) with personalisation -------------------------------------------------
// libsodium-wrappers' standard build has no personalised BLAKE2b (only the "sumo" build
// exports crypto_generichash_blake2b_salt_personal), and the page's import map offers
// nothing else. It runs once per key derivation on 64 bytes, so plain BigInt arithmetic is
// clear and fast enough. Cross-checked against PyNaCl by tests/web/test_envelope_interop.py.

const MASK64 = (1n << 64n) - 1n;
const BLAKE2B_IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const BLAKE2B_SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

function readWord(bytes, offset) {
  let word = 0n;
  for (let i = 7; i >= 0; i--) word = (word << 8n) | BigInt(bytes[offset + i] ?? 0);
  return word;
}

function rotr64(x, n) {
  return ((x >> n) | (x << (64n - n))) & MASK64;
}

function blake2bCompress(h, block, byteCount, last) {
  const v = [...h, ...BLAKE2B_IV];
  v[12] ^= byteCount & MASK64;
  v[13] ^= byteCount >> 64n;
  if (last) v[14] ^= MASK64;
  const m = Array.from({ length: 16 }, (_, i) => readWord(block, i * 8));
  const mix = (a, b, c, d, x, y) => {
    v[a] = (v[a] + v[b] + x) & MASK64;
    v[d] = rotr64(v[d] ^ v[a], 32n);
    v[c] = (v[c] + v[d]) & MASK64;
    v[b] = rotr64(v[b] ^ v[c], 24n);
    v[a] = (v[a] + v[b] + y) & MASK64;
    v[d] = rotr64(v[d] ^ v[a], 16n);
    v[c] = (v[c] + v[d]) & MASK64;
    v[b] = rotr64(v[b] ^ v[c], 63n);
  };
  for (let round = 0; round < 12; round++) {
    const s = BLAKE2B_SIGMA[round % 10];
    mix(0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/** Unkeyed, unsalted BLAKE2b of `data`, `outputBytes` long, with a 16-byte personalisation. */
function blake2b(data, outputBytes, personal) {
  const h = [...BLAKE2B_IV];
  h[0] ^= 0x01010000n ^ BigInt(outputBytes); // fanout 1, depth 1, no key
  h[6] ^= readWord(personal, 0);
  h[7] ^= readWord(personal, 8);
  const blocks = Math.max(1, Math.ceil(data.length / 128));
  for (let i = 0; i < blocks; i++) {
    const block = new Uint8Array(128);
    block.set(data.subarray(i * 128, (i + 1) * 128));
    const last = i === blocks - 1;
    blake2bCompress(h, block, BigInt(last ? data.length : (i + 1) * 128), last);
  }
  const out = new Uint8Array(outputBytes);
  for (let i = 0; i < outputBytes; i++) out[i] = Number((h[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
  return out;
}
