/**
 * The smallest complete driver model: copy this file to start your own. It polls (no
 * interrupts), uses one I/O queue pair, builds PRPs (PRP1/PRP2 plus one PRP list page per command
 * slot), uses the slot index as command identifier, and recovers from a timed-out command by
 * resetting the controller. No shadow doorbells, no SGLs. Section numbers are NVMe Base 2.1.
 *
 * The contract it implements is {@linkcode DriverModel} (driver/model.ts): `bringUp`, `submit`
 * (never waits), `processCompletions`, `wait`, `reset`, `shutdown`. Every callback runs exactly
 * once, from `processCompletions`, `wait`, `reset` or `shutdown`.
 *
 * Options: `queueDepth` (I/O queue entries, default 64, capped by CAP.MQES + 1) and `timeoutNs`
 * (per-command timeout, default 5 s of virtual time).
 *
 * @example Read block 0
 * ```ts
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * import { createDriver } from "./minimal_driver.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = createDriver(host);
 * const ns = driver.bringUp().namespaces[0];
 * const buf = host.allocate(ns.blockSize, 4096);
 * let status = -1;
 * driver.submit(
 *   { opcode: 0x02, nsid: ns.nsid, cdw10: 0, data: [{ addr: buf, length: ns.blockSize }] },
 *   (c) => (status = c.status),
 * );
 * while (status < 0) driver.wait(1_000_000);
 * driver.shutdown();
 * if (status !== 0) throw new Error("read failed");
 * ```
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { PciCommand, PciConfigOffset } from "../../platform/pci_config.ts";
import * as admin from "../../spec/admin_commands.ts";
import { CompletionQueueEntry, CQE_SIZE, CQE_SIZE_SHIFT, unpackStatus } from "../../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../../spec/doorbell.ts";
import { FeatureId, NumberOfQueues } from "../../spec/features.ts";
import { IDENTIFY_DATA_SIZE, IdentifyController } from "../../spec/identify_controller.ts";
import { formatIndex, IdentifyNamespace, lbaDataBytes } from "../../spec/identify_namespace.ts";
import { NamespaceList, nsidsOf } from "../../spec/ns_list.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import * as reg from "../../spec/registers.ts";
import { SQE_SIZE, SQE_SIZE_SHIFT, SubmissionQueueEntry } from "../../spec/sqe.ts";
import { encodeValue } from "../../spec/struct.ts";
import {
  blankCompletion,
  type CompletionCallback,
  type ControllerInfo,
  dataLength,
  type DataSegment,
  type DriverCommand,
  type DriverCompletion,
  DriverError,
  type DriverFactory,
  type DriverModel,
  type HostErrorKind,
  hostErrorStatus,
  type NamespaceInfo,
} from "../model.ts";

const PAGE = 4096; // we always use 4 KiB memory pages: CC.MPS = 0 (§3.1.4.5)
const ADMIN_DEPTH = 32;
const PRP_LIST_ENTRIES = PAGE / 8; // one list page of 8-byte entries
const ALL_ONES = 0xffff_ffff; // what a read returns once the device is gone
const CC_EN = Number(reg.encodeRegister(reg.CC, { en: 1 }));
const CC_SHN_NORMAL = Number(reg.encodeRegister(reg.CC, { shn: reg.ShutdownNotification.NORMAL }));
const CSTS_RDY = Number(reg.encodeRegister(reg.CSTS, { rdy: 1 }));
const CSTS_CFS = Number(reg.encodeRegister(reg.CSTS, { cfs: 1 }));
const CSTS_SHST_MASK = Number(reg.encodeRegister(reg.CSTS, { shst: 3 }));
const CSTS_SHST_COMPLETE = Number(
  reg.encodeRegister(reg.CSTS, { shst: reg.ShutdownStatus.COMPLETE }),
);
// Byte offsets in the 64-byte SQE (§4.1.1): CID in CDW0, the data pointer in bytes 24..39.
const SQE_CID = SubmissionQueueEntry.field("cid").offset;
const SQE_PRP1 = SubmissionQueueEntry.field("prp1").offset;
const SQE_PRP2 = SubmissionQueueEntry.field("prp2").offset;
// Byte offsets in the 16-byte CQE (§4.2.1): DW2 = SQ head and SQ id, DW3 = CID and status.
const CQE_DW1 = CompletionQueueEntry.field("dw1").offset;
const CQE_DW2 = CompletionQueueEntry.field("sqhd").offset;
const CQE_DW3 = CompletionQueueEntry.field("cid").offset;

/** Writes a 64-bit little-endian address (below 2^53) as two dwords. */
function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 2 ** 32, true);
  view.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

/** A command the host ended itself: its callback runs from the next `processCompletions`. */
type Ended = { done: CompletionCallback; kind: HostErrorKind; cid: number };

/** One SQ and its CQ. A command's slot index is its CID; slot i owns PRP list page i. */
class QueuePair {
  sqTail = 0;
  cqHead = 0;
  phase = 1; // phase tag of new CQEs: 1 on the first pass, flipped on each wrap (§4.2.4)
  readonly done: (CompletionCallback | null)[];
  readonly started: number[];
  readonly timeout: number[];
  readonly free: number[] = [];
  readonly sq: number;
  readonly cq: number;
  readonly lists: number;
  readonly sqDoorbell: number;
  readonly cqDoorbell: number;

  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly depth: number,
    dstrd: number,
  ) {
    // At most depth - 1 commands: a full SQ keeps one slot empty (§3.3.1.5), so our tail never
    // passes the controller's head, and the CQ (same depth) can never overflow.
    const slots = depth - 1;
    this.done = new Array(slots).fill(null);
    this.started = new Array(slots).fill(0);
    this.timeout = new Array(slots).fill(0);
    for (let i = slots - 1; i >= 0; i--) this.free.push(i);
    this.sq = host.allocate(depth * SQE_SIZE, PAGE); // queues are page aligned (§5.2.1, §5.2.2)
    this.cq = host.allocate(depth * CQE_SIZE, PAGE);
    host.memFill(this.cq, depth * CQE_SIZE, 0); // phase 0 everywhere: nothing posted yet
    this.lists = host.allocate(slots * PAGE, PAGE);
    this.sqDoorbell = sqTailDoorbell(qid, dstrd);
    this.cqDoorbell = cqHeadDoorbell(qid, dstrd);
  }

  get outstanding(): number {
    return this.done.length - this.free.length;
  }

  /** Takes every command in flight (for reset and shutdown) and frees the memory. */
  release(now: number): Ended[] {
    const out: Ended[] = [];
    this.done.forEach((done, cid) => {
      if (!done) return;
      const late = now - this.started[cid] > this.timeout[cid];
      out.push({ done, kind: late ? "timeout" : "aborted", cid });
    });
    for (const a of [this.sq, this.cq, this.lists]) this.host.free(a);
    return out;
  }
}

/** The minimal driver. */
export class MinimalDriver implements DriverModel {
  /** Driver name. */
  readonly name = "minimal";
  /** What the last bring-up found. */
  info: ControllerInfo | null = null;
  readonly #host: HostPort;
  readonly #depth: number;
  readonly #timeoutNs: number;
  #readyTimeout = 0;
  #maxTransfer = 0;
  #admin: QueuePair | null = null;
  #io: QueuePair | null = null;
  #ended: Ended[] = [];
  readonly #sqe = new Uint8Array(SQE_SIZE);
  readonly #sqeView = new DataView(this.#sqe.buffer);
  readonly #list = new Uint8Array(PAGE);
  readonly #listView = new DataView(this.#list.buffer);
  readonly #c: DriverCompletion = blankCompletion();

  /** Options: `queueDepth` (at least 2, default 64) and `timeoutNs` (default 5 s). */
  constructor(host: HostPort, options: Readonly<Record<string, unknown>> = {}) {
    for (const k of Object.keys(options)) {
      if (k !== "queueDepth" && k !== "timeoutNs") {
        throw new DriverError(`minimal driver: unknown option "${k}" (queueDepth, timeoutNs)`);
      }
    }
    const { queueDepth = 64, timeoutNs = 5e9 } = options;
    if (typeof queueDepth !== "number" || !Number.isInteger(queueDepth) || queueDepth < 2) {
      throw new DriverError("minimal driver: queueDepth must be an integer >= 2");
    }
    if (typeof timeoutNs !== "number" || !(timeoutNs > 0)) {
      throw new DriverError("minimal driver: timeoutNs must be a positive number");
    }
    this.#host = host;
    this.#depth = Math.min(queueDepth, 0x10000); // QSIZE is a 16-bit 0's based value
    this.#timeoutNs = timeoutNs;
  }

  /** Commands whose callback has not run yet. */
  get inFlight(): number {
    return this.#ended.length + (this.#admin?.outstanding ?? 0) + (this.#io?.outstanding ?? 0);
  }

  // ---------------------------------------------------------------- bring-up (§3.5.1)

  /** Disable, admin queue, enable, identify, one I/O queue pair, namespaces. */
  bringUp(): ControllerInfo {
    const ended = this.#teardown();
    try {
      return this.info = this.#init();
    } catch (e) {
      ended.push(...this.#teardown()); // leave nothing half built
      throw e;
    } finally {
      for (const e of ended) this.#hostComplete(e);
    }
  }

  #init(): ControllerInfo {
    const host = this.#host;
    // PCI: decode BAR0 and allow DMA (bus master); we poll, so INTx stays disabled.
    const pci = host.configRead(PciConfigOffset.COMMAND, 2);
    const on = PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER | PciCommand.INTX_DISABLE;
    host.configWrite(PciConfigOffset.COMMAND, 2, pci | on);
    const capRaw = host.read64(reg.RegisterOffset.CAP);
    const cap = reg.decodeRegister(reg.CAP, capRaw);
    if (host.read32(reg.RegisterOffset.CSTS) === ALL_ONES) throw new DriverError("device gone");
    if (cap.mpsmin !== 0) throw new DriverError("minimal driver needs 4 KiB pages (CAP.MPSMIN 0)");
    if (!(cap.css & (1 << reg.CapCssBit.NVM))) throw new DriverError("no NVM command set");
    this.#readyTimeout = reg.timeoutUnitsToNs(cap.to); // CAP.TO: worst time to RDY (§3.1.4.1)
    // 1. Disable: CC.EN = 0 (other CC fields may change only while disabled), then wait for
    //    CSTS.RDY = 0 (§3.5.1).
    const old = host.read32(reg.RegisterOffset.CC);
    if (old & CC_EN) host.write32(reg.RegisterOffset.CC, old & ~CC_EN);
    this.#waitCsts(CSTS_RDY, 0, "CSTS.RDY = 0 after CC.EN = 0");
    // 2. Admin queue: sizes in AQA (0's based), base addresses in ASQ and ACQ (§3.1.4.8-10).
    const entries = Math.min(ADMIN_DEPTH, cap.mqes + 1);
    const aq = this.#admin = new QueuePair(host, 0, entries, cap.dstrd);
    const aqa = reg.encodeRegister(reg.AQA, { asqs: entries - 1, acqs: entries - 1 });
    host.write32(reg.RegisterOffset.AQA, Number(aqa));
    host.write64(reg.RegisterOffset.ASQ, aq.sq);
    host.write64(reg.RegisterOffset.ACQ, aq.cq);
    // 3. Enable: 64-byte SQEs, 16-byte CQEs, 4 KiB pages (MPS 0), NVM set (CSS 0), round robin.
    const cc = reg.encodeRegister(reg.CC, {
      en: 1,
      iosqes: SQE_SIZE_SHIFT,
      iocqes: CQE_SIZE_SHIFT,
    });
    host.write32(reg.RegisterOffset.CC, Number(cc));
    this.#waitCsts(CSTS_RDY, CSTS_RDY, "CSTS.RDY = 1 after CC.EN = 1");
    const page = host.allocate(PAGE, PAGE); // scratch page for Identify data
    try {
      // 4. Identify Controller (CNS 01h, §5.1.13.2.1).
      const id = IdentifyController.decode(this.#identify(page, admin.Cns.CONTROLLER, 0));
      // MDTS is in units of CAP.MPSMIN pages, 0 = no limit; one PRP list page bounds us too.
      const mdts = id.mdts ? 2 ** id.mdts * PAGE : Infinity;
      this.#maxTransfer = Math.min(mdts, PRP_LIST_ENTRIES * PAGE);
      // 5. Number of Queues (Feature 07h, §5.1.25.2.1): one SQ and one CQ (0's based counts).
      const cdw11 = Number(encodeValue(NumberOfQueues, { nsqr: 0, ncqr: 0 }));
      const fid = FeatureId.NUMBER_OF_QUEUES;
      this.#adminSync(admin.SetFeatures.encode({ opcode: AdminOpcode.SET_FEATURES, fid, cdw11 }));
      // 6. I/O queue pair 1: the CQ first, then the SQ that posts to it (§3.3.1). PC = 1
      //    (physically contiguous), IEN = 0 (we poll).
      const depth = Math.min(this.#depth, cap.mqes + 1);
      const io = this.#io = new QueuePair(host, 1, depth, cap.dstrd);
      const qsize = depth - 1;
      this.#adminSync(admin.CreateIoCq.encode({
        opcode: AdminOpcode.CREATE_IO_CQ,
        prp1: io.cq,
        qid: 1,
        qsize,
        pc: 1,
      }));
      this.#adminSync(admin.CreateIoSq.encode({
        opcode: AdminOpcode.CREATE_IO_SQ,
        prp1: io.sq,
        qid: 1,
        qsize,
        pc: 1,
        cqid: 1,
      }));
      // 7. Namespaces: the active NSID list (CNS 02h), then Identify Namespace (CNS 00h) each.
      const namespaces: NamespaceInfo[] = [];
      const list = NamespaceList.decode(this.#identify(page, admin.Cns.ACTIVE_NS_LIST, 0));
      for (const nsid of nsidsOf(list.ns)) {
        const ns = IdentifyNamespace.decode(this.#identify(page, admin.Cns.NAMESPACE, nsid));
        const lbaf = ns.lbaf[formatIndex(ns.flbas)];
        const blockSize = lbaDataBytes(lbaf.ds);
        if (blockSize === 0) continue; // a format we cannot use
        const [blocks, capacity] = [Number(ns.nsze), Number(ns.ncap)];
        namespaces.push({ nsid, blocks, capacity, blockSize, metadataSize: lbaf.ms });
      }
      return {
        cap: capRaw,
        vs: host.read32(reg.RegisterOffset.VS),
        identify: id,
        namespaces,
        adminQueueDepth: entries,
        ioQueues: [{ qid: 1, depth, polled: true, vector: 0 }],
        pageSize: PAGE,
        maxTransferBytes: this.#maxTransfer,
        shadowDoorbells: false,
        sglSupported: false,
      };
    } finally {
      host.free(page);
    }
  }

  #identify(page: number, cns: number, nsid: number): Uint8Array {
    this.#adminSync(admin.Identify.encode({ opcode: AdminOpcode.IDENTIFY, nsid, prp1: page, cns }));
    const data = new Uint8Array(IDENTIFY_DATA_SIZE);
    this.#host.memRead(page, data);
    return data;
  }

  /** Sends one admin command and polls for it; a DriverError when it fails or times out. */
  #adminSync(sqe: Uint8Array): void {
    const q = this.#admin!, what = `admin opcode 0x${sqe[0].toString(16)}`;
    if (q.free.length === 0) throw new DriverError(`${what}: the admin queue is full`);
    let status = -1;
    this.#queue(q, sqe, (c) => (status = c.status), this.#timeoutNs);
    const answered = this.#pollUntil(() => {
      this.#reap(q);
      return status >= 0 || (this.#readCsts() & CSTS_CFS) !== 0;
    }, this.#timeoutNs);
    if (!answered || status < 0) throw new DriverError(`${what}: no completion`);
    if (status !== 0) throw new DriverError(`${what} failed with status 0x${status.toString(16)}`);
  }

  /** Waits (bounded by CAP.TO) until `CSTS & mask === want`; CFS ends a wait for RDY = 1. */
  #waitCsts(mask: number, want: number, what: string): void {
    const ok = this.#pollUntil(() => {
      const csts = this.#readCsts();
      if (want && csts & CSTS_CFS) throw new DriverError("controller fatal status (CSTS.CFS)");
      return (csts & mask) === want;
    }, this.#readyTimeout);
    if (!ok) throw new DriverError(`timed out waiting for ${what}`);
  }

  #readCsts(): number {
    const csts = this.#host.read32(reg.RegisterOffset.CSTS);
    if (csts === ALL_ONES) throw new DriverError("device gone (CSTS reads all ones)");
    return csts;
  }

  /** Sleeps in doubling steps (1 µs up to 1 ms) until `ready()` or `timeoutNs` has passed. */
  #pollUntil(ready: () => boolean, timeoutNs: number): boolean {
    const deadline = this.#host.now() + timeoutNs;
    for (let step = 1_000; !ready(); step = Math.min(2 * step, 1_000_000)) {
      const now = this.#host.now();
      if (now >= deadline) return false;
      this.#host.sleep(Math.min(step, deadline - now));
    }
    return true;
  }

  // ---------------------------------------------------------------- submission (§4.1.1)

  /** Builds the SQE and queues it; false when all slots are busy. */
  submit(cmd: DriverCommand, done: CompletionCallback): boolean {
    const q = cmd.admin ? this.#admin : this.#io;
    if (!q) { // not brought up, or a reset failed: the controller is dead to us
      this.#ended.push({ done, kind: "dead", cid: -1 });
      return true;
    }
    if (q.free.length === 0) return false;
    this.#sqe.fill(0);
    SubmissionQueueEntry.encode({
      opcode: cmd.opcode,
      nsid: cmd.nsid ?? 0,
      cdw2: cmd.cdw2 ?? 0,
      cdw3: cmd.cdw3 ?? 0,
      mptr: cmd.metadata ?? 0,
      cdw10: cmd.cdw10 ?? 0,
      cdw11: cmd.cdw11 ?? 0,
      cdw12: cmd.cdw12 ?? 0,
      cdw13: cmd.cdw13 ?? 0,
      cdw14: cmd.cdw14 ?? 0,
      cdw15: cmd.cdw15 ?? 0,
    }, this.#sqe);
    const slot = q.free[q.free.length - 1]; // the slot #queue will take
    if (!this.#buildPrps(cmd.data ?? [], q.lists + slot * PAGE)) {
      this.#ended.push({ done, kind: "bad-buffer", cid: -1 });
      return true;
    }
    this.#queue(q, this.#sqe, done, cmd.timeoutNs ?? this.#timeoutNs);
    return true;
  }

  /**
   * PRPs (§4.3.1): PRP1 is the first byte (any dword-aligned offset); every further entry is a
   * whole 4 KiB page. Two entries: PRP2 is the second page. More: PRP2 points to this slot's list
   * page. So segments after the first must start on a page boundary and segments before the last
   * must end on one; anything else is a "bad-buffer" host error.
   */
  #buildPrps(data: readonly DataSegment[], listPage: number): boolean {
    const total = dataLength(data);
    if (total === 0) return true;
    if (!(total <= this.#maxTransfer)) return false;
    const used = data.filter((s) => s.length > 0);
    let n = 0, second = 0; // entries so far; entry 0 is PRP1, entries 1.. go to the list
    for (let i = 0; i < used.length; i++) {
      const { addr, length } = used[i];
      if (!Number.isSafeInteger(addr) || addr % 4 !== 0 || (i > 0 && addr % PAGE !== 0)) {
        return false;
      }
      if (i < used.length - 1 && (addr + length) % PAGE !== 0) return false;
      for (let a = addr; a < addr + length; a = a - (a % PAGE) + PAGE, n++) {
        if (n === 0) setU64(this.#sqeView, SQE_PRP1, a);
        else setU64(this.#listView, 8 * (n - 1), a);
        if (n === 1) second = a;
      }
    }
    if (n === 2) setU64(this.#sqeView, SQE_PRP2, second); // the second page itself
    if (n > 2) {
      this.#host.memWrite(listPage, this.#list, 0, 8 * (n - 1));
      setU64(this.#sqeView, SQE_PRP2, listPage);
    }
    return true;
  }

  /** Copies the SQE into the tail slot with its CID, advances the tail, rings the doorbell. */
  #queue(q: QueuePair, sqe: Uint8Array, done: CompletionCallback, timeoutNs: number): void {
    const slot = q.free.pop()!;
    sqe[SQE_CID] = slot & 0xff; // little endian, CDW0 bits 31:16
    sqe[SQE_CID + 1] = slot >>> 8;
    q.done[slot] = done;
    q.started[slot] = this.#host.now();
    q.timeout[slot] = timeoutNs;
    this.#host.memWrite(q.sq + q.sqTail * SQE_SIZE, sqe);
    q.sqTail = (q.sqTail + 1) % q.depth;
    this.#host.write32(q.sqDoorbell, q.sqTail);
  }

  /** Nothing to do: every submit rings its doorbell at once. */
  flush(): void {}

  // ---------------------------------------------------------------- completion (§4.2.1)

  /** Host-ended commands, then the admin CQ, then the I/O CQ. Returns callbacks run. */
  processCompletions(): number {
    let n = 0;
    for (const e of this.#ended.splice(0)) n += this.#hostComplete(e);
    if (this.#admin) n += this.#reap(this.#admin);
    if (this.#io) n += this.#reap(this.#io);
    return n;
  }

  /** Consumes every CQE whose phase tag is current, then writes the CQ head doorbell once. */
  #reap(q: QueuePair): number {
    const host = this.#host, c = this.#c;
    let consumed = 0, completed = 0;
    for (;;) {
      const at = q.cq + q.cqHead * CQE_SIZE;
      const dw3 = host.memReadU32(at + CQE_DW3); // CID (bits 15:0), status field (31:16)
      const status = dw3 >>> 16;
      if ((status & 1) !== q.phase) break; // the phase tag says whether the entry is new
      const dw2 = host.memReadU32(at + CQE_DW2); // SQ head (15:0), SQ identifier (31:16)
      q.cqHead = (q.cqHead + 1) % q.depth;
      if (q.cqHead === 0) q.phase ^= 1;
      consumed++;
      const cid = dw3 & 0xffff;
      const done = cid < q.done.length ? q.done[cid] : null;
      if (!done) continue; // unknown or stale CID: a device bug; drop it, never crash
      q.done[cid] = null;
      q.free.push(cid);
      const st = unpackStatus(status); // SC, SCT, CRD, More, DNR (§4.2.3)
      c.status = st.sct << 8 | st.sc;
      c.crd = st.crd;
      c.more = st.m === 1;
      c.dnr = st.dnr === 1;
      c.dw0 = host.memReadU32(at); // DW0 is at offset 0
      c.dw1 = host.memReadU32(at + CQE_DW1);
      c.sqhd = dw2 & 0xffff;
      c.sqid = dw2 >>> 16;
      c.cid = cid;
      c.hostError = null;
      completed++;
      done(c);
      if (this.#admin !== q && this.#io !== q) return completed; // the callback reset us
    }
    if (consumed > 0) host.write32(q.cqDoorbell, q.cqHead);
    return completed;
  }

  #hostComplete(e: Ended): number {
    const c = this.#c;
    c.status = hostErrorStatus(e.kind);
    c.dnr = e.kind !== "aborted";
    c.more = false;
    c.crd = c.dw0 = c.dw1 = 0;
    c.sqid = c.sqhd = -1;
    c.cid = e.cid;
    c.hostError = e.kind;
    e.done(c);
    return 1;
  }

  /** Polls until something completes or `timeoutNs` passes; a timed-out command resets. */
  wait(timeoutNs: number): number {
    const deadline = this.#host.now() + timeoutNs;
    for (let step = 100;;) {
      const n = this.processCompletions();
      if (n > 0) return n;
      const now = this.#host.now();
      if (this.#timedOut(now)) {
        const ended = this.inFlight;
        try {
          this.reset();
        } catch (e) {
          if (!(e instanceof DriverError)) throw e; // reset failed: later submits end "dead"
        }
        return ended;
      }
      if (now >= deadline) return 0;
      if (this.inFlight === 0) step = deadline - now; // nothing to wait for: let the time pass
      this.#host.sleep(Math.min(step, deadline - now));
      step = Math.min(step * 2, 100_000);
    }
  }

  #timedOut(now: number): boolean {
    for (const q of [this.#admin, this.#io]) {
      for (let i = 0; q && i < q.done.length; i++) {
        if (q.done[i] && now - q.started[i] > q.timeout[i]) return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- reset and shutdown

  /** Controller reset: bring-up starts by disabling the controller, which ends every command. */
  reset(): ControllerInfo {
    return this.bringUp();
  }

  /** CC.EN = 0 (the controller stops all DMA once RDY is 0), then frees the queues. */
  #teardown(): Ended[] {
    if (!this.#admin) return [];
    const cc = this.#host.read32(reg.RegisterOffset.CC);
    if (cc !== ALL_ONES) {
      this.#host.write32(reg.RegisterOffset.CC, cc & ~CC_EN);
      try {
        this.#waitCsts(CSTS_RDY, 0, "CSTS.RDY = 0");
      } catch { /* a dead controller: bring-up will say so */ }
    }
    return this.#release();
  }

  #release(): Ended[] {
    const now = this.#host.now();
    const ended = [...(this.#admin?.release(now) ?? []), ...(this.#io?.release(now) ?? [])];
    this.#admin = this.#io = null;
    this.info = null;
    return ended;
  }

  /**
   * Delete the I/O SQ (§5.2.4), then its CQ (§5.2.3), then a normal shutdown: CC.SHN = 01b
   * (§3.6.1).
   */
  shutdown(): void {
    if (this.#admin && this.#io) {
      try {
        this.#adminSync(admin.DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, qid: 1 }));
        this.#adminSync(admin.DeleteIoCq.encode({ opcode: AdminOpcode.DELETE_IO_CQ, qid: 1 }));
      } catch { /* the controller is not answering: shut it down anyway */ }
    }
    const cc = this.#admin ? this.#host.read32(reg.RegisterOffset.CC) : ALL_ONES;
    if (cc !== ALL_ONES) {
      this.#host.write32(reg.RegisterOffset.CC, cc | CC_SHN_NORMAL);
      try { // CAP.TO as the bound (RTD3E, when reported, is the controller's own estimate)
        this.#pollUntil(
          () => (this.#readCsts() & CSTS_SHST_MASK) === CSTS_SHST_COMPLETE,
          this.#readyTimeout,
        );
      } catch { /* device gone */ }
    }
    for (const e of [...this.#release(), ...this.#ended.splice(0)]) this.#hostComplete(e);
  }
}

/** The factory the harness loads: `createDriver(host, options)`. */
export const createDriver: DriverFactory = (
  host: HostPort,
  options?: Readonly<Record<string, unknown>>,
): DriverModel => new MinimalDriver(host, options);
