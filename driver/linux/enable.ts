/**
 * Controller enable, disable and shutdown of the Linux-like driver, with the register work
 * around them (`nvme_pci_enable`, `nvme_pci_configure_admin_queue`, `nvme_enable_ctrl`,
 * `nvme_disable_ctrl`, `nvme_wait_ready`):
 *
 * - PCI: memory space + bus master; CSTS all ones means the device is gone.
 * - Disable first (EN=0, wait RDY=0); AQA, then ASQ and ACQ written low dword then high.
 * - CC without EN (IOSQES=6, IOCQES=4, MPS=0 for 4 KiB, CSS from CAP.CSS), CAP re-read, then CC
 *   with EN; RDY awaited for ⌈max(CAP.TO, CRTO.CRWMT)/2⌉ s, polling every 1 ms (Base 2.1 §3.5.1).
 * - Shutdown: SHN=normal with EN kept, SHST=complete awaited (Base 2.1 §3.6.1).
 *
 * @module
 */

import { PciCommand, PciConfigOffset } from "../../platform/pci_config.ts";
import { CQE_SIZE_SHIFT } from "../../spec/cqe.ts";
import {
  CAP,
  CommandSetSelected,
  CstsBit,
  decodeRegister,
  RegisterOffset,
  timeoutUnitsToNs,
} from "../../spec/registers.ts";
import { SQE_SIZE_SHIFT } from "../../spec/sqe.ts";
import type { CAPValue } from "../../spec/value_types.ts";
import { DriverError } from "../model.ts";
import { ADMIN_QUEUE_DEPTH, ADMIN_TAGS, type LinuxCore } from "./core.ts";
import { NvmeQueue } from "./queue.ts";

/** CSTS read when the device has gone away (surprise removal). */
export const CSTS_DEVICE_GONE = 0xffff_ffff;
/** `nvme_wait_ready` polls CSTS every 1–2 ms. */
const READY_POLL_NS = 1_000_000;
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
/** CAP last decoded, and its decode (frozen: shared by every driver that reads the same CAP). */
let lastCapRaw = -1n;
let lastCap: Readonly<CAPValue> | null = null;

/** CAP decoded (Base 2.1 §3.1.4.1); an unchanged value reuses the last decode. */
export function decodeCap(raw: bigint): Readonly<CAPValue> {
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

/** `nvme_pci_enable`: memory space and bus master on; MSI-X vectors set up (0 with INTx). */
export function pciEnable(core: LinuxCore): number {
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

/** `nvme_pci_configure_admin_queue`: NSSRO cleared, controller disabled, AQA/ASQ/ACQ set. */
export function configureAdminQueue(core: LinuxCore, cap: CAPValue): void {
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

/** `nvme_enable_ctrl`: CC without EN, CAP re-read, CC with EN, RDY awaited. */
export function enableController(core: LinuxCore, cap: CAPValue): void {
  const host = core.host;
  if (cap.mpsmin > 0) {
    throw new DriverError(
      `Minimum device page size ${4096 << cap.mpsmin} too large for host (4096)`,
    );
  }
  const css = (cap.css & CAP_CSS_IOCS) ? CommandSetSelected.ALL_IO : CommandSetSelected.NVM;
  const config = (css << CC_CSS_SHIFT) | (SQE_SIZE_SHIFT << CC_IOSQES_SHIFT) |
    (CQE_SIZE_SHIFT << CC_IOCQES_SHIFT);
  host.write32(RegisterOffset.CC, config);
  // "CAP value may change after initial CC write".
  const cap2 = decodeCap(host.read64(RegisterOffset.CAP));
  const timeout = readyTimeoutNs(core, cap2);
  host.write32(RegisterOffset.CC, config | 1);
  waitReady(core, CSTS_RDY, CSTS_RDY, timeout, "initialisation");
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
