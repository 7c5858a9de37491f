/**
 * A seeded, verifying I/O workload over any {@linkcode DriverModel}: keeps `queueDepth` commands in
 * flight across submitting contexts, mixes reads and writes, and checks every read against what
 * was last written (each in-flight slot owns a disjoint LBA region, so the expected content is
 * always known). Used by driver tests, the fuzzers and the benchmark sweep.
 *
 * @example
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { createDriver } from "./linux/driver.ts";
 * import { runWorkload } from "./workload.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = createDriver(host);
 * driver.bringUp();
 * const r = runWorkload(host, driver, { ios: 200, queueDepth: 8, seed: 1 });
 * if (r.mismatches !== 0 || r.errors !== 0 || r.completed !== 200) throw new Error();
 * ```
 *
 * @module
 */

import { Mulberry32 } from "../platform/preemption.ts";
import type { HostPort } from "../platform/ports.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import type { DataSegment, DriverCompletion, DriverModel } from "./model.ts";
import { DriverError } from "./model.ts";

/** Workload options; every field has a default. */
export interface WorkloadOptions {
  /** Commands to complete (default 1000). */
  readonly ios?: number;
  /** Commands kept in flight (default 32). */
  readonly queueDepth?: number;
  /** Fraction of reads, 0..1 (default 0.5; a slot never read before is written first). */
  readonly readFraction?: number;
  /** Blocks per command (default 1). */
  readonly blocks?: number;
  /** Submitting contexts the slots are spread over (default 1). */
  readonly contexts?: number;
  /** Byte offset of each buffer within its page; dword aligned (default 0). */
  readonly bufferOffset?: number;
  /** Split each buffer into this many physical segments (page-aligned interior; default 1). */
  readonly segments?: number;
  /** Namespace (default: the first). */
  readonly nsid?: number;
  /** Seed of every random choice (default 1). */
  readonly seed?: number;
  /** Ask for polled queues (default false). */
  readonly polled?: boolean;
  /** Batch doorbells: `more` on all but every `batch`-th submission (default 1: no batching). */
  readonly batch?: number;
  /** Give up after this much virtual time (default 600 s). */
  readonly maxVirtualNs?: number;
}

/** What happened. */
export interface WorkloadResult {
  /** Commands completed. */
  readonly completed: number;
  /** Reads and writes completed. */
  readonly reads: number;
  /** Writes completed. */
  readonly writes: number;
  /** Completions with an error status or host error. */
  readonly errors: number;
  /** Reads whose data differed from what was written. */
  readonly mismatches: number;
  /** First error or mismatch, for messages. */
  readonly firstProblem: string | null;
  /** Virtual time the workload took (ns). */
  readonly virtualNs: number;
  /** The seed used. */
  readonly seed: number;
}

const PAGE = 4096;
/** LBAs a slot remembers as read candidates. */
const WRITTEN_PER_SLOT = 16;

/** Fills `buf` with the pattern of (`lba`, `version`): deterministic, different per block. */
export function fillPattern(
  buf: Uint8Array,
  lba: number,
  version: number,
  blockSize: number,
): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off < buf.length; off += 4) {
    const block = lba + Math.floor(off / blockSize);
    let x = Math.imul(block ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(version + 1, 0xc2b2ae35) ^ off;
    x ^= x >>> 13;
    dv.setUint32(off, Math.imul(x, 0x27d4eb2d) >>> 0, true);
  }
}

interface Slot {
  readonly index: number;
  readonly region: number;
  readonly buffer: number;
  readonly segments: DataSegment[];
  version: number;
  /** LBAs this slot wrote (most recent last, up to WRITTEN_PER_SLOT). */
  readonly written: number[];
  lba: number;
  isRead: boolean;
  busy: boolean;
}

/** Runs the workload; throws DriverError when the driver has no namespace or stalls. */
export function runWorkload(
  host: HostPort,
  driver: DriverModel,
  options: WorkloadOptions = {},
): WorkloadResult {
  const info = driver.info;
  if (!info) throw new DriverError("runWorkload: bring the driver up first");
  const ns = options.nsid === undefined
    ? info.namespaces[0]
    : info.namespaces.find((n) => n.nsid === options.nsid);
  if (!ns) throw new DriverError("runWorkload: no such active namespace");
  const ios = options.ios ?? 1000;
  const qd = options.queueDepth ?? 32;
  const blocks = options.blocks ?? 1;
  const bytes = blocks * ns.blockSize;
  const offset = options.bufferOffset ?? 0;
  const nseg = options.segments ?? 1;
  const contexts = options.contexts ?? 1;
  const readFraction = options.readFraction ?? 0.5;
  const batch = options.batch ?? 1;
  const seed = options.seed ?? 1;
  const rng = new Mulberry32(seed);
  const regionBlocks = Math.max(blocks, Math.floor(ns.blocks / qd));
  if (regionBlocks * qd > ns.blocks) {
    throw new DriverError(`runWorkload: namespace too small for ${qd} slots of ${blocks} blocks`);
  }
  // Buffers: `offset` into a page; segments split at page boundaries of the buffer.
  const slots: Slot[] = [];
  for (let i = 0; i < qd; i++) {
    const buffer = host.allocate(bytes + offset + PAGE, PAGE) + offset;
    const segments: DataSegment[] = [];
    if (nseg <= 1) segments.push({ addr: buffer, length: bytes });
    else {
      const firstEnd = Math.min(bytes, PAGE - offset);
      const cuts = [0, firstEnd];
      const pages = Math.ceil((bytes - firstEnd) / PAGE);
      for (let s = 1; s < nseg && s <= pages; s++) {
        cuts.push(Math.min(bytes, firstEnd + Math.round((s * pages) / nseg) * PAGE));
      }
      cuts.push(bytes);
      const uniq = [...new Set(cuts)].sort((a, b) => a - b);
      for (let k = 1; k < uniq.length; k++) {
        segments.push({ addr: buffer + uniq[k - 1], length: uniq[k] - uniq[k - 1] });
      }
    }
    slots.push({
      index: i,
      region: i * regionBlocks,
      buffer,
      segments,
      version: -1,
      written: [],
      lba: 0,
      isRead: false,
      busy: false,
    });
  }
  const scratch = new Uint8Array(bytes);
  const expected = new Uint8Array(bytes);
  const written = new Map<number, number>(); // lba → version, per slot region
  let submitted = 0;
  let completed = 0;
  let reads = 0;
  let writes = 0;
  let errors = 0;
  let mismatches = 0;
  let firstProblem: string | null = null;
  const start = host.now();
  const limit = start + (options.maxVirtualNs ?? 600e9);

  const complete = (slot: Slot, c: DriverCompletion) => {
    slot.busy = false;
    completed++;
    if (c.status !== 0 || c.hostError) {
      errors++;
      firstProblem ??= `${slot.isRead ? "read" : "write"} LBA ${slot.lba}: status 0x${
        c.status.toString(16)
      }${c.hostError ? ` (${c.hostError})` : ""}`;
      if (!slot.isRead) written.delete(slot.lba); // content unknown now
      return;
    }
    if (slot.isRead) {
      reads++;
      const v = written.get(slot.lba);
      if (v !== undefined) {
        host.memRead(slot.buffer, scratch);
        fillPattern(expected, slot.lba, v, ns.blockSize);
        for (let i = 0; i < bytes; i++) {
          if (scratch[i] !== expected[i]) {
            mismatches++;
            firstProblem ??= `read LBA ${slot.lba}: byte ${i} is 0x${
              scratch[i].toString(16)
            }, wrote 0x${expected[i].toString(16)}`;
            break;
          }
        }
      }
    } else {
      writes++;
      written.set(slot.lba, slot.version);
      if (!slot.written.includes(slot.lba)) {
        slot.written.push(slot.lba);
        if (slot.written.length > WRITTEN_PER_SLOT) slot.written.shift();
      }
    }
  };
  const callbacks = slots.map((s) => (c: DriverCompletion) => complete(s, c));

  const issue = (slot: Slot, last: boolean): boolean => {
    // Reads revisit what this slot wrote; writes go anywhere block-aligned in the slot's region,
    // so commands of one slot never partially overlap and the expected content is always known.
    const isRead = slot.written.length > 0 && rng.nextFloat() < readFraction;
    const lba = isRead
      ? slot.written[rng.nextU32() % slot.written.length]
      : slot.region + blocks * (rng.nextU32() % Math.max(1, Math.floor(regionBlocks / blocks)));
    slot.lba = lba;
    slot.isRead = isRead;
    if (!isRead) {
      slot.version++;
      fillPattern(scratch, lba, slot.version, ns.blockSize);
      host.memWrite(slot.buffer, scratch);
    }
    const ok = driver.submit({
      opcode: isRead ? NvmOpcode.READ : NvmOpcode.WRITE,
      nsid: ns.nsid,
      cdw10: lba >>> 0,
      cdw11: Math.floor(lba / 2 ** 32),
      cdw12: blocks - 1,
      data: slot.segments,
      context: slot.index % contexts,
      polled: options.polled,
      more: !last,
    }, callbacks[slot.index]);
    if (ok) slot.busy = true;
    else if (!isRead) slot.version--;
    return ok;
  };

  while (completed < ios) {
    let pendingBatch = 0;
    for (const slot of slots) {
      if (slot.busy || submitted >= ios) continue;
      pendingBatch++;
      const last = pendingBatch % batch === 0 || submitted + 1 >= ios;
      if (!issue(slot, last)) break;
      submitted++;
    }
    driver.flush();
    if (completed >= ios) break;
    if (host.now() >= limit) {
      throw new DriverError(
        `runWorkload: stalled with ${submitted - completed} in flight after ` +
          `${(host.now() - start) / 1e9} s of virtual time (seed ${seed})`,
      );
    }
    driver.wait(limit - host.now());
  }
  for (const s of slots) host.free(s.buffer - offset);
  return {
    completed,
    reads,
    writes,
    errors,
    mismatches,
    firstProblem,
    virtualNs: host.now() - start,
    seed,
  };
}
