/**
 * Media bookkeeping of the differential executor: which LBAs a sequence named with a command that
 * may change them (so the next prologue zeroes exactly those, and the end of the sequence reads
 * them back), and the read-back itself.
 *
 * @example
 * ```ts
 * import { DirtyRanges } from "./media.ts";
 * const d = new DirtyRanges();
 * d.add(10, 5);
 * d.add(12, 10);
 * if (JSON.stringify(d.chunks(8)) !== "[[10,8],[18,4]]") throw new Error(JSON.stringify(d.chunks(8)));
 * ```
 *
 * @module
 */

import type { RawQueue } from "../../conformance/raw_host.ts";
import { CaseFailure } from "../../conformance/case.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import type { DiffCommand } from "./commands.ts";
import { LBA_WINDOW } from "./generator.ts";

/** Blocks read back at the end are limited to the first READ_LIMIT LBAs and the last window. */
export const READ_LIMIT = 2048;
/** Blocks per read-back command. */
const READ_CHUNK = 64;
const WRITE_LIKE: ReadonlySet<number> = new Set([
  NvmOpcode.WRITE,
  NvmOpcode.WRITE_ZEROES,
  NvmOpcode.WRITE_UNCORRECTABLE,
  NvmOpcode.DATASET_MANAGEMENT,
]);

/** A set of LBAs as merged half-open intervals. */
export class DirtyRanges {
  #ranges: [number, number][] = [];

  /** Forgets every range. */
  clear(): void {
    this.#ranges = [];
  }

  /** Adds `[slba, slba + blocks)`. */
  add(slba: number, blocks: number): void {
    if (blocks <= 0) return;
    const next: [number, number][] = [];
    let [s, e] = [slba, slba + blocks];
    for (const [a, b] of this.#ranges) {
      if (b < s || a > e) next.push([a, b]);
      else [s, e] = [Math.min(a, s), Math.max(b, e)];
    }
    next.push([s, e]);
    this.#ranges = next.sort((x, y) => x[0] - y[0]);
  }

  /** Notes the in-range LBAs a write-like I/O command names (whatever its outcome). */
  note(cmd: DiffCommand, nsze: number): void {
    if (cmd.queue !== "io" || !WRITE_LIKE.has(cmd.opcode)) return;
    for (const r of cmd.ranges ?? (cmd.lba ? [cmd.lba] : [])) {
      if (r.slba >= BigInt(nsze)) continue;
      const s = Number(r.slba);
      this.add(s, Math.min(r.blocks, nsze - s));
    }
  }

  /** The ranges as `[slba, blocks]` pieces of at most `max` blocks. */
  chunks(max: number): [number, number][] {
    const out: [number, number][] = [];
    for (const [a, b] of this.#ranges) {
      for (let s = a; s < b; s += max) out.push([s, Math.min(max, b - s)]);
    }
    return out;
  }

  /** The LBAs of the ranges inside `[lo, hi)`. */
  *within(lo: number, hi: number): Generator<[number, number]> {
    for (const [a, b] of this.#ranges) {
      const s = Math.max(a, lo), e = Math.min(b, hi);
      if (s < e) yield [s, e - s];
    }
  }
}

function read(io: RawQueue, buffer: number, slba: number, blocks: number): boolean {
  try {
    const c = io.exec(SubmissionQueueEntry.encode({
      opcode: NvmOpcode.READ,
      nsid: 1,
      cdw10: slba % 2 ** 32,
      cdw11: Math.floor(slba / 2 ** 32),
      cdw12: blocks - 1,
      prp1: buffer,
      prp2: 0,
    }));
    return c.status === 0;
  } catch (e) {
    if (e instanceof CaseFailure) return false;
    throw e;
  }
}

/** Reads back the dirty LBAs inside the compared windows, block by block where a chunk fails.
 * Reads go 8 blocks at a time into one page (PRP1 only) so no PRP list is needed. */
export function mediaRead(
  io: RawQueue,
  buffer: number,
  dirty: DirtyRanges,
  g: { readonly blockSize: number; readonly nsze: number },
): Map<number, Uint8Array | null> {
  const out = new Map<number, Uint8Array | null>();
  const perPage = Math.max(1, Math.floor(4096 / g.blockSize));
  const chunk = Math.min(READ_CHUNK, perPage);
  const windows: [number, number][] = [
    [0, Math.min(READ_LIMIT, g.nsze)],
    [Math.max(READ_LIMIT, g.nsze - LBA_WINDOW), g.nsze],
  ];
  for (const [lo, hi] of windows) {
    for (const [s0, n] of dirty.within(lo, hi)) {
      for (let s = s0; s < s0 + n; s += chunk) {
        const k = Math.min(chunk, s0 + n - s);
        const ok = read(io, buffer, s, k);
        if (ok) {
          const data = new Uint8Array(k * g.blockSize);
          io.host.memRead(buffer, data);
          for (let i = 0; i < k; i++) {
            out.set(s + i, data.slice(i * g.blockSize, (i + 1) * g.blockSize));
          }
          continue;
        }
        for (let i = 0; i < k; i++) {
          const block = new Uint8Array(g.blockSize);
          const one = read(io, buffer, s + i, 1);
          if (one) io.host.memRead(buffer, block);
          out.set(s + i, one ? block : null);
        }
      }
    }
  }
  return out;
}
