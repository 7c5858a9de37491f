/**
 * A small, obviously-correct oracle for data pointers (Base 2.1 §4.3.1 PRP, §4.3.2 SGL), written a
 * third time — independently of the driver's builder (`driver/linux/data_mapping.ts`) and the
 * controller's walkers (`controller/prp_walker.ts`, `sgl_walker.ts`) — so a property can compare
 * all three. It favours plainness over speed: one list entry at a time, no batching, no fast
 * paths.
 *
 * - {@linkcode expectedSegments}: what a transfer over a buffer must touch — the buffer's own
 *   segments, contiguous ones merged, cut at the transfer length.
 * - {@linkcode prpDescribable}: whether PRPs can describe a buffer at all: every segment but the
 *   first starts on a page boundary and every segment but the last ends on one.
 * - {@linkcode decodePrp}: PRP1/PRP2 (+ list) → segments, or the status a controller must post.
 *   The rule for list chaining, stated once: the last entry of a list page points at the next
 *   list page exactly when more than one page of data remains at that entry.
 * - {@linkcode decodeSgl}: the subset of SGLs a host builder emits (Data Block, Segment and Last
 *   Segment descriptors with the Address sub type) → segments.
 *
 * @example
 * ```ts
 * import { decodePrp, expectedSegments } from "./prp_oracle.ts";
 * const list = new Map([[0x9000, 0x5000], [0x9008, 0x6000]]);
 * // 0x800 bytes to PRP1's page end, then 0x1800 from two contiguous list pages: two segments.
 * const r = decodePrp(0x1800, 0x9000, 0x800 + 0x1800, 4096, (a) => list.get(a) ?? 0);
 * if (r.status !== "ok" || r.segments.length !== 2) throw new Error();
 * if (expectedSegments([{ addr: 0x1000, length: 8 }, { addr: 0x1008, length: 8 }], 16).length !== 1) {
 *   throw new Error("contiguous segments merge");
 * }
 * ```
 *
 * @module
 */

import type { DataSegment } from "../driver/model.ts";
import { SGL_DESCRIPTOR_SIZE, SglSubtype, SglType } from "../spec/sgl.ts";

/** One contiguous run of host memory a transfer touches. */
export interface OracleSegment {
  /** Host physical address. */
  readonly addr: number;
  /** Bytes. */
  readonly len: number;
}

/** An oracle decode: the segments, or why a controller must refuse the pointer. */
export type OracleResult =
  | { readonly status: "ok"; readonly segments: readonly OracleSegment[] }
  | { readonly status: "prp-offset-invalid"; readonly reason: string }
  | { readonly status: "unsupported"; readonly reason: string };

/** PRP entries are 8 bytes (Base 2.1 §4.3.1). */
const PRP_ENTRY = 8;
/** PRP entries are dword aligned: bits 1:0 of the offset are 00b (Base 2.1 §4.3.1). */
const DWORD = 4;
/** Byte offset of the SGL identifier (type and sub type) in a descriptor. */
const SGL_ID_BYTE = 15;
const SGL_TYPE_SHIFT = 4;
const SGL_SUBTYPE_MASK = 0xf;
/** Segment descriptors followed before the oracle calls a chain circular. */
const MAX_SGL_SEGMENTS = 1024;

/** Appends (addr, len) to `out`, merging with the last segment when it continues it. */
export function pushMerged(out: OracleSegment[], addr: number, len: number): void {
  if (len === 0) return;
  const last = out[out.length - 1];
  if (last && last.addr + last.len === addr) {
    out[out.length - 1] = { addr: last.addr, len: last.len + len };
  } else out.push({ addr, len });
}

/** The memory a `length`-byte transfer over `data` touches, contiguous pieces merged. */
export function expectedSegments(data: readonly DataSegment[], length: number): OracleSegment[] {
  const out: OracleSegment[] = [];
  let left = length;
  for (const d of data) {
    if (left === 0) break;
    const n = Math.min(left, d.length);
    pushMerged(out, d.addr, n);
    left -= n;
  }
  return out;
}

/** PRPs can describe `data`: interior boundaries fall on `pageSize` boundaries, PRP1 dword aligned. */
export function prpDescribable(data: readonly DataSegment[], pageSize: number): boolean {
  if (data.length === 0 || data[0].addr % DWORD !== 0) return false;
  for (let i = 0; i < data.length; i++) {
    if (i > 0 && data[i].addr % pageSize !== 0) return false;
    if (i < data.length - 1 && (data[i].addr + data[i].length) % pageSize !== 0) return false;
  }
  return true;
}

/**
 * Decodes PRP1/PRP2 for a `length`-byte transfer with memory page size `pageSize`, reading list
 * entries one at a time through `readU64`.
 */
export function decodePrp(
  prp1: number,
  prp2: number,
  length: number,
  pageSize: number,
  readU64: (addr: number) => number,
): OracleResult {
  const bad = (reason: string): OracleResult => ({ status: "prp-offset-invalid", reason });
  const out: OracleSegment[] = [];
  if (length === 0) return { status: "ok", segments: out };
  if (prp1 % DWORD !== 0) return bad(`PRP1 0x${prp1.toString(16)} is not dword aligned`);
  const firstLen = Math.min(length, pageSize - (prp1 % pageSize));
  pushMerged(out, prp1, firstLen);
  let remaining = length - firstLen;
  if (remaining === 0) return { status: "ok", segments: out };
  if (remaining <= pageSize) {
    if (prp2 % pageSize !== 0) return bad(`PRP2 0x${prp2.toString(16)} has an offset`);
    pushMerged(out, prp2, remaining);
    return { status: "ok", segments: out };
  }
  if (prp2 % PRP_ENTRY !== 0) {
    return bad(`PRP list pointer 0x${prp2.toString(16)} not qword aligned`);
  }
  let slot = prp2;
  while (remaining > 0) {
    const entry = readU64(slot);
    if (entry % pageSize !== 0) return bad(`PRP entry 0x${entry.toString(16)} has an offset`);
    const lastSlotOfPage = (slot + PRP_ENTRY) % pageSize === 0;
    if (lastSlotOfPage && remaining > pageSize) {
      slot = entry; // a pointer to the next list page
      continue;
    }
    const n = Math.min(remaining, pageSize);
    pushMerged(out, entry, n);
    remaining -= n;
    slot += PRP_ENTRY;
  }
  return { status: "ok", segments: out };
}

/** One SGL descriptor, decoded by hand (little-endian). */
function descriptor(
  bytes: Uint8Array,
  at: number,
): { addr: number; len: number; type: number; sub: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, SGL_DESCRIPTOR_SIZE);
  const addr = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  return {
    addr,
    len: dv.getUint32(8, true),
    type: bytes[at + SGL_ID_BYTE] >>> SGL_TYPE_SHIFT,
    sub: bytes[at + SGL_ID_BYTE] & SGL_SUBTYPE_MASK,
  };
}

/**
 * Decodes the SGL whose first descriptor is at `sqe[sgl1Offset…]` for a `length`-byte transfer,
 * reading segments through `read`. Only Data Block, Segment and Last Segment with the Address sub
 * type are understood ("unsupported" otherwise); the data descriptors must add up to `length`.
 */
export function decodeSgl(
  sqe: Uint8Array,
  sgl1Offset: number,
  length: number,
  read: (addr: number, bytes: number) => Uint8Array,
): OracleResult {
  const unsupported = (reason: string): OracleResult => ({ status: "unsupported", reason });
  const out: OracleSegment[] = [];
  let total = 0;
  let list: Uint8Array = sqe.subarray(sgl1Offset, sgl1Offset + SGL_DESCRIPTOR_SIZE);
  for (let segments = 0; segments <= MAX_SGL_SEGMENTS; segments++) {
    let next: Uint8Array | null = null;
    for (let at = 0; at < list.length; at += SGL_DESCRIPTOR_SIZE) {
      const d = descriptor(list, at);
      if (d.sub !== SglSubtype.ADDRESS) return unsupported(`sub type ${d.sub}`);
      if (d.type === SglType.DATA_BLOCK) {
        pushMerged(out, d.addr, d.len);
        total += d.len;
      } else if (d.type === SglType.SEGMENT || d.type === SglType.LAST_SEGMENT) {
        if (at + SGL_DESCRIPTOR_SIZE !== list.length) {
          return unsupported("segment descriptor not last");
        }
        if (d.len === 0 || d.len % SGL_DESCRIPTOR_SIZE !== 0) {
          return unsupported(`segment length ${d.len}`);
        }
        next = read(d.addr, d.len);
      } else return unsupported(`descriptor type ${d.type}`);
    }
    if (next === null) {
      if (total !== length) {
        return unsupported(`data descriptors add up to ${total}, not ${length}`);
      }
      return { status: "ok", segments: out };
    }
    list = next;
  }
  return unsupported("SGL segment chain too long");
}

/** Renders segments for messages: `0x1000+4096 0x3000+512`. */
export function segmentsText(segments: readonly OracleSegment[]): string {
  return segments.map((s) => `0x${s.addr.toString(16)}+${s.len}`).join(" ") || "(none)";
}
