/**
 * Private helpers of the admin-command case groups (identify, features, log-page, aer): admin
 * commands built from the spec encoders that return their completion and data instead of failing,
 * data buffers with a chosen in-page offset and a PRP list when they span more than two pages,
 * and small readers. Everything goes through {@linkcode HostPort}; nothing here knows a target.
 *
 * Memory pages are 4 KiB: the cases enable the controller with CC.MPS = 0 (RawController's
 * default), so PRP entries describe 4 KiB pages (Base 2.1 §4.3.1).
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { GetFeatures, GetLogPage, Identify, SetFeatures } from "../../spec/admin_commands.ts";
import { IDENTIFY_DATA_SIZE } from "../../spec/identify_controller.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import { offsetOf } from "../../spec/struct.ts";
import type { CaseContext } from "../case.ts";
import type { Completion, RawController } from "../raw_host.ts";

/** The broadcast NSID (Base 2.1 §3.2.1.2): all namespaces. */
export const NSID_ALL = 0xffff_ffff;
/** Memory page size the cases enable the controller with (CC.MPS = 0). */
export const PAGE_SIZE = 4096;
/** Bytes per dword: NUMD counts dwords, LPO must be dword aligned (Base 2.1 §5.1.12). */
export const DWORD = 4;
/** PRP entries per 4 KiB PRP list page. */
const PRP_ENTRIES_PER_PAGE = PAGE_SIZE / 8;
/** Byte offset of CDW14 in the SQE (Base 2.1 §4.1.1). */
const SQE_CDW14 = offsetOf(SubmissionQueueEntry, "cdw14");
/** A byte no controller writes on its own: buffers are pre-filled with it to see what moved. */
export const FILL_BYTE = 0xa5;

/** Something that executes admin commands: the raw controller or an AER-aware pump. */
export interface Admin {
  /** The host port. */
  readonly host: HostPort;
  /** Submits an admin SQE and returns its completion. */
  exec(sqe: Uint8Array): Completion;
}

/** The raw controller's admin queue as an {@linkcode Admin}. */
export function adminOf(ctrl: RawController): Admin {
  return { host: ctrl.host, exec: (sqe) => ctrl.adminExec(sqe) };
}

/** A host data buffer: where it is and the PRP entries that describe it. */
export interface DataBuffer {
  /** First byte of the data (page base + in-page offset). */
  readonly addr: number;
  /** Length in bytes. */
  readonly length: number;
  /** PRP Entry 1. */
  readonly prp1: number;
  /** PRP Entry 2: 0, the second page, or a PRP list (Base 2.1 §4.3.1). */
  readonly prp2: number;
}

/**
 * Allocates `length` bytes starting `offset` bytes into a fresh page, fills them with
 * {@linkcode FILL_BYTE}, and describes them with PRP1/PRP2, building a PRP list (one page,
 * chained lists are not needed here) when the data spans more than two pages.
 */
export function dataBuffer(host: HostPort, length: number, offset = 0): DataBuffer {
  const pages = Math.ceil((offset + length) / PAGE_SIZE);
  if (pages - 1 > PRP_ENTRIES_PER_PAGE) {
    throw new RangeError(`dataBuffer: ${length} bytes need a chained PRP list`);
  }
  const base = host.allocate(pages * PAGE_SIZE, PAGE_SIZE);
  host.memFill(base, pages * PAGE_SIZE, FILL_BYTE);
  const addr = base + offset;
  let prp2 = 0;
  if (pages === 2) prp2 = base + PAGE_SIZE;
  if (pages > 2) {
    prp2 = host.allocate(PAGE_SIZE, PAGE_SIZE);
    for (let i = 1; i < pages; i++) host.memWriteU64(prp2 + (i - 1) * 8, base + i * PAGE_SIZE);
  }
  return { addr, length, prp1: addr, prp2 };
}

/** Reads `length` bytes of host memory at `addr`. */
export function readMem(host: HostPort, addr: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  host.memRead(addr, out);
  return out;
}

/** Reads a buffer's bytes. */
export function readBuffer(host: HostPort, buf: DataBuffer): Uint8Array {
  return readMem(host, buf.addr, buf.length);
}

/** A completion and the bytes its data buffer holds afterwards. */
export interface DataResult {
  /** The completion. */
  readonly c: Completion;
  /** The buffer's bytes after the command (pre-filled with {@linkcode FILL_BYTE}). */
  readonly data: Uint8Array;
}

/** Options of {@linkcode identify}. */
export interface IdentifyOptions {
  /** NSID (default 0). */
  readonly nsid?: number;
  /** CDW10.CNTID (default 0). */
  readonly cntid?: number;
  /** CDW11.CSI (default 0). */
  readonly csi?: number;
  /** Buffer to use (default: a fresh 4 KiB one). */
  readonly buf?: DataBuffer;
}

/** Identify with `cns` (Base 2.1 §5.1.13); never fails the case by itself. */
export function identify(admin: Admin, cns: number, o: IdentifyOptions = {}): DataResult {
  const buf = o.buf ?? dataBuffer(admin.host, IDENTIFY_DATA_SIZE);
  const c = admin.exec(Identify.encode({
    opcode: AdminOpcode.IDENTIFY,
    nsid: o.nsid ?? 0,
    prp1: buf.prp1,
    prp2: buf.prp2,
    cns,
    cntid: o.cntid ?? 0,
    csi: o.csi ?? 0,
  }));
  return { c, data: readBuffer(admin.host, buf) };
}

/** Identify that must succeed: the data, or the case fails naming the command. */
export function identifyOk(
  ctx: CaseContext,
  admin: Admin,
  cns: number,
  o: IdentifyOptions = {},
): Uint8Array {
  const r = identify(admin, cns, o);
  ctx.expectStatus(r.c, 0, `Identify CNS ${hex(cns)} NSID ${hex(o.nsid ?? 0)}`);
  return r.data;
}

/** The NSIDs of a Namespace List (Base 2.1 §5.1.13.2.2): entries up to the first zero. */
export function nsidList(data: Uint8Array): number[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: number[] = [];
  for (let i = 0; i + DWORD <= data.length; i += DWORD) {
    const id = dv.getUint32(i, true);
    if (id === 0) break;
    out.push(id);
  }
  return out;
}

/** Options of {@linkcode getFeature}. */
export interface GetFeatureOptions {
  /** SEL (default 0, current). */
  readonly sel?: number;
  /** CDW11 (feature specific selector, default 0). */
  readonly cdw11?: number;
  /** NSID (default 0). */
  readonly nsid?: number;
  /** Data buffer for features that return a data structure. */
  readonly buf?: DataBuffer;
}

/** Get Features `fid` (Base 2.1 §5.1.11). */
export function getFeature(admin: Admin, fid: number, o: GetFeatureOptions = {}): Completion {
  return admin.exec(GetFeatures.encode({
    opcode: AdminOpcode.GET_FEATURES,
    nsid: o.nsid ?? 0,
    fid,
    sel: o.sel ?? 0,
    cdw11: (o.cdw11 ?? 0) >>> 0,
    prp1: o.buf?.prp1 ?? 0,
    prp2: o.buf?.prp2 ?? 0,
  }));
}

/** Options of {@linkcode setFeature}. */
export interface SetFeatureOptions {
  /** SV, save (default 0). */
  readonly sv?: number;
  /** NSID (default 0). */
  readonly nsid?: number;
  /** CDW12..CDW15 (default 0). */
  readonly cdw12?: number;
  /** CDW13. */
  readonly cdw13?: number;
  /** CDW14. */
  readonly cdw14?: number;
  /** CDW15. */
  readonly cdw15?: number;
  /** Data buffer for features that take a data structure. */
  readonly buf?: DataBuffer;
}

/** Set Features `fid` with CDW11 `value` (Base 2.1 §5.1.25). */
export function setFeature(
  admin: Admin,
  fid: number,
  value: number,
  o: SetFeatureOptions = {},
): Completion {
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    nsid: o.nsid ?? 0,
    fid,
    sv: o.sv ?? 0,
    cdw11: value >>> 0,
    cdw12: (o.cdw12 ?? 0) >>> 0,
    cdw13: (o.cdw13 ?? 0) >>> 0,
    cdw15: (o.cdw15 ?? 0) >>> 0,
    prp1: o.buf?.prp1 ?? 0,
    prp2: o.buf?.prp2 ?? 0,
  });
  // CDW14 holds UUIDX in the table (bits 6:0); Host Memory Buffer uses the whole dword.
  new DataView(sqe.buffer, sqe.byteOffset).setUint32(SQE_CDW14, (o.cdw14 ?? 0) >>> 0, true);
  return admin.exec(sqe);
}

/** Options of {@linkcode getLogPage}. */
export interface LogPageOptions {
  /** Byte offset LPO (default 0). */
  readonly offset?: number;
  /** Retain Asynchronous Event (default 0). */
  readonly rae?: number;
  /** NSID (default FFFFFFFFh: the controller-wide page). */
  readonly nsid?: number;
  /** CSI in CDW14 bits 31:24 (default 0, NVM). */
  readonly csi?: number;
  /** Buffer (default: a fresh one of `length` bytes). */
  readonly buf?: DataBuffer;
}

/** Get Log Page `lid`, `length` bytes (a multiple of 4), Base 2.1 §5.1.12. */
export function getLogPage(
  admin: Admin,
  lid: number,
  length: number,
  o: LogPageOptions = {},
): DataResult {
  const buf = o.buf ?? dataBuffer(admin.host, length);
  const numd = length / DWORD - 1;
  const offset = o.offset ?? 0;
  const c = admin.exec(GetLogPage.encode({
    opcode: AdminOpcode.GET_LOG_PAGE,
    nsid: o.nsid ?? NSID_ALL,
    prp1: buf.prp1,
    prp2: buf.prp2,
    lid,
    rae: o.rae ?? 0,
    numdl: numd & 0xffff,
    numdu: Math.floor(numd / 0x10000),
    lpol: offset >>> 0,
    lpou: Math.floor(offset / 2 ** 32),
    csi: o.csi ?? 0,
  }));
  return { c, data: readMem(admin.host, buf.addr, length) };
}

/** `0x…` for messages. */
export function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** The first index where `a` and `b` differ, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** True when every byte of `a` is `value`. */
export function allBytes(a: Uint8Array, value: number): boolean {
  return a.every((b) => b === value);
}

/** Enables the controller (32-entry admin queue, 4 KiB pages) and returns the admin executor. */
export function enableAdmin(ctx: CaseContext): Admin {
  ctx.ctrl.enable();
  return adminOf(ctx.ctrl);
}
