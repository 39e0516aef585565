"""Storage and encryption layer shared by the backend and the `bounty` CLI.

- `envelope`: encrypted, signed submission and room-document envelopes (format v1).
- `keys`: a challenge's X25519 key pair derived from the seeker's wallet signature.
- `metadata`: versioned challenge and task-batch metadata with a stable on-chain hash.
- `cid`: CIDs computed locally, the same as the node's `add --cid-version=1 --raw-leaves`.
- `ipfs`: the IPFS HTTP client; every fetched byte is verified against its CID.
- `queue`: a durable local queue for uploads that could not reach the node.
"""
