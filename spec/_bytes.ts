// Little-endian integer access on byte arrays, shared by the codecs and by hot paths. NVMe
// structures are little-endian (Base 2.1 §1.4.3); these helpers never allocate.

const TWO_32 = 0x1_0000_0000;

/** Reads an unsigned 1-, 2- or 4-byte little-endian integer. */
export function getUint(b: Uint8Array, at: number, size: 1 | 2 | 4): number {
  switch (size) {
    case 1:
      return b[at];
    case 2:
      return b[at] | (b[at + 1] << 8);
    case 4:
      return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }
}

/** Writes an unsigned 1-, 2- or 4-byte little-endian integer (the value is truncated). */
export function setUint(b: Uint8Array, at: number, size: 1 | 2 | 4, v: number): void {
  b[at] = v;
  if (size === 1) return;
  b[at + 1] = v >>> 8;
  if (size === 2) return;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** Reads an unsigned little-endian integer of any byte width as a bigint. */
export function getUintBig(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return v;
}

/** Writes an unsigned little-endian integer of any byte width from a bigint. */
export function setUintBig(b: Uint8Array, at: number, size: number, v: bigint): void {
  for (let i = 0; i < size; i++) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Reads a 64-bit little-endian value as a number (exact below 2^53, as addresses here are). */
export function getU64(b: Uint8Array, at: number): number {
  return getUint(b, at, 4) + getUint(b, at + 4, 4) * TWO_32;
}

/** Writes a non-negative integer below 2^53 as a 64-bit little-endian value. */
export function setU64(b: Uint8Array, at: number, v: number): void {
  setUint(b, at, 4, v >>> 0);
  setUint(b, at + 4, 4, Math.floor(v / TWO_32));
}

/** Reads bits `lo..hi` (inclusive; at most 32 wide in a dword, 53 in a qword) at `at`. */
export function getBits(
  b: Uint8Array,
  at: number,
  size: 1 | 2 | 4 | 8,
  lo: number,
  hi: number,
): number {
  const width = hi - lo + 1;
  if (size <= 4) {
    const v = getUint(b, at, size as 1 | 2 | 4);
    return width === 32 ? v : (v >>> lo) & ((1 << width) - 1) >>> 0;
  }
  const low = getUint(b, at, 4);
  const high = getUint(b, at + 4, 4);
  return Number(((BigInt(high) << 32n | BigInt(low)) >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
}

/** Writes `v` into bits `lo..hi` (inclusive) of the integer at `at`, keeping the other bits. */
export function setBits(
  b: Uint8Array,
  at: number,
  size: 1 | 2 | 4 | 8,
  lo: number,
  hi: number,
  v: number,
): void {
  if (size <= 4) {
    const width = hi - lo + 1;
    const mask = width === 32 ? 0xffffffff : ((1 << width) - 1) << lo;
    const old = getUint(b, at, size as 1 | 2 | 4);
    setUint(b, at, size as 1 | 2 | 4, ((old & ~mask) | ((v << lo) & mask)) >>> 0);
    return;
  }
  const mask = ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
  const old = getUintBig(b, at, 8);
  setUintBig(b, at, 8, (old & ~mask) | ((BigInt(v) << BigInt(lo)) & mask));
}

/** Extracts bits `lo..hi` (inclusive) of a 32-bit value: for register and dword hot paths. */
export function field32(v: number, lo: number, hi: number): number {
  const width = hi - lo + 1;
  return width === 32 ? v >>> 0 : (v >>> lo) & ((1 << width) - 1) >>> 0;
}
