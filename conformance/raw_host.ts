/**
 * A raw host for conformance cases: register access, an admin queue, I/O queue pairs and commands,
 * all over {@linkcode HostPort} and the spec encoders. It is deliberately not a driver: it does
 * exactly what a case asks, including what the spec forbids, so a case can watch the controller's
 * answer. Every wait is bounded in (virtual) time and ends in a {@linkcode CaseFailure} that says
 * what did not happen.
 *
 * @example Enable, identify, read back VER
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { RawController } from "./raw_host.ts";
 * const host = new Machine().attach(new NvmeController());
 * const ctrl = new RawController(host);
 * ctrl.enable();
 * if (ctrl.identifyController().ver !== host.read32(0x08)) throw new Error("VER");
 * ```
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import { PciCommand, PciConfigOffset } from "../platform/pci_config.ts";
import {
  Cns,
  CreateIoCq,
  CreateIoSq,
  DeleteIoCq,
  DeleteIoSq,
  GetFeatures,
  GetLogPage,
  Identify,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { CompletionQueueEntry, CQE_SIZE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import { FeatureId } from "../spec/features.ts";
import { IDENTIFY_DATA_SIZE, IdentifyController } from "../spec/identify_controller.ts";
import { formatIndex, IdentifyNamespace, lbaDataBytes } from "../spec/identify_namespace.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import {
  CAP,
  CstsBit,
  decodeRegister,
  RegisterOffset,
  timeoutUnitsToNs,
} from "../spec/registers.ts";
import { SQE_SIZE, SubmissionQueueEntry } from "../spec/sqe.ts";
import { offsetOf } from "../spec/struct.ts";
import type {
  CAPValue,
  IdentifyControllerValue,
  IdentifyNamespaceValue,
} from "../spec/value_types.ts";
import { CaseFailure } from "./case.ts";

/** Byte offset of CDW0.CID in the SQE (Base 2.1 §4.1.1). */
const SQE_CID_OFFSET = offsetOf(SubmissionQueueEntry, "cid");
/** CQE dwords (Base 2.1 §4.2.1): DW2 is SQHD then SQID, DW3 the CID then the status field. */
const CQE = (name: string) => offsetOf(CompletionQueueEntry, name);
const CQE_DW0 = CQE("dw0"), CQE_DW1 = CQE("dw1"), CQE_DW2 = CQE("sqhd"), CQE_DW3 = CQE("cid");
/** Where the upper half of DW2 (SQID) and of DW3 (the status field, phase in bit 0) starts. */
const HALF_SHIFT = 8 * (CQE_STATUS_OFFSET - CQE_DW3);

/** A completion as the raw host read it. */
export interface Completion {
  /** Command specific DW0. */
  readonly dw0: number;
  /** Command specific DW1. */
  readonly dw1: number;
  /** SQ head pointer. */
  readonly sqhd: number;
  /** SQ identifier. */
  readonly sqid: number;
  /** Command identifier. */
  readonly cid: number;
  /** `SCT << 8 | SC` (no phase, no DNR). */
  readonly status: number;
  /** Do Not Retry. */
  readonly dnr: boolean;
  /** More. */
  readonly more: boolean;
  /** Phase tag as read. */
  readonly phase: number;
}

/** Default bound on one command's completion wait: 100 ms of target time. */
export const DEFAULT_COMMAND_TIMEOUT_NS = 100_000_000;

/** Polls `host` until `ready()` or `timeoutNs` passes, backing off from polls to short sleeps. */
export function pollUntil(host: HostPort, ready: () => boolean, timeoutNs: number): boolean {
  const deadline = host.now() + timeoutNs;
  let spins = 0;
  for (;;) {
    if (ready()) return true;
    if (host.now() >= deadline) return false;
    if (++spins < 64) host.poll();
    else host.sleep(Math.min(100_000, Math.max(1, deadline - host.now())));
  }
}

/** One host-side queue pair (or a lone SQ/CQ): memory, tail/head, phase. */
export class RawQueue {
  /** Next SQ slot the host writes. */
  sqTail = 0;
  /** Next CQ slot the host reads. */
  cqHead = 0;
  /** Phase the host expects at `cqHead`. */
  phase = 1;
  #nextCid = 0;

  /** A queue; `sq`/`cq` are host addresses (0 when this side does not exist). */
  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly sq: number,
    readonly cq: number,
    readonly sqSize: number,
    readonly cqSize: number,
    readonly dstrd: number,
  ) {}

  /** A command identifier unused since the last 65536 commands on this queue. */
  nextCid(): number {
    const cid = this.#nextCid;
    this.#nextCid = (cid + 1) & 0xffff;
    return cid;
  }

  /** Writes `sqe` at the tail (setting its CID unless `keepCid`) and rings unless `ring` is false.
   * Returns the CID. */
  submit(sqe: Uint8Array, { ring = true, keepCid = false } = {}): number {
    if (!keepCid) {
      const cid = this.nextCid();
      new DataView(sqe.buffer, sqe.byteOffset).setUint16(SQE_CID_OFFSET, cid, true);
    }
    this.host.memWrite(this.sq + this.sqTail * SQE_SIZE, sqe);
    this.sqTail = (this.sqTail + 1) % this.sqSize;
    if (ring) this.ring();
    return new DataView(sqe.buffer, sqe.byteOffset).getUint16(SQE_CID_OFFSET, true);
  }

  /** Rings the SQ tail doorbell with `value` (default: the current tail). */
  ring(value: number = this.sqTail): void {
    this.host.write32(sqTailDoorbell(this.qid, this.dstrd), value);
  }

  /** Reads the CQE at the head if its phase is current and advances the head (no doorbell). */
  take(): Completion | null {
    const addr = this.cq + this.cqHead * CQE_SIZE;
    const dw3 = this.host.memReadU32(addr + CQE_DW3);
    const status = dw3 >>> HALF_SHIFT;
    if ((status & 1) !== this.phase) return null;
    const dw2 = this.host.memReadU32(addr + CQE_DW2);
    const c: Completion = {
      dw0: this.host.memReadU32(addr + CQE_DW0),
      dw1: this.host.memReadU32(addr + CQE_DW1),
      sqhd: dw2 & 0xffff,
      sqid: dw2 >>> HALF_SHIFT,
      cid: dw3 & 0xffff,
      status: (status >>> 1) & 0x7ff,
      more: ((status >>> 14) & 1) === 1,
      dnr: (status >>> 15) === 1,
      phase: status & 1,
    };
    this.cqHead = (this.cqHead + 1) % this.cqSize;
    if (this.cqHead === 0) this.phase ^= 1;
    return c;
  }

  /** Writes the CQ head doorbell (default: the current head). */
  release(value: number = this.cqHead): void {
    this.host.write32(cqHeadDoorbell(this.qid, this.dstrd), value);
  }

  /** Waits for one completion, releases it and returns it; fails the case after `timeoutNs`. */
  wait(timeoutNs = DEFAULT_COMMAND_TIMEOUT_NS): Completion {
    let c: Completion | null = null;
    if (!pollUntil(this.host, () => (c = this.take()) !== null, timeoutNs)) {
      throw new CaseFailure(
        `no completion on CQ ${this.qid} within ${timeoutNs / 1e6} ms (head ${this.cqHead}, ` +
          `phase ${this.phase})`,
      );
    }
    this.release();
    return c!;
  }

  /** Completions that arrive within `ns` (released together). */
  collect(ns = 100_000): Completion[] {
    this.host.sleep(ns);
    const out: Completion[] = [];
    for (let c = this.take(); c; c = this.take()) out.push(c);
    if (out.length) this.release();
    return out;
  }

  /** Submits `sqe` and returns its completion; completions of other commands go to `others`. */
  exec(sqe: Uint8Array, others: Completion[] = [], timeoutNs?: number): Completion {
    const cid = this.submit(sqe);
    for (;;) {
      const c = this.wait(timeoutNs);
      if (c.cid === cid && c.sqid === this.qid) return c;
      others.push(c);
    }
  }
}

/** Options of {@linkcode RawController.enable}. */
export interface EnableOptions {
  /** Admin SQ and CQ entries (default 32). */
  readonly adminDepth?: number;
  /** Admin CQ entries when different from the SQ (default `adminDepth`). */
  readonly adminCqDepth?: number;
  /** CC.MPS (default 0 = 4 KiB). */
  readonly mps?: number;
  /** CC.IOSQES (default 6). */
  readonly iosqes?: number;
  /** CC.IOCQES (default 4). */
  readonly iocqes?: number;
  /** CC.CSS (default 0, NVM command set). */
  readonly css?: number;
  /** CC.AMS (default 0, round robin). */
  readonly ams?: number;
  /** Wait for RDY (default true); false returns right after the CC write. */
  readonly wait?: boolean;
}

/** Result of Set Features Number of Queues. */
export interface QueueGrant {
  /** Status of the command. */
  readonly status: number;
  /** I/O SQs allocated (1's based). */
  readonly nsqa: number;
  /** I/O CQs allocated (1's based). */
  readonly ncqa: number;
  /** min(nsqa, ncqa). */
  readonly pairs: number;
}

/** A controller as a raw host sees it. */
export class RawController {
  /** CAP, decoded. */
  readonly cap: CAPValue;
  /** MSI-X vectors the function has (MSI-X enabled, all unmasked), 0 without MSI-X. */
  readonly msixVectors: number;
  /** The admin queue after {@linkcode enable}. */
  admin!: RawQueue;
  #buffer = 0;

  /** Enables memory space and bus mastering and sets up MSI-X (INTx when absent). */
  constructor(readonly host: HostPort) {
    const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
    host.configWrite(
      PciConfigOffset.COMMAND,
      2,
      cmd | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER,
    );
    this.cap = decodeRegister(CAP, host.read64(RegisterOffset.CAP));
    this.msixVectors = host.setupInterrupts("msix");
    if (this.msixVectors === 0) host.setupInterrupts("intx");
  }

  /** CAP.DSTRD. */
  get dstrd(): number {
    return this.cap.dstrd;
  }

  /** CAP.TO as nanoseconds. */
  get readyTimeoutNs(): number {
    return timeoutUnitsToNs(Math.max(1, this.cap.to));
  }

  /** A 4 KiB-aligned scratch page for data transfers (allocated once). */
  get buffer(): number {
    if (this.#buffer === 0) this.#buffer = this.host.allocate(64 * 1024, 4096);
    return this.#buffer;
  }

  /** Reads `length` bytes of host memory. */
  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.host.memRead(addr, out);
    return out;
  }

  /** Reads CSTS. */
  csts(): number {
    return this.host.read32(RegisterOffset.CSTS);
  }

  /**
   * Waits until `(CSTS & mask) === value`; returns CSTS or fails after `timeoutNs`. A wait for
   * RDY = 1 fails at once when CSTS.CFS is set (and the mask does not ask about CFS): a fatal
   * controller never becomes ready until it is reset (Base 2.1 §3.1.4.6), so waiting out CAP.TO
   * would only cost time.
   */
  waitCsts(mask: number, value: number, timeoutNs = this.readyTimeoutNs, what = "CSTS"): number {
    let csts = 0;
    const awaitsReady = (mask & value & CstsBit.RDY) !== 0 && (mask & CstsBit.CFS) === 0;
    let fatal = false;
    const ok = pollUntil(this.host, () => {
      csts = this.csts();
      fatal = awaitsReady && (csts & CstsBit.CFS) !== 0;
      return fatal || (csts & mask) === value;
    }, timeoutNs);
    if (fatal) {
      throw new CaseFailure(
        `${what}: CSTS.CFS set (CSTS 0x${csts.toString(16)}) while waiting for RDY = 1`,
      );
    }
    if (!ok) {
      throw new CaseFailure(
        `${what}: CSTS 0x${csts.toString(16)} never matched mask 0x${mask.toString(16)} = ` +
          `0x${value.toString(16)} within ${timeoutNs / 1e6} ms`,
      );
    }
    return csts;
  }

  /** Clears CC.EN (keeping the other fields) and waits for RDY = 0. */
  disable(): void {
    const cc = this.host.read32(RegisterOffset.CC);
    if (cc & 1) this.host.write32(RegisterOffset.CC, cc & ~1);
    this.waitCsts(1, 0, this.readyTimeoutNs, "disable");
  }

  /** Programs AQA/ASQ/ACQ with fresh queues and writes CC.EN=1 with the given fields. */
  enable(o: EnableOptions = {}): RawQueue {
    if (this.csts() & 1) this.disable();
    const sqSize = o.adminDepth ?? 32;
    const cqSize = o.adminCqDepth ?? sqSize;
    const page = 4096 << (o.mps ?? 0);
    const sq = this.host.allocate(Math.max(sqSize * SQE_SIZE, page), page);
    const cq = this.host.allocate(Math.max(cqSize * CQE_SIZE, page), page);
    this.host.memFill(cq, cqSize * CQE_SIZE, 0);
    this.host.write32(RegisterOffset.AQA, ((cqSize - 1) << 16) | (sqSize - 1));
    this.host.write64(RegisterOffset.ASQ, sq);
    this.host.write64(RegisterOffset.ACQ, cq);
    this.admin = new RawQueue(this.host, 0, sq, cq, sqSize, cqSize, this.dstrd);
    const cc = 1 | ((o.css ?? 0) << 4) | ((o.mps ?? 0) << 7) | ((o.ams ?? 0) << 11) |
      ((o.iosqes ?? 6) << 16) | ((o.iocqes ?? 4) << 20);
    this.host.write32(RegisterOffset.CC, cc);
    if (o.wait ?? true) this.waitCsts(1, 1, this.readyTimeoutNs, "enable");
    return this.admin;
  }

  /** Submits an admin command and returns its completion. */
  adminExec(sqe: Uint8Array, timeoutNs?: number): Completion {
    return this.admin.exec(sqe, [], timeoutNs);
  }

  /** Identify with `cns` into the scratch buffer; fails the case unless it succeeds. */
  identifyRaw(cns: number, nsid = 0, cntid = 0, csi = 0): Uint8Array {
    const c = this.adminExec(
      Identify.encode({
        opcode: AdminOpcode.IDENTIFY,
        nsid,
        prp1: this.buffer,
        cns,
        cntid,
        csi,
      }),
    );
    if (c.status !== 0) {
      throw new CaseFailure(`Identify CNS ${cns} NSID ${nsid}: status 0x${c.status.toString(16)}`);
    }
    return this.read(this.buffer, IDENTIFY_DATA_SIZE);
  }

  /** Identify Controller (CNS 01h). */
  identifyController(): IdentifyControllerValue {
    return IdentifyController.decode(this.identifyRaw(Cns.CONTROLLER));
  }

  /** Identify Namespace (CNS 00h). */
  identifyNamespace(nsid: number): IdentifyNamespaceValue {
    return IdentifyNamespace.decode(this.identifyRaw(Cns.NAMESPACE, nsid));
  }

  /** Active namespace IDs (CNS 02h from NSID 0). */
  activeNamespaces(): number[] {
    const list = this.identifyRaw(Cns.ACTIVE_NS_LIST, 0);
    const dv = new DataView(list.buffer, list.byteOffset, list.byteLength);
    const out: number[] = [];
    for (let i = 0; i < list.length; i += 4) {
      const id = dv.getUint32(i, true);
      if (id === 0) break;
      out.push(id);
    }
    return out;
  }

  /** The logical block size of a namespace's current format. */
  blockSize(ns: IdentifyNamespaceValue): number {
    return lbaDataBytes(ns.lbaf[formatIndex(ns.flbas)].ds);
  }

  /** Set Features Number of Queues asking for `pairs` I/O queue pairs. */
  requestQueues(pairs: number): QueueGrant {
    const n = pairs - 1;
    const c = this.adminExec(SetFeatures.encode({
      opcode: AdminOpcode.SET_FEATURES,
      fid: FeatureId.NUMBER_OF_QUEUES,
      cdw11: ((n << 16) | n) >>> 0,
    }));
    const nsqa = c.status === 0 ? (c.dw0 & 0xffff) + 1 : 0;
    const ncqa = c.status === 0 ? (c.dw0 >>> 16) + 1 : 0;
    return { status: c.status, nsqa, ncqa, pairs: Math.min(nsqa, ncqa) };
  }

  /** Get Features `fid` (SEL `sel`) → completion. */
  getFeature(fid: number, sel = 0, cdw11 = 0, prp1 = 0): Completion {
    return this.adminExec(
      GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, fid, sel, cdw11, prp1 }),
    );
  }

  /** Set Features `fid` with CDW11 → completion. */
  setFeature(fid: number, cdw11: number, { sv = 0, prp1 = 0, nsid = 0 } = {}): Completion {
    return this.adminExec(
      SetFeatures.encode({ opcode: AdminOpcode.SET_FEATURES, fid, sv, cdw11, prp1, nsid }),
    );
  }

  /** Get Log Page `lid`, `bytes` long, from byte `offset`, into the scratch buffer. */
  getLogPage(
    lid: number,
    bytes: number,
    { offset = 0, rae = 0, nsid = 0xffffffff } = {},
  ): Completion {
    const numd = bytes / 4 - 1;
    return this.adminExec(GetLogPage.encode({
      opcode: AdminOpcode.GET_LOG_PAGE,
      nsid,
      prp1: this.buffer,
      prp2: bytes > 4096 ? this.buffer + 4096 : 0,
      lid,
      rae,
      numdl: numd & 0xffff,
      numdu: numd >>> 16,
      lpol: offset >>> 0,
      lpou: Math.floor(offset / 2 ** 32),
    }));
  }

  /** Create I/O CQ `qid` of `size` entries (physically contiguous); returns the completion and
   * the memory. */
  createCq(qid: number, size: number, { ien = 1, iv = 0, pc = 1, addr = 0 } = {}): {
    c: Completion;
    addr: number;
  } {
    const mem = addr || this.host.allocate(Math.max(size * CQE_SIZE, 4096), 4096);
    this.host.memFill(mem, size * CQE_SIZE, 0);
    const c = this.adminExec(CreateIoCq.encode({
      opcode: AdminOpcode.CREATE_IO_CQ,
      prp1: mem,
      qid,
      qsize: size - 1,
      pc,
      ien,
      iv,
    }));
    return { c, addr: mem };
  }

  /** Create I/O SQ `qid` of `size` entries on CQ `cqid`. */
  createSq(qid: number, size: number, cqid: number, { qprio = 0, pc = 1, addr = 0 } = {}): {
    c: Completion;
    addr: number;
  } {
    const mem = addr || this.host.allocate(Math.max(size * SQE_SIZE, 4096), 4096);
    const c = this.adminExec(CreateIoSq.encode({
      opcode: AdminOpcode.CREATE_IO_SQ,
      prp1: mem,
      qid,
      qsize: size - 1,
      pc,
      qprio,
      cqid,
    }));
    return { c, addr: mem };
  }

  /** Delete I/O SQ `qid`. */
  deleteSq(qid: number): Completion {
    return this.adminExec(DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, qid }));
  }

  /** Delete I/O CQ `qid`. */
  deleteCq(qid: number): Completion {
    return this.adminExec(DeleteIoCq.encode({ opcode: AdminOpcode.DELETE_IO_CQ, qid }));
  }

  /** Creates CQ then SQ `qid` with `size` entries (vector `iv`, interrupts when `ien`); fails the
   * case unless both succeed. Needs Number of Queues to have granted `qid`. */
  createQueuePair(qid: number, size: number, { ien = 0, iv = 0 } = {}): RawQueue {
    const cq = this.createCq(qid, size, { ien, iv });
    if (cq.c.status !== 0) {
      throw new CaseFailure(`Create I/O CQ ${qid}: status 0x${cq.c.status.toString(16)}`);
    }
    const sq = this.createSq(qid, size, qid);
    if (sq.c.status !== 0) {
      throw new CaseFailure(`Create I/O SQ ${qid}: status 0x${sq.c.status.toString(16)}`);
    }
    return new RawQueue(this.host, qid, sq.addr, cq.addr, size, size, this.dstrd);
  }

  /** Enables the controller, asks for `pairs` queue pairs and creates them with `size` entries
   * (polled); fails the case when fewer are granted. */
  ioSetup(pairs = 1, size = 64): RawQueue[] {
    if (!this.admin || !(this.csts() & 1)) this.enable();
    const grant = this.requestQueues(pairs);
    if (grant.pairs < pairs) {
      throw new CaseFailure(`Number of Queues granted ${grant.pairs} pairs, needed ${pairs}`);
    }
    const max = Math.min(size, this.cap.mqes + 1);
    const out: RawQueue[] = [];
    for (let q = 1; q <= pairs; q++) out.push(this.createQueuePair(q, max));
    return out;
  }
}
