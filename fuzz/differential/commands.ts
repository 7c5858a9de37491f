/**
 * The command model of the differential fuzzer: one {@linkcode DiffCommand} is a fully specified
 * submission (queue, opcode, NSID, CDW10..15, data direction and length, how the data pointer is
 * laid out, the data sent) that does not depend on where either side's memory is. The executor
 * turns it into an SQE per side with that side's addresses (`executor.ts`).
 *
 * Write/Compare data is a function of (pattern, LBA, byte), never of the buffer offset, so a
 * Compare with the pattern of an earlier Write to the same LBAs matches wherever the two started.
 *
 * @example
 * ```ts
 * import { describeCommand, patternByte, type DiffCommand } from "./commands.ts";
 * const read: DiffCommand = {
 *   queue: "io", name: "Read", opcode: 0x02, nsid: 1, cdw: [16, 0, 3, 0, 0, 0],
 *   dir: "in", bytes: 2048, dptr: { offset: 0, listOffset: 0, fault: "none" },
 *   lba: { slba: 16n, blocks: 4 },
 * };
 * if (!describeCommand(read).startsWith("io Read")) throw new Error(describeCommand(read));
 * if (patternByte(0, 5, 7) !== 0) throw new Error("pattern 0 is zeroes");
 * ```
 *
 * @module
 */

/** Which queue a command goes to: the admin queue or I/O queue pair 1. */
export type QueueKind = "admin" | "io";

/** Data direction as the host sees it. */
export type Direction = "none" | "in" | "out";

/** A deliberate data pointer fault (Base 2.1 §4.3.1: PRP entries after PRP1 are page aligned). */
export type PrpFault = "none" | "prp2-offset" | "list-entry-offset";

/** How the PRP data pointer is laid out over the side's data buffer. */
export interface DataPointerShape {
  /** Byte offset of PRP1 into the first (page-aligned) buffer page. */
  readonly offset: number;
  /** Byte offset of the PRP list inside its page (a multiple of 8). */
  readonly listOffset: number;
  /** A fault to inject, or "none". */
  readonly fault: PrpFault;
}

/** Data the host sends: an LBA pattern (Write/Compare) or literal bytes (DSM ranges, features). */
export type Payload =
  | { readonly kind: "pattern"; readonly pattern: number }
  | { readonly kind: "bytes"; readonly bytes: readonly number[] };

/** The LBA range a command names (for dirty-range tracking and Write Uncorrectable taint). */
export interface LbaRange {
  /** Starting LBA (may be out of range, up to 2^64 − 1). */
  readonly slba: bigint;
  /** Number of blocks (1's based). */
  readonly blocks: number;
}

/** Queue memory for Create I/O SQ/CQ: which preallocated slot and at which offset into it. */
export interface QueueMemory {
  /** Slot index (0..QUEUE_SLOTS−1). */
  readonly slot: number;
  /** Byte offset into the slot (non-zero = not page aligned: Invalid PRP Offset). */
  readonly offset: number;
}

/** One submission, independent of memory addresses. */
export interface DiffCommand {
  /** Queue it goes to. */
  readonly queue: QueueKind;
  /** NVMe name with the key parameters, e.g. "Identify CNS 01h". */
  readonly name: string;
  /** Opcode. */
  readonly opcode: number;
  /** NSID. */
  readonly nsid: number;
  /** CDW10..CDW15. */
  readonly cdw: readonly [number, number, number, number, number, number];
  /** Data direction. */
  readonly dir: Direction;
  /** Transfer length in bytes (0 without data). */
  readonly bytes: number;
  /** Data pointer layout (ignored when `bytes` is 0: PRP1 = PRP2 = 0). */
  readonly dptr: DataPointerShape;
  /** Data sent (dir "out"). */
  readonly payload?: Payload;
  /** LBA range named, for NVM commands with SLBA/NLB or DSM (one per range). */
  readonly lba?: LbaRange;
  /** Extra ranges (DSM carries several). */
  readonly ranges?: readonly LbaRange[];
  /** Queue memory (Create I/O SQ/CQ). */
  readonly queueMemory?: QueueMemory;
}

/** Number of preallocated queue memory slots per side. */
export const QUEUE_SLOTS = 6;
/** Bytes per queue memory slot: room for 64 SQEs, plus a page for a misaligned base. */
export const QUEUE_SLOT_BYTES = 2 * 4096;
/** Byte value the executor fills receive buffers with before a command (unwritten bytes). */
export const CANARY = 0xa5;

/** Data byte `index` of the pattern at `lba` (pattern 0 is all zeroes, like fresh media). */
export function patternByte(pattern: number, lba: number, index: number): number {
  if (pattern === 0) return 0;
  return ((lba * 7 + index * 13 + pattern * 101) ^ (index >>> 8) ^ (lba >>> 8)) & 0xff;
}

/** The bytes of `payload` for a transfer of `bytes` bytes with `blockSize`-byte blocks. */
export function payloadBytes(
  payload: Payload | undefined,
  bytes: number,
  blockSize: number,
  slba: bigint,
): Uint8Array {
  const out = new Uint8Array(bytes);
  if (!payload) return out;
  if (payload.kind === "bytes") {
    out.set(payload.bytes.slice(0, bytes));
    return out;
  }
  const base = Number(slba & 0xffff_ffffn);
  for (let i = 0; i < bytes; i++) {
    out[i] = patternByte(payload.pattern, base + Math.floor(i / blockSize), i % blockSize);
  }
  return out;
}

const hex = (v: number | bigint, width = 0) =>
  `${v.toString(16).toUpperCase().padStart(width, "0")}h`;

/** One readable line: queue, name, NSID, CDWs that are set, data layout. */
export function describeCommand(c: DiffCommand): string {
  const parts = [`${c.queue} ${c.name}`, `opc ${hex(c.opcode, 2)}`, `nsid ${hex(c.nsid)}`];
  c.cdw.forEach((v, i) => {
    if (v !== 0) parts.push(`cdw${10 + i} ${hex(v >>> 0)}`);
  });
  if (c.bytes > 0) {
    let d = `${c.dir} ${c.bytes} B prp1+${hex(c.dptr.offset)}`;
    if (c.dptr.listOffset) d += ` list+${hex(c.dptr.listOffset)}`;
    if (c.dptr.fault !== "none") d += ` fault ${c.dptr.fault}`;
    parts.push(d);
  }
  if (c.payload?.kind === "pattern") parts.push(`pattern ${c.payload.pattern}`);
  if (c.queueMemory) {
    parts.push(`queue memory slot ${c.queueMemory.slot}+${hex(c.queueMemory.offset)}`);
  }
  return parts.join(", ");
}
