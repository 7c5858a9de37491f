/**
 * Shared helpers of the I/O-path conformance cases (nvm, data-pointer, doorbell, shadow-doorbell,
 * interrupt, integrity): an I/O environment over the raw host, deterministic data patterns, a
 * host-side PRP builder (written here, independent of the driver's builder and the controller's
 * walker) and Read/Write helpers that check the data. Everything goes through
 * {@linkcode CaseContext} and HostPort only, so the cases run against any target.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { Flush, Read, Write } from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import type { CaseContext } from "../case.ts";
import { type Completion, RawController, type RawQueue } from "../raw_host.ts";

/** The memory page size of CC.MPS = 0 (the page size every case uses unless it says otherwise). */
export const PAGE_4K = 4096;
/** Bytes per PRP entry (Base 2.1 §4.3.1). */
export const PRP_ENTRY_BYTES = 8;
/** Byte a destination buffer is filled with before a read, so untouched bytes are visible. */
export const POISON = 0xa5;
/** Queue entries of the I/O queue pairs the cases create unless they need another size. */
export const DEFAULT_QUEUE_SIZE = 64;

/**
 * Deterministic bytes for `seed` (xorshift32). Cases use fixed seeds, so a failure reproduces
 * byte for byte; the seed is part of every data message.
 */
export function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 0x9e3779b1 + 0x7f4a7c15) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first byte where `a` and `b` differ, or -1 when they are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Fails the case unless `actual` equals `expected`, naming the first differing byte. */
export function checkBytes(
  ctx: CaseContext,
  actual: Uint8Array,
  expected: Uint8Array,
  what: string,
): void {
  const at = firstDifference(actual, expected);
  if (at < 0) return;
  ctx.fail(
    `${what}: byte ${at} is 0x${(actual[at] ?? 0).toString(16)}, expected 0x${
      (expected[at] ?? 0).toString(16)
    } (${actual.length} bytes read, ${expected.length} expected)`,
  );
}

/** True when every byte of `data` is `value`. */
export function allBytes(data: Uint8Array, value: number): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== value) return false;
  return true;
}

/** A ready I/O path: enabled controller, I/O queue pairs, the namespace the probe found. */
export interface IoEnv {
  /** The case context. */
  readonly ctx: CaseContext;
  /** The raw controller (a new one after a power loss). */
  readonly ctrl: RawController;
  /** The host port. */
  readonly host: HostPort;
  /** The I/O queue pairs, qid 1 first. */
  readonly queues: readonly RawQueue[];
  /** The first I/O queue pair. */
  readonly q: RawQueue;
  /** Namespace under test. */
  readonly nsid: number;
  /** Its logical block size in bytes. */
  readonly bs: number;
  /** Its size in logical blocks (NSZE). */
  readonly nsze: number;
  /** The memory page size in bytes (CC.MPS). */
  readonly pageSize: number;
}

/** Options of {@linkcode ioEnv}. */
export interface IoEnvOptions {
  /** Queue pairs to create (default 1). */
  readonly pairs?: number;
  /** Entries per queue (default 64, capped at CAP.MQES + 1). */
  readonly size?: number;
  /** The raw controller to use (default `ctx.ctrl`). */
  readonly ctrl?: RawController;
}

/** Enables the controller (if needed) and creates polled I/O queue pairs on the probed namespace. */
export function ioEnv(ctx: CaseContext, o: IoEnvOptions = {}): IoEnv {
  const ns = ctx.caps.namespace;
  if (ns === null || ctx.caps.blockSize === 0) ctx.skip("no active namespace was probed");
  const ctrl = o.ctrl ?? ctx.ctrl;
  const queues = ctrl.ioSetup(o.pairs ?? 1, o.size ?? DEFAULT_QUEUE_SIZE);
  return {
    ctx,
    ctrl,
    host: ctrl.host,
    queues,
    q: queues[0],
    nsid: ctx.caps.nsid,
    bs: ctx.caps.blockSize,
    nsze: Number(ns.nsze),
    pageSize: PAGE_4K,
  };
}

/** After a power loss the function is back at its power-on state: a new raw host and queues. */
export function reopen(ctx: CaseContext, o: IoEnvOptions = {}): IoEnv {
  return ioEnv(ctx, { ...o, ctrl: new RawController(ctx.host) });
}

/** MDTS in bytes (2^MDTS × the CAP.MPSMIN page, Base 2.1 §5.1.13.2.1), or 0 when unlimited. */
export function mdtsBytes(ctx: CaseContext): number {
  const id = ctx.caps.identify;
  if (id === null || id.mdts === 0) return 0;
  return 2 ** id.mdts * (PAGE_4K << ctx.caps.cap.mpsmin);
}

/** Allocates `bytes` of page-aligned host memory (at least one page), filled with {@linkcode POISON}. */
export function allocData(host: HostPort, bytes: number, pageSize = PAGE_4K): number {
  const size = Math.max(pageSize, Math.ceil(bytes / pageSize) * pageSize);
  const addr = host.allocate(size, pageSize);
  host.memFill(addr, size, POISON);
  return addr;
}

/** PRP Entry 1 and 2 of a command. */
export interface Prp {
  /** PRP Entry 1. */
  readonly prp1: number;
  /** PRP Entry 2 (a page, a PRP List pointer, or 0). */
  readonly prp2: number;
}

/**
 * Builds PRP1/PRP2 for `length` bytes of contiguous host memory at `addr` (Base 2.1 §4.3.1): PRP2
 * is the second page when the transfer ends there, else a PRP List pointer; list pages hold
 * `pageSize / 8` entries and the last entry of a full page points to the next list page.
 * `listOffset` places the first list entry that many bytes into its page (qword aligned).
 */
export function buildPrp(
  host: HostPort,
  addr: number,
  length: number,
  pageSize = PAGE_4K,
  listOffset = 0,
): Prp {
  const first = pageSize - (addr % pageSize);
  if (length <= first) return { prp1: addr, prp2: 0 };
  const pages: number[] = [];
  for (let p = addr + first; p < addr + length; p += pageSize) pages.push(p);
  if (pages.length === 1) return { prp1: addr, prp2: pages[0] };
  const perPage = pageSize / PRP_ENTRY_BYTES;
  let list = host.allocate(pageSize, pageSize) + listOffset;
  const prp2 = list;
  let slot = listOffset / PRP_ENTRY_BYTES;
  for (let i = 0; i < pages.length; i++) {
    const left = pages.length - i;
    if (slot === perPage - 1 && left > 1) {
      // The last slot of a list page chains to the next list page.
      const next = host.allocate(pageSize, pageSize);
      host.memWriteU64(list - (list % pageSize) + slot * PRP_ENTRY_BYTES, next);
      list = next;
      slot = 0;
    }
    host.memWriteU64(list - (list % pageSize) + slot * PRP_ENTRY_BYTES, pages[i]);
    slot++;
  }
  return { prp1: addr, prp2 };
}

/** Options of the Read/Write helpers. */
export interface RwOptions {
  /** Force Unit Access (CDW12 bit 30). */
  readonly fua?: boolean;
  /** Queue to use (default the environment's first queue). */
  readonly q?: RawQueue;
  /** Namespace (default the environment's). */
  readonly nsid?: number;
}

/** A Read or Write SQE for `blocks` blocks (1-based count) at `slba` with the given PRPs. */
export function rwCommand(
  opcode: typeof NvmOpcode.READ | typeof NvmOpcode.WRITE,
  nsid: number,
  slba: number,
  blocks: number,
  prp: Prp,
  fua = false,
): Uint8Array {
  const layout = opcode === NvmOpcode.READ ? Read : Write;
  return layout.encode({
    opcode,
    nsid,
    slba,
    nlb: blocks - 1,
    prp1: prp.prp1,
    prp2: prp.prp2,
    fua: fua ? 1 : 0,
  });
}

/** Writes `data` (a whole number of blocks) at `slba` and returns the completion. */
export function writeBlocks(
  env: IoEnv,
  slba: number,
  data: Uint8Array,
  o: RwOptions = {},
): Completion {
  const addr = allocData(env.host, data.length, env.pageSize);
  env.host.memWrite(addr, data);
  const prp = buildPrp(env.host, addr, data.length, env.pageSize);
  const sqe = rwCommand(
    NvmOpcode.WRITE,
    o.nsid ?? env.nsid,
    slba,
    data.length / env.bs,
    prp,
    o.fua,
  );
  return (o.q ?? env.q).exec(sqe);
}

/** Reads `blocks` blocks at `slba`; returns the completion and the bytes in the buffer. */
export function readBlocks(
  env: IoEnv,
  slba: number,
  blocks: number,
  o: RwOptions = {},
): { c: Completion; data: Uint8Array } {
  const bytes = blocks * env.bs;
  const addr = allocData(env.host, bytes, env.pageSize);
  const prp = buildPrp(env.host, addr, bytes, env.pageSize);
  const c = (o.q ?? env.q).exec(
    rwCommand(NvmOpcode.READ, o.nsid ?? env.nsid, slba, blocks, prp, o.fua),
  );
  const data = new Uint8Array(bytes);
  env.host.memRead(addr, data);
  return { c, data };
}

/** Writes `data` at `slba` and fails the case unless the Write succeeds. */
export function mustWrite(env: IoEnv, slba: number, data: Uint8Array, o: RwOptions = {}): void {
  env.ctx.expectStatus(writeBlocks(env, slba, data, o), Status.SUCCESS, `Write LBA ${slba}`);
}

/**
 * Writes `blocks` blocks of `seed`'s {@linkcode pattern} at the case LBA for `index`
 * ({@linkcode caseLba}), failing the case unless the Write succeeds; returns the LBA and the data.
 */
export function mustWritePattern(
  env: IoEnv,
  index: number,
  seed: number,
  blocks: number,
  o: RwOptions = {},
): { lba: number; data: Uint8Array } {
  const lba = caseLba(env, index, blocks);
  const data = pattern(seed, blocks * env.bs);
  mustWrite(env, lba, data, o);
  return { lba, data };
}

/** Reads at `slba` and fails the case unless the Read succeeds with exactly `expected`. */
export function mustReadBack(
  env: IoEnv,
  slba: number,
  expected: Uint8Array,
  what: string,
  o: RwOptions = {},
): void {
  const r = readBlocks(env, slba, expected.length / env.bs, o);
  env.ctx.expectStatus(r.c, Status.SUCCESS, `${what}: Read LBA ${slba}`);
  checkBytes(env.ctx, r.data, expected, `${what}: data read at LBA ${slba}`);
}

/** Flushes the namespace (Base 2.1 §7.2) and fails the case unless it succeeds. */
export function mustFlush(env: IoEnv): void {
  const c = env.q.exec(Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: env.nsid }));
  env.ctx.expectStatus(c, Status.SUCCESS, "Flush");
}

/** An LBA well inside the namespace for a case's data: spreads cases apart, stays in range. */
export function caseLba(env: IoEnv, index: number, blocks = 64): number {
  const span = Math.max(1, Math.floor(env.nsze / 64));
  const lba = (index % 64) * span;
  return Math.min(lba, Math.max(0, env.nsze - blocks));
}
