/**
 * Envelope format v1 in the browser: content encrypted for its recipients, signed by its author.
 *
 * Byte-compatible with backend/services/storage/envelope.py (docs/envelope.md is the
 * reference). Layout:
 *
 *     "CBENV" | format version (1 byte) | header length (uint32, big-endian) | header | body
 *
 * The header is the canonical JSON that pydantic writes for `EnvelopeHeader`; everything
 * in it but the signature is an EIP-712 message signed by the author's wallet. The body is
 * a libsodium secretstream (XChaCha20-Poly1305) of the concatenated files in `chunk_size`
 * pieces, each authenticated with the EIP-712 digest as associated data, the last tagged
 * FINAL. The stream key is sealed (`crypto_box_seal`) to every recipient's X25519 key.
 *
 * In the browser the whole envelope and its content are in memory anyway. Sealing holds the
 * files, their concatenation (none for a single file) and the envelope; opening holds the
 * envelope and the content once (the files returned are views into it), and never
 * allocates from sizes a (possibly hostile) header claims before the envelope's own bytes
 * are there to back them. Chunks go through libsodium one at a time.
 *
 * Header values in JavaScript (`EnvelopeHeader` below) use the wire names; integers that
 * can exceed 2^53 are BigInt, bytes are Uint8Array.
 */

import { TypedDataEncoder, getAddress, getBytes, hexlify, recoverAddress } from "ethers";
import sodium from "libsodium-wrappers";

import { lowSSignature } from "./keys.js";
import { concatBytes } from "./bytes.js";

// Once, when the module loads: sodium's functions are synchronous afterwards.
await sodium.ready;

export const FORMAT_VERSION = 1;
export const MAGIC = new TextEncoder().encode("CBENV");
const PREAMBLE_BYTES = MAGIC.length + 1 + 4;
export const MAX_HEADER_BYTES = 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = 64;
// The opener holds one chunk per call into sodium: a hostile header must not choose a huge one.
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
export const MAX_FILES = 1000;
export const MAX_RECIPIENTS = 100;
const FILE_NAME_MAX_BYTES = 255;
const KINDS = ["submission", "room-document"];
const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
const CHUNK_OVERHEAD = sodium.crypto_secretstream_xchacha20poly1305_ABYTES; // 17
const STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES; // 24
const SEALED_KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES + sodium.crypto_box_SEALBYTES; // 80
const X25519_KEY_BYTES = 32;
const SIGNATURE_BYTES = 65;
const UINT64_LIMIT = 1n << 64n;
const UINT256_LIMIT = 1n << 256n;

export const EIP712_DOMAIN_NAME = "Crowdbounty Envelope";
export const EIP712_DOMAIN_VERSION = "1";
/** The EIP-712 types, without `EIP712Domain` (ethers derives it from the domain and refuses it here). */
export const EIP712_TYPES = Object.freeze({
  Envelope: [
    { name: "kind", type: "string" },
    { name: "challengeId", type: "uint256" },
    { name: "author", type: "address" },
    { name: "contentSha256", type: "bytes32" },
    { name: "totalSize", type: "uint64" },
    { name: "chunkSize", type: "uint32" },
    { name: "files", type: "FileEntry[]" },
    { name: "recipients", type: "Recipient[]" },
    { name: "streamHeader", type: "bytes" },
  ],
  FileEntry: [
    { name: "name", type: "string" },
    { name: "size", type: "uint64" },
    { name: "sha256", type: "bytes32" },
  ],
  Recipient: [
    { name: "publicKey", type: "bytes32" },
    { name: "sealedKey", type: "bytes" },
  ],
});

/**
 * @typedef {"submission" | "room-document"} EnvelopeKind
 * @typedef {{ chainId: number|bigint, contract: string, challengeId: number|bigint|string, kind?: EnvelopeKind }} EnvelopeContext
 * @typedef {{ name: string, size: bigint, sha256: Uint8Array }} FileEntry
 * @typedef {{ public_key: Uint8Array, sealed_key: Uint8Array }} Recipient
 * @typedef {{
 *   version: 1, kind: EnvelopeKind, chain_id: bigint, contract: string, challenge_id: bigint,
 *   author: string, content_sha256: Uint8Array, total_size: bigint, chunk_size: number,
 *   files: FileEntry[], recipients: Recipient[], stream_header: Uint8Array, signature: Uint8Array
 * }} EnvelopeHeader
 */

// -- errors (the same kinds as backend/services/storage/errors.py) ---------------------------

/** Any envelope that cannot be sealed or opened; the message says what is wrong, in one line. */
export class EnvelopeError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "EnvelopeError";
  }
}

/** The header's signature does not recover its author (or the author is not the expected one). */
export class SignatureMismatchError extends EnvelopeError {
  constructor(message, options) {
    super(message, options);
    this.name = "SignatureMismatchError";
  }
}

/** The envelope was made for another chain, contract, challenge or kind. */
export class ContextMismatchError extends EnvelopeError {
  constructor(message, options) {
    super(message, options);
    this.name = "ContextMismatchError";
  }
}

/** The opener's key is not among the envelope's recipients. */
export class NotARecipientError extends EnvelopeError {
  constructor(message, options) {
    super(message, options);
    this.name = "NotARecipientError";
  }
}

// -- header: canonical JSON and EIP-712 ----------------------------------------------------

/**
 * The canonical JSON of a header, exactly as pydantic's `EnvelopeHeader.model_dump_json()`:
 * fields in declaration order, no whitespace, bytes as lowercase hex without 0x, integers
 * in decimal, non-ASCII characters unescaped (JSON.stringify escapes strings like serde_json
 * for every name the format allows).
 *
 * @param {EnvelopeHeader} header
 * @returns {string}
 */
export function headerToJson(header) {
  const text = JSON.stringify;
  const files = header.files.map((f) => `{"name":${text(f.name)},"size":${f.size},"sha256":"${hex(f.sha256)}"}`);
  const recipients = header.recipients.map(
    (r) => `{"public_key":"${hex(r.public_key)}","sealed_key":"${hex(r.sealed_key)}"}`,
  );
  return (
    `{"version":${header.version},"kind":${text(header.kind)},"chain_id":${header.chain_id},` +
    `"contract":${text(header.contract)},"challenge_id":${header.challenge_id},"author":${text(header.author)},` +
    `"content_sha256":"${hex(header.content_sha256)}","total_size":${header.total_size},` +
    `"chunk_size":${header.chunk_size},"files":[${files.join(",")}],"recipients":[${recipients.join(",")}],` +
    `"stream_header":"${hex(header.stream_header)}","signature":"${hex(header.signature)}"}`
  );
}

/**
 * The EIP-712 message of a header (its signature excluded), in the form ethers'
 * `signer.signTypedData(domain, types, message)` takes.
 *
 * @param {EnvelopeHeader} header
 * @returns {{ domain: object, types: object, primaryType: "Envelope", message: object }}
 */
export function envelopeTypedData(header) {
  return {
    domain: {
      name: EIP712_DOMAIN_NAME,
      version: EIP712_DOMAIN_VERSION,
      chainId: header.chain_id,
      verifyingContract: header.contract,
    },
    types: EIP712_TYPES,
    primaryType: "Envelope",
    message: {
      kind: header.kind,
      challengeId: header.challenge_id,
      author: header.author,
      contentSha256: hexlify(header.content_sha256),
      totalSize: header.total_size,
      chunkSize: header.chunk_size,
      files: header.files.map((f) => ({ name: f.name, size: f.size, sha256: hexlify(f.sha256) })),
      recipients: header.recipients.map((r) => ({
        publicKey: hexlify(r.public_key),
        sealedKey: hexlify(r.sealed_key),
      })),
      streamHeader: hexlify(header.stream_header),
    },
  };
}

/** The EIP-712 digest of a header: what the author signs, and the AD of every body chunk. */
function headerDigest(header) {
  const { domain, types, message } = envelopeTypedData(header);
  return getBytes(TypedDataEncoder.hash(domain, types, message));
}

/** The address that signed `digest`, accepting the signature spellings eth-keys accepts. */
function recoverSigner(digest, signature) {
  try {
    // ethers refuses a high-s signature that Python accepts: use its low-s twin.
    return recoverAddress(digest, hexlify(lowSSignature(signature)));
  } catch (error) {
    throw new SignatureMismatchError(`envelope signature is invalid: ${error.shortMessage ?? error.message}`, {
      cause: error,
    });
  }
}

// -- sealing -------------------------------------------------------------------------------

/**
 * Encrypt files for recipients, signed by the author's wallet, into one envelope.
 *
 * @param {object} options
 * @param {{ name: string, bytes: Uint8Array }[]} options.files 1 … 1000 files with unique plain
 *   names; the body is their concatenation, in this order
 * @param {EnvelopeContext} options.context what the envelope is for (kind defaults to "submission")
 * @param {Uint8Array[]} options.recipients 1 … 100 X25519 public keys (32 bytes each)
 * @param {{ getAddress(): Promise<string>, signTypedData(domain: object, types: object, message: object): Promise<string> }} options.signer
 *   the author's wallet (an ethers v6 Signer)
 * @param {number} [options.chunkSize] plaintext bytes per body chunk, 64 … 4 MiB (default 64 KiB)
 * @returns {Promise<{ bytes: Uint8Array, header: EnvelopeHeader }>}
 * @throws {EnvelopeError} invalid input, or the wallet signed as another account
 */
export async function sealEnvelope({ files, context, recipients, signer, chunkSize = DEFAULT_CHUNK_SIZE }) {
  checkFilesToSeal(files);
  checkRecipientsToSeal(recipients);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError(`cannot seal: chunk size ${chunkSize} is not an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
  }
  const expected = normalizedContext(context);
  const author = address(await signer.getAddress(), "signer address");

  // WebCrypto hashes in one go, so the content is concatenated once (no copy for one file);
  // the chunks below are views into it.
  const content = concatBytes(files.map((f) => f.bytes));
  const streamKey = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  try {
    const { state, header: streamHeader } = sodium.crypto_secretstream_xchacha20poly1305_init_push(streamKey);
    /** @type {EnvelopeHeader} */
    const unsigned = {
      version: FORMAT_VERSION,
      kind: expected.kind,
      chain_id: expected.chainId,
      contract: expected.contract,
      challenge_id: expected.challengeId,
      author,
      content_sha256: await sha256(content),
      total_size: BigInt(content.length),
      chunk_size: chunkSize,
      files: await Promise.all(
        files.map(async (f) => ({ name: f.name, size: BigInt(f.bytes.length), sha256: await sha256(f.bytes) })),
      ),
      recipients: recipients.map((key) => ({
        public_key: Uint8Array.from(key),
        sealed_key: sodium.crypto_box_seal(streamKey, key),
      })),
      stream_header: streamHeader,
      signature: new Uint8Array(SIGNATURE_BYTES),
    };
    const { domain, types, message } = envelopeTypedData(unsigned);
    const signature = await signer.signTypedData(domain, types, message);
    const header = { ...unsigned, signature: bytesFromHex(signature, "wallet signature", SIGNATURE_BYTES) };
    const digest = headerDigest(header);
    // A wallet may sign with another account than it reported: such an envelope would
    // never open (its author would not match), so refuse it now.
    const signedBy = recoverSigner(digest, header.signature);
    if (signedBy !== author) {
      throw new EnvelopeError(`the wallet signed the envelope as ${signedBy}, not as ${author}`);
    }

    const headerBytes = new TextEncoder().encode(headerToJson(header));
    if (headerBytes.length > MAX_HEADER_BYTES) {
      throw new EnvelopeError(`envelope header of ${headerBytes.length} bytes exceeds ${MAX_HEADER_BYTES}`);
    }
    const count = chunkCount(content.length, chunkSize);
    const out = new Uint8Array(PREAMBLE_BYTES + headerBytes.length + content.length + count * CHUNK_OVERHEAD);
    out.set(MAGIC, 0);
    out[MAGIC.length] = FORMAT_VERSION;
    new DataView(out.buffer).setUint32(MAGIC.length + 1, headerBytes.length, false);
    out.set(headerBytes, PREAMBLE_BYTES);
    let offset = PREAMBLE_BYTES + headerBytes.length;
    for (let index = 0; index < count; index++) {
      const chunk = content.subarray(index * chunkSize, (index + 1) * chunkSize);
      const tag = index === count - 1 ? TAG_FINAL : TAG_MESSAGE;
      const ciphertext = sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, digest, tag);
      out.set(ciphertext, offset);
      offset += ciphertext.length;
    }
    return { bytes: out, header };
  } finally {
    streamKey.fill(0);
  }
}

function checkFilesToSeal(files) {
  if (!Array.isArray(files) || files.length === 0) {
    throw new EnvelopeError("cannot seal: an envelope needs at least one file");
  }
  if (files.length > MAX_FILES) {
    throw new EnvelopeError(`cannot seal: ${files.length} files, at most ${MAX_FILES}`);
  }
  const names = new Set();
  for (const file of files) {
    const problem = fileNameProblem(file?.name);
    if (problem) throw new EnvelopeError(`cannot seal: ${problem}`);
    if (!(file.bytes instanceof Uint8Array)) {
      throw new EnvelopeError(`cannot seal: the content of ${JSON.stringify(file.name)} is not a Uint8Array`);
    }
    if (names.has(file.name)) {
      throw new EnvelopeError(`file names must be unique: ${JSON.stringify(file.name)} appears twice`);
    }
    names.add(file.name);
  }
}

function checkRecipientsToSeal(recipients) {
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new EnvelopeError("an envelope needs at least one recipient");
  }
  if (recipients.length > MAX_RECIPIENTS) {
    throw new EnvelopeError(`cannot seal: ${recipients.length} recipients, at most ${MAX_RECIPIENTS}`);
  }
  recipients.forEach((key, index) => {
    if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_BYTES) {
      throw new EnvelopeError(`cannot seal: recipient ${index} is not a ${X25519_KEY_BYTES}-byte X25519 public key`);
    }
  });
}

// -- opening -------------------------------------------------------------------------------

/**
 * Read and check an envelope's header: format, schema, canonical form, and that the author
 * signed it (Python's `read_header`). Needs no key, so a page can show who wrote an
 * envelope without opening it.
 *
 * @param {Uint8Array|ArrayBuffer} bytes the whole envelope (or at least its preamble and header)
 * @returns {EnvelopeHeader}
 * @throws {EnvelopeError | SignatureMismatchError}
 */
export function readEnvelopeHeader(bytes) {
  return parseEnvelope(asBytes(bytes)).header;
}

/**
 * Verify and decrypt an envelope.
 *
 * Checks, in Python's order: format; header schema and canonical form; the signature
 * recovers the header's author (and `expectedAuthor`, if given); the header is for
 * `context`; the key is a recipient and its sealed key opens; every chunk authenticates in
 * order with the header digest as associated data; the stream ends with the FINAL chunk
 * and nothing after it; the content hash and every file's hash match.
 *
 * @param {Uint8Array|ArrayBuffer} bytes the envelope
 * @param {object} options
 * @param {EnvelopeContext} options.context what the opener expects the envelope to be for
 * @param {Uint8Array} options.privateKey the opener's X25519 private key (32 bytes)
 * @param {Uint8Array} [options.publicKey] its public key; derived when omitted, checked when given
 * @param {string} [options.expectedAuthor] refuse an envelope written by anyone else
 * @returns {Promise<{ header: EnvelopeHeader, author: string, files: { name: string, bytes: Uint8Array }[] }>}
 *   files in header order; their bytes are views into one buffer holding the whole content
 * @throws {EnvelopeError} or one of its subclasses, with a one-line reason
 */
export async function openEnvelope(bytes, { context, privateKey, publicKey, expectedAuthor } = {}) {
  bytes = asBytes(bytes);
  const { header, digest, bodyOffset } = parseEnvelope(bytes);
  const expected = normalizedContext(context);
  checkContext(header, expected);
  if (expectedAuthor !== undefined && header.author !== address(expectedAuthor, "expected author")) {
    throw new SignatureMismatchError(`envelope was written by ${header.author}, not by ${expectedAuthor}`);
  }
  const streamKey = unsealStreamKey(header, privateKey, publicKey);
  let content;
  try {
    content = decryptBody(bytes.subarray(bodyOffset), header, streamKey, digest);
  } finally {
    streamKey.fill(0);
  }
  if (!equalBytes(await sha256(content), header.content_sha256)) {
    throw new EnvelopeError("decrypted content does not match the signed content hash");
  }
  const files = [];
  let start = 0;
  for (const entry of header.files) {
    const end = start + Number(entry.size);
    const fileBytes = content.subarray(start, end);
    if (!equalBytes(await sha256(fileBytes), entry.sha256)) {
      throw new EnvelopeError(`${entry.name} does not match its signed hash`);
    }
    files.push({ name: entry.name, bytes: fileBytes });
    start = end;
  }
  return { header, author: header.author, files };
}

/** What fetch() or a File gives (ArrayBuffer), or bytes, as a Uint8Array. */
function asBytes(bytes) {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new EnvelopeError("an envelope must be a Uint8Array or an ArrayBuffer");
  return bytes;
}

/** Preamble, header (schema, canonical form, signature, sizes): Python's `read_header`. */
function parseEnvelope(bytes) {
  if (bytes.length < PREAMBLE_BYTES) throw new EnvelopeError("envelope truncated in its preamble");
  if (!equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new EnvelopeError("not a Crowdbounty envelope (bad magic bytes)");
  }
  const version = bytes[MAGIC.length];
  if (version !== FORMAT_VERSION) {
    throw new EnvelopeError(`envelope format version ${version} is not supported (only ${FORMAT_VERSION})`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length + 1, false);
  if (length > MAX_HEADER_BYTES) {
    throw new EnvelopeError(`envelope header of ${length} bytes exceeds ${MAX_HEADER_BYTES}`);
  }
  const bodyOffset = PREAMBLE_BYTES + length;
  if (bytes.length < bodyOffset) throw new EnvelopeError("envelope truncated in its header");
  const headerBytes = bytes.subarray(PREAMBLE_BYTES, bodyOffset);

  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new EnvelopeError("malformed envelope header: not UTF-8");
  }
  const header = validateHeader(parseJson(text));
  // Only the canonical spelling is accepted, so the header bytes (and thus the CID) have
  // exactly one form: "ab" and "AB" in a hex field, or reordered keys, are refused.
  if (!equalBytes(new TextEncoder().encode(headerToJson(header)), headerBytes)) {
    throw new EnvelopeError("envelope header is not in canonical form");
  }
  let digest;
  try {
    digest = headerDigest(header);
  } catch (error) {
    throw new SignatureMismatchError(`envelope signature is invalid: ${error.shortMessage ?? error.message}`);
  }
  const signer = recoverSigner(digest, header.signature);
  if (signer !== header.author) {
    throw new SignatureMismatchError(`envelope claims author ${header.author} but was signed by ${signer}`);
  }
  if (header.files.reduce((total, f) => total + f.size, 0n) !== header.total_size) {
    throw new EnvelopeError("envelope file sizes do not add up to its total size");
  }
  return { header, digest, bodyOffset };
}

function checkContext(header, expected) {
  const actual = {
    chainId: header.chain_id,
    contract: header.contract,
    challengeId: header.challenge_id,
    kind: header.kind,
  };
  if (
    actual.chainId !== expected.chainId ||
    actual.contract !== expected.contract ||
    actual.challengeId !== expected.challengeId ||
    actual.kind !== expected.kind
  ) {
    throw new ContextMismatchError(`envelope is for ${describeContext(actual)}, expected ${describeContext(expected)}`);
  }
}

function describeContext(c) {
  return `${c.kind} of challenge ${c.challengeId} on contract ${c.contract}, chain ${c.chainId}`;
}

function unsealStreamKey(header, privateKey, publicKey) {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== X25519_KEY_BYTES) {
    throw new EnvelopeError(`the private key must be ${X25519_KEY_BYTES} bytes`);
  }
  // Python derives the public key from the private one; a mismatched pair would only give
  // a confusing "does not open" later.
  const ownPublicKey = sodium.crypto_scalarmult_base(privateKey);
  if (publicKey !== undefined && !equalBytes(publicKey, ownPublicKey)) {
    throw new EnvelopeError("the public key given does not belong to the private key");
  }
  const recipient = header.recipients.find((r) => equalBytes(r.public_key, ownPublicKey));
  if (!recipient) throw new NotARecipientError("this key is not a recipient of the envelope");
  try {
    return sodium.crypto_box_seal_open(recipient.sealed_key, ownPublicKey, privateKey);
  } catch (error) {
    throw new EnvelopeError("the stream key sealed to this recipient does not open", { cause: error });
  }
}

/**
 * The authenticated plaintext (all files, concatenated). The output buffer is allocated
 * only when the body is long enough to hold what the header claims, so a hostile header
 * cannot make us allocate more than the envelope's own size.
 */
function decryptBody(body, header, streamKey, digest) {
  const chunkSize = BigInt(header.chunk_size);
  const count = header.total_size === 0n ? 1n : (header.total_size + chunkSize - 1n) / chunkSize;
  const bodySize = header.total_size + count * BigInt(CHUNK_OVERHEAD);
  // Too short: decrypt anyway (without keeping anything) so the error names the first bad chunk.
  const content = BigInt(body.length) >= bodySize ? new Uint8Array(Number(header.total_size)) : null;
  // libsodium-wrappers offers no way to free a secretstream state (52 bytes of its heap).
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header.stream_header, streamKey);
  let offset = 0;
  for (let index = 0n; index < count; index++) {
    const remaining = header.total_size - index * chunkSize;
    const plainSize = Number(remaining < chunkSize ? remaining : chunkSize);
    const end = offset + plainSize + CHUNK_OVERHEAD;
    if (end > body.length) throw new EnvelopeError(`envelope truncated in its chunk ${index}`);
    let result;
    try {
      result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, body.subarray(offset, end), digest);
    } catch {
      result = false;
    }
    if (!result) throw new EnvelopeError(`chunk ${index} does not authenticate (tampered or reordered)`);
    const expectedTag = index === count - 1n ? TAG_FINAL : TAG_MESSAGE;
    if (result.tag !== expectedTag) throw new EnvelopeError(`chunk ${index} has an unexpected tag ${result.tag}`);
    content?.set(result.message, Number(index * chunkSize));
    offset = end;
  }
  if (offset !== body.length) throw new EnvelopeError("envelope has data after its final chunk");
  return content;
}

// -- header schema (what pydantic checks in EnvelopeHeader) ---------------------------------

const HEADER_FIELDS = [
  "version",
  "kind",
  "chain_id",
  "contract",
  "challenge_id",
  "author",
  "content_sha256",
  "total_size",
  "chunk_size",
  "files",
  "recipients",
  "stream_header",
  "signature",
];

/** The header from parsed JSON, or an EnvelopeError naming the first field that is wrong. */
function validateHeader(json) {
  const fields = object(json, "header", HEADER_FIELDS);
  if (fields.version !== 1n) malformed("version", "must be 1");
  if (!KINDS.includes(fields.kind)) malformed("kind", `must be one of ${KINDS.join(", ")}`);
  const names = new Set();
  const files = array(fields.files, "files", 1, MAX_FILES).map((file, index) => {
    const entry = object(file, `files.${index}`, ["name", "size", "sha256"]);
    const problem = fileNameProblem(entry.name);
    if (problem) malformed(`files.${index}.name`, problem);
    // Stricter than Python's reader (its sealer refuses duplicates too): two files with
    // one name would make "save all" in the page overwrite one with the other.
    if (names.has(entry.name)) malformed(`files.${index}.name`, `repeats ${JSON.stringify(entry.name)}`);
    names.add(entry.name);
    return {
      name: entry.name,
      size: integer(entry.size, `files.${index}.size`, 0n, UINT64_LIMIT),
      sha256: hexField(entry.sha256, `files.${index}.sha256`, 32),
    };
  });
  const recipients = array(fields.recipients, "recipients", 1, MAX_RECIPIENTS).map((recipient, index) => {
    const entry = object(recipient, `recipients.${index}`, ["public_key", "sealed_key"]);
    return {
      public_key: hexField(entry.public_key, `recipients.${index}.public_key`, X25519_KEY_BYTES),
      sealed_key: hexField(entry.sealed_key, `recipients.${index}.sealed_key`, SEALED_KEY_BYTES),
    };
  });
  return {
    version: 1,
    kind: fields.kind,
    chain_id: integer(fields.chain_id, "chain_id", 1n, null),
    contract: addressField(fields.contract, "contract"),
    challenge_id: integer(fields.challenge_id, "challenge_id", 0n, UINT256_LIMIT),
    author: addressField(fields.author, "author"),
    content_sha256: hexField(fields.content_sha256, "content_sha256", 32),
    total_size: integer(fields.total_size, "total_size", 0n, UINT64_LIMIT),
    chunk_size: Number(integer(fields.chunk_size, "chunk_size", BigInt(MIN_CHUNK_SIZE), BigInt(MAX_CHUNK_SIZE) + 1n)),
    files,
    recipients,
    stream_header: hexField(fields.stream_header, "stream_header", STREAM_HEADER_BYTES),
    signature: hexField(fields.signature, "signature", SIGNATURE_BYTES),
  };
}

function malformed(field, problem) {
  throw new EnvelopeError(`malformed envelope header: ${field} ${problem}`);
}

function object(value, field, keys) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) malformed(field, "must be an object");
  for (const key of keys) if (!Object.hasOwn(value, key)) malformed(`${field}.${key}`, "is missing");
  for (const key of Object.keys(value)) if (!keys.includes(key)) malformed(`${field}.${key}`, "is not allowed");
  return value;
}

function array(value, field, min, max) {
  if (!Array.isArray(value)) malformed(field, "must be a list");
  if (value.length < min || value.length > max) malformed(field, `must have ${min} … ${max} items, has ${value.length}`);
  return value;
}

/** An integer in [min, limit) (no upper bound when limit is null). */
function integer(value, field, min, limit) {
  if (typeof value !== "bigint") malformed(field, "must be an integer");
  if (value < min || (limit !== null && value >= limit)) malformed(field, "is out of range");
  return value;
}

function hexField(value, field, length) {
  // Upper-case hex parses (as in pydantic) and is then refused as non-canonical.
  if (typeof value !== "string" || !/^([0-9a-fA-F]{2})*$/.test(value)) malformed(field, "must be hex");
  if (value.length !== 2 * length) malformed(field, `must be ${length} bytes`);
  return getBytes(`0x${value}`);
}

function addressField(value, field) {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) malformed(field, "must be an address");
  // Checksummed as Python does; a wrong spelling is then refused as non-canonical.
  return getAddress(value.toLowerCase());
}

// -- strict JSON with exact integers --------------------------------------------------------

/**
 * JSON.parse, but integers become BigInt (chain and challenge ids can exceed 2^53) and
 * anything the canonical header never contains (fractions, exponents, duplicate keys) is
 * refused. Objects have no prototype, so "__proto__" is an ordinary (refused) key.
 */
function parseJson(text) {
  let position = 0;
  const fail = (what) => {
    throw new EnvelopeError(`malformed envelope header: ${what} at character ${position}`);
  };
  const skipSpace = () => {
    while (position < text.length && " \t\n\r".includes(text[position])) position++;
  };
  const token = (pattern) => {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (!match) return null;
    position = pattern.lastIndex;
    return match[0];
  };
  const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const LITERAL = /true|false|null/y;

  const parseString = () => {
    const raw = token(STRING);
    if (raw === null) fail("bad string");
    return JSON.parse(raw);
  };
  const parseValue = () => {
    skipSpace();
    const char = text[position];
    if (char === "{") {
      position++;
      const result = Object.create(null);
      skipSpace();
      if (text[position] === "}") {
        position++;
        return result;
      }
      for (;;) {
        skipSpace();
        const key = parseString();
        if (Object.hasOwn(result, key)) fail(`duplicate key ${JSON.stringify(key)}`);
        skipSpace();
        if (text[position++] !== ":") fail("expected ':'");
        result[key] = parseValue();
        skipSpace();
        const next = text[position++];
        if (next === "}") return result;
        if (next !== ",") fail("expected ',' or '}'");
      }
    }
    if (char === "[") {
      position++;
      const result = [];
      skipSpace();
      if (text[position] === "]") {
        position++;
        return result;
      }
      for (;;) {
        result.push(parseValue());
        skipSpace();
        const next = text[position++];
        if (next === "]") return result;
        if (next !== ",") fail("expected ',' or ']'");
      }
    }
    if (char === '"') return parseString();
    const number = token(NUMBER);
    if (number !== null) {
      if (/[.eE]/.test(number)) fail("not an integer");
      return BigInt(number);
    }
    const literal = token(LITERAL);
    if (literal !== null) return JSON.parse(literal);
    return fail("unexpected character");
  };

  const value = parseValue();
  skipSpace();
  if (position !== text.length) fail("trailing characters");
  return value;
}

// -- helpers -------------------------------------------------------------------------------

/** Why `name` is not a plain file name (Python's `_file_name`), or null when it is one. */
function fileNameProblem(name) {
  if (typeof name !== "string") return "a file name must be a string";
  if (
    name === "" ||
    name === "." ||
    name === ".." ||
    name.includes("/") ||
    name.includes("\\") ||
    /[\u0000-\u001f\u007f]/.test(name) || // no terminal tricks
    // A lone surrogate has no UTF-8 form: it could not round-trip through the header.
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name) ||
    new TextEncoder().encode(name).length > FILE_NAME_MAX_BYTES
  ) {
    return `not a plain file name: ${JSON.stringify(name)}`;
  }
  return null;
}

/** Context as the header spells it: BigInt ids, checksummed contract, kind defaulted. */
function normalizedContext(context) {
  if (context === null || typeof context !== "object") throw new EnvelopeError("an envelope context is required");
  const kind = context.kind ?? "submission";
  if (!KINDS.includes(kind)) throw new EnvelopeError(`envelope kind must be one of ${KINDS.join(", ")}, got ${kind}`);
  const chainId = contextInteger(context.chainId, "chain id");
  const challengeId = contextInteger(context.challengeId, "challenge id");
  if (chainId <= 0n) throw new EnvelopeError(`chain id must be positive, got ${chainId}`);
  if (challengeId >= UINT256_LIMIT) throw new EnvelopeError(`challenge id ${challengeId} is out of range`);
  return { chainId, contract: address(context.contract, "contract"), challengeId, kind };
}

function contextInteger(value, what) {
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return BigInt(value);
  throw new EnvelopeError(`${what} must be a non-negative integer, got ${String(value)}`);
}

function address(value, what) {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new EnvelopeError(`not an address: ${what} ${JSON.stringify(value)}`);
  }
  return getAddress(value.toLowerCase());
}

function bytesFromHex(value, what, length) {
  let bytes;
  try {
    bytes = getBytes(value);
  } catch {
    throw new EnvelopeError(`${what} is not hex bytes`);
  }
  if (bytes.length !== length) throw new EnvelopeError(`${what} has ${bytes.length} bytes, expected ${length}`);
  return bytes;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}


function chunkCount(totalSize, chunkSize) {
  // An empty content is one empty FINAL chunk, so the end of the stream is always signed.
  return Math.max(1, Math.ceil(totalSize / chunkSize));
}

function equalBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

function hex(bytes) {
  return hexlify(bytes).slice(2);
}
