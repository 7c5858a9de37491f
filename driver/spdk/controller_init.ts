/**
 * The SPDK-like controller init ({@linkcode initController}), in SPDK's state order
 * (`nvme_ctrlr_process_init`): the register steps of bring_up.ts, then Identify Controller → Set
 * Features Number of Queues → Identify active namespace list → Identify Namespace for each →
 * Doorbell Buffer Config (when OACS bit 8, **before any I/O queue exists**; a refusal only warns)
 * — and then the I/O qpairs, Create I/O CQ then Create I/O SQ for each (SPDK chains them
 * asynchronously; one after the other here), with PC = 1 and IEN = 0: the driver polls.
 *
 * Each admin step runs through an {@linkcode AdminExec}, which waits for the command (bounded by
 * the admin timeout, watching CSTS) and throws a {@linkcode DriverError} when no completion
 * comes. All admin commands use PRPs.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import {
  Cns,
  CreateIoCq,
  CreateIoSq,
  DeleteIoCq,
  DeleteIoSq,
  DoorbellBufferConfig,
  Identify,
  SetFeatures,
} from "../../spec/admin_commands.ts";
import { FeatureId, NumberOfQueues } from "../../spec/features.ts";
import {
  bitRange,
  IDENTIFY_DATA_SIZE,
  IdentifyController,
  Oacs,
  Sgls,
  SglSupport,
  testBit,
} from "../../spec/identify_controller.ts";
import { formatIndex, IdentifyNamespace, lbaDataBytes } from "../../spec/identify_namespace.ts";
import { NamespaceList, NS_LIST_ENTRIES, nsidsOf } from "../../spec/ns_list.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { statusName } from "../../spec/status.ts";
import { decodeValue, encodeValue } from "../../spec/struct.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import {
  type Capabilities,
  CstsBits,
  disableController,
  enableController,
  enablePciFunction,
  pollUntil,
  readCapabilities,
  readCsts,
  setAdminQueue,
  waitReady,
} from "./bring_up.ts";
import { type ControllerInfo, DriverError, type NamespaceInfo } from "../model.ts";
import type { SpdkDriverOptions } from "./options.ts";
import { MAX_PRP_LIST_ENTRIES } from "./prp_sgl.ts";
import { QueuePair } from "./qpair.ts";
import { DoorbellBuffers } from "./shadow_doorbell.ts";

/** What an admin command returned. */
export interface AdminResult {
  /** `SCT << 8 | SC`. */
  readonly status: number;
  /** Command specific DW0. */
  readonly dw0: number;
}

/** Runs one admin command to completion; throws a DriverError when none comes. */
export type AdminExec = (sqe: Uint8Array, what: string) => AdminResult;

/** CDW11.PC: the queue is physically contiguous. */
const PHYSICALLY_CONTIGUOUS = 1;
/** How often an admin wait reads CSTS (SPDK's admin poller period: 10 ms). */
export const HEALTH_CHECK_NS = 10_000_000;
/** Largest sleep step while waiting for an admin command. */
const ADMIN_MAX_SLEEP_NS = 100_000;

/** What the driver holds while up; init fills it as it allocates, so a failure can free it. */
export interface DriverResources {
  /** The admin qpair. */
  admin: QueuePair | null;
  /** The I/O qpairs, qid 1.. in order. */
  io: QueuePair[];
  /** Shadow doorbell buffers, when Doorbell Buffer Config succeeded. */
  dbbuf: DoorbellBuffers | null;
  /** One memory page for Identify data (0 = none). */
  scratch: number;
}

/** What a successful init returns. */
export interface InitResult {
  /** CAP as read. */
  readonly cap: Capabilities;
  /** What the driver reports as {@linkcode ControllerInfo}. */
  readonly info: ControllerInfo;
}

/**
 * Runs one admin command on `admin` to completion: polls (then sleeps in growing steps) for up
 * to `timeoutNs`, reading CSTS every 10 ms; a DriverError on CFS, all ones, or no completion.
 */
export function makeAdminExec(host: HostPort, admin: QueuePair, timeoutNs: number): AdminExec {
  return (sqe, what) => {
    if (!admin.canSubmit()) throw new DriverError(`${what}: the admin queue is full`);
    let done = false, status = 0, dw0 = 0, nextCsts = host.now() + HEALTH_CHECK_NS;
    const record = (c: { status: number; dw0: number }) => {
      done = true;
      status = c.status;
      dw0 = c.dw0;
    };
    admin.submitRaw(sqe, record, host.now(), timeoutNs);
    const ok = pollUntil(
      host,
      () => {
        admin.process(0);
        if (!done && host.now() >= nextCsts) {
          nextCsts = host.now() + HEALTH_CHECK_NS;
          if (readCsts(host) & CstsBits.CFS) throw new DriverError(`${what}: controller set CFS`);
        }
        return done;
      },
      timeoutNs,
      ADMIN_MAX_SLEEP_NS,
    );
    if (!ok) throw new DriverError(`${what}: no completion within ${timeoutNs / 1e6} ms`);
    return { status, dw0 };
  };
}

/**
 * The whole bring-up: PCI command bits, CAP, disable, admin queue, one CC write, RDY, then the
 * admin steps and the I/O qpairs. Allocations go into `res` as they are made (the caller frees
 * them if this throws); `warn` receives non-fatal problems.
 */
export function initController(
  host: HostPort,
  o: SpdkDriverOptions,
  res: DriverResources,
  warn: (message: string) => void,
): InitResult {
  enablePciFunction(host);
  const cap = readCapabilities(host);
  const vs = host.read32(RegisterOffset.VS);
  disableController(host, cap);
  const mqes = cap.fields.mqes + 1, pageSize = cap.pageSize, dstrd = cap.fields.dstrd;
  const maxCompletions = o.maxCompletions;
  const admin = res.admin = new QueuePair(host, {
    qid: 0,
    entries: Math.min(o.adminQueueSize, mqes),
    dstrd,
    pageSize,
    maxCompletions,
    sgl: "none", // "PRPs shall be used for all Admin commands" (Base 2.1 §4.1.1, Figure 91 PSDT)
    delayCmdSubmit: false,
  });
  setAdminQueue(host, admin.sqAddr, admin.cqAddr, admin.entries);
  enableController(host, cap);
  waitReady(host, cap);
  const exec = makeAdminExec(host, admin, o.adminTimeoutNs);
  res.scratch = host.allocate(pageSize, pageSize);
  const identify = identifyController(exec, host, res.scratch);
  const granted = setNumberOfQueues(exec, o.ioQueues);
  const namespaces = identifyNamespaces(exec, host, res.scratch);
  if (o.shadowDoorbells && testBit(identify.oacs, Oacs.DBBUF)) {
    const bufs = new DoorbellBuffers(host, pageSize, dstrd);
    const r = configureDoorbellBuffers(exec, bufs);
    if (r.status === 0) res.dbbuf = bufs;
    else {
      bufs.free();
      warn(`Doorbell Buffer Config failed (${statusName(r.status)}): plain MMIO doorbells`);
    }
  }
  const support = bitRange(identify.sgls, Sgls.SUPPORT);
  const sgl = !o.sgl || support === SglSupport.NONE
    ? "none"
    : support === SglSupport.DWORD_ALIGNED
    ? "dword"
    : "byte";
  const entries = Math.min(o.ioQueueSize, mqes);
  const delayCmdSubmit = o.delayCmdSubmit;
  let shadow = false;
  for (let qid = 1; qid <= Math.min(o.ioQueues, granted); qid++) {
    const qp = new QueuePair(host, {
      qid,
      entries,
      dstrd,
      pageSize,
      maxCompletions,
      sgl,
      delayCmdSubmit,
    });
    res.io.push(qp);
    createIoQueuePair(exec, qp);
    // SPDK marks the qpair shadowed in the Create SQ callback, for the queues the page covers.
    qp.sqShadow = res.dbbuf?.doorbell(qid, false) ?? null;
    qp.cqShadow = res.dbbuf?.doorbell(qid, true) ?? null;
    shadow ||= qp.sqShadow !== null;
  }
  const mdtsBytes = identify.mdts === 0 ? Infinity : 2 ** identify.mdts * pageSize;
  const info: ControllerInfo = Object.freeze({
    cap: cap.raw,
    vs,
    identify,
    namespaces,
    adminQueueDepth: admin.entries,
    ioQueues: res.io.map((q) => ({ qid: q.qid, depth: q.entries, polled: true, vector: 0 })),
    pageSize,
    maxTransferBytes: Math.min(MAX_PRP_LIST_ENTRIES * pageSize, mdtsBytes),
    shadowDoorbells: shadow,
    sglSupported: sgl !== "none",
  });
  return { cap, info };
}

function check(r: AdminResult, what: string): void {
  if (r.status !== 0) {
    throw new DriverError(`${what} failed: ${statusName(r.status)} (0x${r.status.toString(16)})`);
  }
}

/** Identify Controller (CNS 01h) into `buf` (one memory page). */
export function identifyController(
  exec: AdminExec,
  host: HostPort,
  buf: number,
): IdentifyControllerValue {
  const sqe = Identify.encode({ opcode: AdminOpcode.IDENTIFY, prp1: buf, cns: Cns.CONTROLLER });
  check(exec(sqe, "Identify Controller"), "Identify Controller");
  const data = new Uint8Array(IDENTIFY_DATA_SIZE);
  host.memRead(buf, data);
  return IdentifyController.decode(data);
}

/** Set Features Number of Queues asking for `n` SQs and CQs; returns how many pairs were granted. */
export function setNumberOfQueues(exec: AdminExec, n: number): number {
  const cdw11 = Number(encodeValue(NumberOfQueues, { nsqr: n - 1, ncqr: n - 1 }));
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    fid: FeatureId.NUMBER_OF_QUEUES,
    cdw11,
  });
  const r = exec(sqe, "Set Features (Number of Queues)");
  check(r, "Set Features (Number of Queues)");
  const granted = decodeValue(NumberOfQueues, r.dw0);
  return Math.min(granted.nsqr, granted.ncqr) + 1;
}

/** Active namespaces: the active NSID list (CNS 02h, continued past 1024), then CNS 00h each. */
export function identifyNamespaces(
  exec: AdminExec,
  host: HostPort,
  buf: number,
): NamespaceInfo[] {
  const data = new Uint8Array(IDENTIFY_DATA_SIZE);
  const nsids: number[] = [];
  for (let start = 0;;) {
    const sqe = Identify.encode({
      opcode: AdminOpcode.IDENTIFY,
      nsid: start,
      prp1: buf,
      cns: Cns.ACTIVE_NS_LIST,
    });
    check(exec(sqe, "Identify active NS list"), "Identify active NS list");
    host.memRead(buf, data);
    const page = nsidsOf(NamespaceList.decode(data).ns);
    // A list must increase; a hostile one that does not would loop forever.
    const fresh = page.filter((id) => id > start);
    nsids.push(...fresh);
    if (page.length < NS_LIST_ENTRIES || fresh.length === 0) break;
    start = fresh[fresh.length - 1];
  }
  const out: NamespaceInfo[] = [];
  for (const nsid of nsids) {
    const sqe = Identify.encode({
      opcode: AdminOpcode.IDENTIFY,
      nsid,
      prp1: buf,
      cns: Cns.NAMESPACE,
    });
    check(exec(sqe, `Identify Namespace ${nsid}`), `Identify Namespace ${nsid}`);
    host.memRead(buf, data);
    const id = IdentifyNamespace.decode(data);
    const lbaf = id.lbaf[formatIndex(id.flbas)];
    const blockSize = lbaf ? lbaDataBytes(lbaf.ds) : 0;
    if (blockSize === 0 || id.nsze === 0n) continue; // unusable format: not exposed
    out.push({
      nsid,
      blocks: Number(id.nsze),
      capacity: Number(id.ncap),
      blockSize,
      metadataSize: lbaf.ms,
    });
  }
  return out;
}

/** Doorbell Buffer Config (PRP1 = shadow, PRP2 = EventIdx); false (a warning) when refused. */
export function configureDoorbellBuffers(exec: AdminExec, bufs: DoorbellBuffers): AdminResult {
  const sqe = DoorbellBufferConfig.encode({
    opcode: AdminOpcode.DOORBELL_BUFFER_CONFIG,
    prp1: bufs.shadow,
    prp2: bufs.eventIdx,
  });
  return exec(sqe, "Doorbell Buffer Config");
}

/** Create I/O CQ (PC = 1, IEN = 0) then Create I/O SQ on it; a failed SQ deletes the CQ. */
export function createIoQueuePair(exec: AdminExec, qp: QueuePair): void {
  const qsize = qp.entries - 1;
  const cq = CreateIoCq.encode({
    opcode: AdminOpcode.CREATE_IO_CQ,
    prp1: qp.cqAddr,
    qid: qp.qid,
    qsize,
    pc: PHYSICALLY_CONTIGUOUS,
    ien: 0,
    iv: 0,
  });
  check(exec(cq, `Create I/O CQ ${qp.qid}`), `Create I/O CQ ${qp.qid}`);
  const sq = CreateIoSq.encode({
    opcode: AdminOpcode.CREATE_IO_SQ,
    prp1: qp.sqAddr,
    qid: qp.qid,
    qsize,
    pc: PHYSICALLY_CONTIGUOUS,
    qprio: 0,
    cqid: qp.qid,
  });
  const r = exec(sq, `Create I/O SQ ${qp.qid}`);
  if (r.status !== 0) {
    exec(DeleteIoCq.encode({ opcode: AdminOpcode.DELETE_IO_CQ, qid: qp.qid }), "Delete I/O CQ");
    check(r, `Create I/O SQ ${qp.qid}`);
  }
}

/** Delete I/O SQ then Delete I/O CQ of one qpair; returns the first failing status (0 = both ok). */
export function deleteIoQueuePair(exec: AdminExec, qid: number): number {
  const sq = exec(DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, qid }), "Delete I/O SQ");
  const cq = exec(DeleteIoCq.encode({ opcode: AdminOpcode.DELETE_IO_CQ, qid }), "Delete I/O CQ");
  return sq.status || cq.status;
}
