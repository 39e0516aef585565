#!/usr/bin/env node
/**
 * Drives the browser crypto modules from Node for tests/web/test_envelope_interop.py.
 *
 *   node tests/web/envelope_interop.mjs message <request.json>  -> {"message"}
 *   node tests/web/envelope_interop.mjs key <signature hex>      -> {"public_key", "private_key"}
 *   node tests/web/envelope_interop.mjs derive <request.json>   -> {"signature", "public_key", "private_key"}
 *   node tests/web/envelope_interop.mjs seal <request.json>     -> {"author", "header_json", "size"}
 *   node tests/web/envelope_interop.mjs open <request.json>     -> {"author", "header_json", "files"}
 *
 * Requests are JSON; bytes are hex without 0x, envelopes are files (paths in the request).
 * Context fields: chain_id, contract, challenge_id (decimal string or number), kind.
 * Wallets are ethers `Wallet`s built from the `*_key` private keys in the request.
 *
 * Exit status: 0 with the result on stdout; 2 with {"error", "message"} on stdout when the
 * modules refused the input (EnvelopeError and its subclasses); anything else is a crash.
 */

import { readFile, writeFile } from "node:fs/promises";

import { Wallet, getBytes, hexlify } from "ethers";

import { EnvelopeError, headerToJson, openEnvelope, sealEnvelope } from "../../client/web/js/crypto/envelope.js";
import { challengeKeyMessage, challengeKeyPairFromSignature, deriveChallengeKeyPair } from "../../client/web/js/crypto/keys.js";

const fromHex = (value) => getBytes(`0x${value}`);
const toHex = (bytes) => hexlify(bytes).slice(2);

function context(request) {
  return {
    chainId: BigInt(request.chain_id),
    contract: request.contract,
    challengeId: BigInt(request.challenge_id),
    kind: request.kind ?? "submission",
  };
}

async function readRequest(path) {
  return JSON.parse(await readFile(path, "utf8"));
}

const commands = {
  async message(path) {
    const request = await readRequest(path);
    return { message: challengeKeyMessage(BigInt(request.chain_id), request.contract, BigInt(request.challenge_id)) };
  },

  async key(signature) {
    const { publicKey, privateKey } = challengeKeyPairFromSignature(signature);
    return { public_key: toHex(publicKey), private_key: toHex(privateKey) };
  },

  async derive(path) {
    const request = await readRequest(path);
    const wallet = new Wallet(request.wallet_key);
    // Records what the wallet signed, to compare with Python's signature too.
    let signature;
    const recordingSigner = {
      async signMessage(text) {
        signature = await wallet.signMessage(text);
        return signature;
      },
    };
    const { chainId, contract, challengeId } = context(request);
    const { publicKey, privateKey } = await deriveChallengeKeyPair(recordingSigner, chainId, contract, challengeId);
    return { signature: signature.slice(2), public_key: toHex(publicKey), private_key: toHex(privateKey) };
  },

  async seal(path) {
    const request = await readRequest(path);
    const { bytes, header } = await sealEnvelope({
      files: request.files.map((f) => ({ name: f.name, bytes: fromHex(f.hex) })),
      context: context(request),
      recipients: request.recipients.map(fromHex),
      signer: new Wallet(request.author_key),
      chunkSize: request.chunk_size,
    });
    await writeFile(request.output, bytes);
    return { author: header.author, header_json: headerToJson(header), size: bytes.length };
  },

  async open(path) {
    const request = await readRequest(path);
    const envelope = new Uint8Array(await readFile(request.envelope));
    const opened = await openEnvelope(envelope, {
      context: context(request),
      privateKey: fromHex(request.private_key),
      ...(request.public_key ? { publicKey: fromHex(request.public_key) } : {}),
      ...(request.expected_author ? { expectedAuthor: request.expected_author } : {}),
    });
    return {
      author: opened.author,
      header_json: headerToJson(opened.header),
      files: opened.files.map((f) => ({ name: f.name, hex: toHex(f.bytes) })),
    };
  },
};

const [command, argument] = process.argv.slice(2);
if (!Object.hasOwn(commands, command) || argument === undefined) {
  process.stderr.write(`usage: envelope_interop.mjs {${Object.keys(commands).join("|")}} <request.json | signature>\n`);
  process.exit(64);
}
try {
  process.stdout.write(`${JSON.stringify(await commands[command](argument))}\n`);
} catch (error) {
  if (!(error instanceof EnvelopeError)) throw error;
  process.stdout.write(`${JSON.stringify({ error: error.name, message: error.message })}\n`);
  process.exitCode = 2;
}
