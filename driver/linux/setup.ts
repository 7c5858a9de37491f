/**
 * Bring-up of the Linux-like driver, in Linux's order (`nvme_pci_enable` →
 * `nvme_pci_configure_admin_queue` → `nvme_init_ctrl_finish` → `nvme_setup_io_queues` →
 * `nvme_dbbuf_set` → `nvme_start_ctrl`):
 *
 * 1. PCI: memory space + bus master; CSTS all ones means the device is gone.
 * 2. Disable first (EN=0, wait RDY=0); AQA, then ASQ and ACQ written low dword then high.
 * 3. CC without EN (IOSQES=6, IOCQES=4, MPS=0 for 4 KiB, CSS from CAP.CSS), CAP re-read, then CC
 *    with EN; RDY awaited for ⌈max(CAP.TO, CRTO.CRWMT)/2⌉ s, polling every 1 ms (Base 2.1 §3.5.1).
 * 4. Identify Controller; Set Features Number of Queues and use what was granted; interrupt
 *    vectors; I/O queues created CQ first then SQ in ascending QID (polled queues last, IEN=0);
 *    fewer queues on failure.
 * 5. Doorbell Buffer Config (OACS bit 8) after the I/O queues exist, for I/O queues only.
 * 6. Asynchronous Event Configuration and one AER; Identify of the active namespaces.
 *
 * @module
 */

import { PciCommand, PciConfigOffset } from "../../platform/pci_config.ts";
import { INTX_VECTOR } from "../../platform/ports.ts";
import { FeatureId } from "../../spec/features.ts";
import { Oacs, testBit } from "../../spec/identify_controller.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import {
  CAP,
  CommandSetSelected,
  CstsBit,
  decodeRegister,
  RegisterOffset,
  timeoutUnitsToNs,
} from "../../spec/registers.ts";
import type { CAPValue, IdentifyControllerValue } from "../../spec/value_types.ts";
import { type ControllerInfo, DriverError, type IoQueueInfo } from "../model.ts";
import { ADMIN_QUEUE_DEPTH, ADMIN_TAGS, adminCommand as admin, type LinuxCore } from "./core.ts";
import { CTRL_PAGE_SIZE } from "./data_mapping.ts";
import { ShadowDoorbellBuffers } from "./dbbuf.ts";
import { identifyController, scanNamespaces } from "./identify.ts";
import { NvmeQueue } from "./queue.ts";

/** CSTS read when the device has gone away (surprise removal). */
export const CSTS_DEVICE_GONE = 0xffff_ffff;
/** `NVME_MAX_BYTES`: largest transfer the driver issues. */
export const MAX_TRANSFER_BYTES = 8 * 1024 * 1024;
/** `nvme_wait_ready` polls CSTS every 1–2 ms. */
const READY_POLL_NS = 1_000_000;
/** OAES notices Linux enables (NS attribute, firmware activation, ANA change, discovery). */
const OAES_NOTICES = (1 << 8) | (1 << 9) | (1 << 11) | 2 ** 31;
/** CSTS bits (Base 2.1 §3.1.4.6). */
const { RDY: CSTS_RDY, CFS: CSTS_CFS, NSSRO: CSTS_NSSRO } = CstsBit;
const CSTS_SHST_SHIFT = 2;
/** CC field shifts (Base 2.1 §3.1.4.5). */
const CC_CSS_SHIFT = 4;
const CC_SHN_SHIFT = 14;
const CC_IOSQES_SHIFT = 16;
const CC_IOCQES_SHIFT = 20;
/** CAP.CSS bit 6: one or more I/O command sets (Base 2.1 §3.1.4.1). */
const CAP_CSS_IOCS = 1 << 6;
const QUEUE_CONTIGUOUS = 1;
const CQ_IRQ_ENABLED = 2;
/** CAP last decoded, and its decode (frozen: shared by every driver that reads the same CAP). */
let lastCapRaw = -1n;
let lastCap: Readonly<CAPValue> | null = null;

/** CAP decoded (Base 2.1 §3.1.4.1); an unchanged value reuses the last decode. */
function decodeCap(raw: bigint): Readonly<CAPValue> {
  if (lastCap === null || raw !== lastCapRaw) {
    lastCap = Object.freeze(decodeRegister(CAP, raw));
    lastCapRaw = raw;
  }
  return lastCap;
}

/** `nvme_wait_ready`: polls CSTS until `(csts & mask) === value`. Throws DriverError. */
export function waitReady(
  core: LinuxCore,
  mask: number,
  value: number,
  timeoutNs: number,
  op: string,
): void {
  const host = core.host;
  const deadline = host.now() + timeoutNs;
  for (;;) {
    const csts = host.read32(RegisterOffset.CSTS);
    if (csts === CSTS_DEVICE_GONE) {
      throw new DriverError(`device not present (CSTS reads all ones) during ${op}`);
    }
    if ((csts & mask) === value) return;
    if (host.now() >= deadline) {
      throw new DriverError(
        `Device not ready; aborting ${op}, CSTS=0x${csts.toString(16)} after ` +
          `${timeoutNs / 1e9} s (CAP.TO/CRTO)`,
      );
    }
    host.sleep(READY_POLL_NS);
  }
}

/** The ready timeout Linux uses: ⌈units/2⌉ seconds, from CAP.TO or CRTO.CRWMT when larger. */
export function readyTimeoutNs(core: LinuxCore, cap: CAPValue): number {
  let units = cap.to;
  if (cap.crwms) {
    const crwmt = core.host.read32(RegisterOffset.CRTO) & 0xffff;
    if (crwmt >= units) units = crwmt;
    else core.warn("bad crto: CRWMT below CAP.TO, using CAP.TO");
  }
  return Math.floor((units + 1) / 2) * 1e9;
}

/** `nvme_disable_ctrl(ctrl, false)`: clear EN (keeping the other fields), wait RDY=0. */
export function disableController(core: LinuxCore, cap: CAPValue): void {
  const host = core.host;
  const cc = host.read32(RegisterOffset.CC);
  host.write32(RegisterOffset.CC, cc & ~(1 | (3 << CC_SHN_SHIFT)));
  waitReady(core, CSTS_RDY, 0, Math.max(timeoutUnitsToNs(cap.to), READY_POLL_NS), "reset");
}

/** `nvme_disable_ctrl(ctrl, true)`: SHN=normal with EN kept, wait SHST=complete. */
export function shutdownController(core: LinuxCore, timeoutNs: number): void {
  const host = core.host;
  const cc = host.read32(RegisterOffset.CC);
  host.write32(RegisterOffset.CC, (cc & ~(3 << CC_SHN_SHIFT)) | (1 << CC_SHN_SHIFT));
  waitReady(core, 3 << CSTS_SHST_SHIFT, 2 << CSTS_SHST_SHIFT, timeoutNs, "shutdown");
}

/** True when the controller cannot take admin commands (`nvme_pci_ctrl_is_dead`). */
export function controllerIsDead(core: LinuxCore): boolean {
  const csts = core.host.read32(RegisterOffset.CSTS);
  return csts === CSTS_DEVICE_GONE || (csts & CSTS_CFS) !== 0 || (csts & CSTS_RDY) === 0;
}

function pciEnable(core: LinuxCore): number {
  const host = core.host;
  const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
  host.configWrite(
    PciConfigOffset.COMMAND,
    2,
    cmd | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER,
  );
  if (host.read32(RegisterOffset.CSTS) === CSTS_DEVICE_GONE) {
    throw new DriverError("device not present: CSTS reads all ones");
  }
  return core.options.interrupts === "msix" ? host.setupInterrupts("msix") : 0;
}

function configureAdminQueue(core: LinuxCore, cap: CAPValue): void {
  const host = core.host;
  const vs = host.read32(RegisterOffset.VS);
  if (vs >= 0x10100 && cap.nssrs) {
    const csts = host.read32(RegisterOffset.CSTS);
    if (csts & CSTS_NSSRO) host.write32(RegisterOffset.CSTS, CSTS_NSSRO);
  }
  disableController(core, cap);
  if (!core.admin) {
    core.admin = new NvmeQueue(host, 0, ADMIN_QUEUE_DEPTH, cap.dstrd, ADMIN_TAGS, 0, false);
  }
  core.admin.init();
  const aqa = ((ADMIN_QUEUE_DEPTH - 1) << 16) | (ADMIN_QUEUE_DEPTH - 1);
  host.write32(RegisterOffset.AQA, aqa);
  host.write64(RegisterOffset.ASQ, core.admin.sq);
  host.write64(RegisterOffset.ACQ, core.admin.cq);
}

function enableController(core: LinuxCore, cap: CAPValue): void {
  const host = core.host;
  if (cap.mpsmin > 0) {
    throw new DriverError(
      `Minimum device page size ${4096 << cap.mpsmin} too large for host (4096)`,
    );
  }
  const css = (cap.css & CAP_CSS_IOCS) ? CommandSetSelected.ALL_IO : CommandSetSelected.NVM;
  const config = (css << CC_CSS_SHIFT) | (6 << CC_IOSQES_SHIFT) | (4 << CC_IOCQES_SHIFT);
  host.write32(RegisterOffset.CC, config);
  // "CAP value may change after initial CC write".
  const cap2 = decodeCap(host.read64(RegisterOffset.CAP));
  const timeout = readyTimeoutNs(core, cap2);
  host.write32(RegisterOffset.CC, config | 1);
  waitReady(core, CSTS_RDY, CSTS_RDY, timeout, "initialisation");
}

interface QueuePlan {
  readonly maxQid: number;
  readonly rwQueues: number;
  readonly numVecs: number;
}

function planQueues(core: LinuxCore, n: number, msixVectors: number): QueuePlan {
  const poll = Math.min(core.options.pollQueues, Math.max(0, n - 1));
  const irqQueues = n - poll;
  const numVecs = msixVectors > 0 ? Math.min(msixVectors, 1 + irqQueues) : 1;
  const maxQid = Math.min(Math.max(numVecs - 1, 1) + poll, n);
  return { maxQid, rwQueues: poll === 0 ? maxQid : maxQid - poll, numVecs };
}

function createQueue(core: LinuxCore, q: NvmeQueue): boolean {
  const depth0 = q.depth - 1;
  const cq = admin(core, `Create I/O CQ ${q.qid}`, {
    admin: true,
    opcode: AdminOpcode.CREATE_IO_CQ,
    cdw10: ((depth0 << 16) | q.qid) >>> 0,
    cdw11:
      ((q.polled ? 0 : q.vector) << 16 | QUEUE_CONTIGUOUS | (q.polled ? 0 : CQ_IRQ_ENABLED)) >>>
      0,
  }, q.cq);
  if (cq.status !== 0) return false;
  const sq = admin(core, `Create I/O SQ ${q.qid}`, {
    admin: true,
    opcode: AdminOpcode.CREATE_IO_SQ,
    cdw10: ((depth0 << 16) | q.qid) >>> 0,
    cdw11: ((q.qid << 16) | QUEUE_CONTIGUOUS) >>> 0,
  }, q.sq);
  if (sq.status !== 0) {
    admin(core, `Delete I/O CQ ${q.qid}`, {
      admin: true,
      opcode: AdminOpcode.DELETE_IO_CQ,
      cdw10: q.qid,
    });
    return false;
  }
  q.init();
  if (q.qid > 0 && core.dbbuf?.covers(q.qid)) {
    const b = core.dbbuf;
    q.dbbufSqDb = b.dbs + b.slot(q.qid, false);
    q.dbbufSqEi = b.eis + b.slot(q.qid, false);
    q.dbbufCqDb = b.dbs + b.slot(q.qid, true);
    q.dbbufCqEi = b.eis + b.slot(q.qid, true);
  }
  return true;
}

/** Deletes every I/O queue: all SQs first, then all CQs (`nvme_delete_io_queues`). */
export function deleteIoQueues(core: LinuxCore): void {
  for (const op of [AdminOpcode.DELETE_IO_SQ, AdminOpcode.DELETE_IO_CQ]) {
    let pending = 0;
    for (let i = core.io.length - 1; i >= 0; i--) {
      const cmd = { admin: true, opcode: op, cdw10: core.io[i].qid };
      const deadline = core.host.now() + core.options.adminTimeoutNs;
      while (!core.submitOn(core.admin!, cmd, () => pending--)) {
        if (!core.waitUntil(() => core.admin!.hasFreeTag, deadline)) return;
      }
      pending++;
    }
    if (!core.waitUntil(() => pending === 0, core.host.now() + core.options.adminTimeoutNs)) {
      core.warn("queue deletion timed out");
      return;
    }
  }
}

function releaseIoQueues(core: LinuxCore): void {
  for (const q of core.io) q.free();
  core.io = [];
  core.defaultSet = [];
  core.readSet = [];
  core.pollSet = [];
}

function setupIoQueues(core: LinuxCore, cap: CAPValue, msixVectors: number): IoQueueInfo[] {
  const o = core.options;
  const depth = Math.min(cap.mqes + 1, o.ioQueueDepth);
  let n = o.cpus + o.writeQueues + o.pollQueues;
  const c = admin(core, "Set Features Number of Queues", {
    admin: true,
    opcode: AdminOpcode.SET_FEATURES,
    cdw10: FeatureId.NUMBER_OF_QUEUES,
    cdw11: (((n - 1) << 16) | (n - 1)) >>> 0,
  });
  if (c.status !== 0) {
    core.warn(`Could not set queue count (${c.status.toString(16)})`);
    n = 0;
  } else {
    n = Math.min(n, Math.min(c.dw0 & 0xffff, c.dw0 >>> 16) + 1);
  }
  releaseIoQueues(core);
  for (;;) {
    if (n === 0) break;
    const plan = planQueues(core, n, msixVectors);
    let created = 0;
    for (let qid = 1; qid <= plan.maxQid; qid++) {
      const polled = qid > plan.rwQueues;
      const vector = polled ? 0 : (plan.numVecs === 1 ? 0 : qid);
      const q = new NvmeQueue(core.host, qid, depth, cap.dstrd, depth - 1, vector, polled);
      core.io.push(q);
      if (!createQueue(core, q)) {
        core.io.pop();
        q.free();
        break;
      }
      created++;
    }
    if (created === plan.maxQid) {
      assignSets(core, msixVectors > 0);
      break;
    }
    core.warn(`only ${created} of ${plan.maxQid} I/O queues created; retrying with fewer`);
    deleteIoQueues(core);
    releaseIoQueues(core);
    n = created;
  }
  return core.io.map((q) => ({ qid: q.qid, depth: q.depth, polled: q.polled, vector: q.vector }));
}

function assignSets(core: LinuxCore, msix: boolean): void {
  const irq = core.io.filter((q) => !q.polled);
  core.pollSet = core.io.filter((q) => q.polled);
  const w = core.options.writeQueues;
  if (w > 0 && irq.length > 1) {
    const nWrite = Math.min(w, irq.length - 1);
    core.defaultSet = irq.slice(0, nWrite);
    core.readSet = irq.slice(nWrite);
  } else {
    core.defaultSet = irq;
    core.readSet = [];
  }
  core.byVector = new Map();
  core.vectors = [];
  const add = (v: number, q: NvmeQueue) => {
    const key = msix ? v : INTX_VECTOR;
    if (!core.byVector.has(key)) {
      core.byVector.set(key, []);
      core.vectors.push(key);
    }
    core.byVector.get(key)!.push(q);
  };
  add(0, core.admin!);
  for (const q of irq) add(q.vector, q);
}

function dbbufSet(core: LinuxCore): boolean {
  const b = core.dbbuf;
  if (!b || core.io.length === 0) return false;
  const c = admin(
    core,
    "Doorbell Buffer Config",
    {
      admin: true,
      opcode: AdminOpcode.DOORBELL_BUFFER_CONFIG,
    },
    b.dbs,
    b.eis,
  );
  if (c.status === 0) return true;
  core.warn(`unable to set dbbuf (status 0x${c.status.toString(16)})`);
  for (const q of core.io) {
    q.dbbufSqDb =
      q.dbbufSqEi =
      q.dbbufCqDb =
      q.dbbufCqEi =
        0;
  }
  b.free();
  core.dbbuf = null;
  return false;
}

function startController(core: LinuxCore, id: IdentifyControllerValue): void {
  const notices = (id.oaes & OAES_NOTICES) >>> 0;
  if (notices === 0) return;
  admin(core, "Set Features Async Event Configuration", {
    admin: true,
    opcode: AdminOpcode.SET_FEATURES,
    cdw10: FeatureId.ASYNC_EVENT_CONFIG,
    cdw11: notices,
  });
  core.submitAsyncEvent(AdminOpcode.ASYNC_EVENT_REQUEST);
}

/** The whole bring-up; on failure the state is "dead" and a DriverError is thrown. */
export function bringUp(core: LinuxCore): ControllerInfo {
  try {
    core.state = core.state === "resetting" ? "resetting" : "new";
    const msixVectors = pciEnable(core);
    const host = core.host;
    const capRaw = host.read64(RegisterOffset.CAP);
    const cap = decodeCap(capRaw);
    core.dstrd = cap.dstrd;
    core.vectors = [msixVectors > 0 ? 0 : INTX_VECTOR];
    configureAdminQueue(core, cap);
    core.byVector = new Map([[core.vectors[0], [core.admin!]]]);
    enableController(core, cap);
    core.state = "connecting";
    core.maxTransferBytes = MAX_TRANSFER_BYTES; // until MDTS is known
    const id = identifyController(core);
    if (!id) throw new DriverError("Identify Controller failed");
    core.abortLimit = id.acl + 1;
    const pageMin = 4096 << cap.mpsmin;
    core.maxTransferBytes = id.mdts === 0
      ? MAX_TRANSFER_BYTES
      : Math.min(MAX_TRANSFER_BYTES, 2 ** id.mdts * pageMin);
    core.sgl = (id.sgls & 3) !== 0 ? "supported" : "unsupported";
    if (testBit(id.oacs, Oacs.DBBUF) && core.options.shadowDoorbells) {
      const queues = core.options.cpus + core.options.writeQueues + core.options.pollQueues + 1;
      if (core.dbbuf) core.dbbuf.clear();
      else core.dbbuf = new ShadowDoorbellBuffers(host, queues, cap.dstrd);
    }
    const ioQueues = setupIoQueues(core, cap, msixVectors);
    const shadow = dbbufSet(core);
    core.state = "live";
    startController(core, id);
    const namespaces = scanNamespaces(core);
    core.info = {
      cap: capRaw,
      vs: host.read32(RegisterOffset.VS),
      identify: id,
      namespaces,
      adminQueueDepth: ADMIN_QUEUE_DEPTH,
      ioQueues,
      pageSize: CTRL_PAGE_SIZE,
      maxTransferBytes: core.maxTransferBytes,
      shadowDoorbells: shadow,
      sglSupported: core.sgl === "supported",
    };
    return core.info;
  } catch (e) {
    core.state = "dead";
    core.cancelAll("dead");
    if (e instanceof DriverError) {
      core.warn(`Disabling device after reset failure: ${e.message}`);
      throw e;
    }
    throw e;
  }
}

/** Re-exported CSTS bit masks for recovery. */
export const CstsBits = { RDY: CSTS_RDY, CFS: CSTS_CFS, NSSRO: CSTS_NSSRO } as const;
/** A CAP decode helper for recovery. */
export function readCap(core: LinuxCore): CAPValue {
  return decodeCap(core.host.read64(RegisterOffset.CAP));
}
/** Microseconds of RTD3E as a shutdown timeout: clamp(RTD3E, option, 60 s). */
export function shutdownTimeoutNs(core: LinuxCore): number {
  const rtd3e = core.info?.identify.rtd3e ?? 0;
  return Math.min(Math.max(rtd3e * 1000, core.options.shutdownTimeoutNs), 60e9);
}
