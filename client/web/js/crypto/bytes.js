// Byte helpers the crypto modules share.

/** One Uint8Array of `parts` in order (the part itself when there is only one: no copy). */
export function concatBytes(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
