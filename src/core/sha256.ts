import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 of bytes as lowercase hex. */
export type Sha256 = (data: Uint8Array) => string;

// Pure JavaScript, so the core runs anywhere; streamlearn/node swaps in node:crypto,
// about 8x faster on a large model's state.
let hash: Sha256 = (data) => bytesToHex(nobleSha256(data));

export function sha256(data: Uint8Array): string {
  return hash(data);
}

/** Sets the SHA-256 implementation (the same function, only faster: streamlearn/node's node:crypto). */
export function useSha256(implementation: Sha256): void {
  hash = implementation;
}
