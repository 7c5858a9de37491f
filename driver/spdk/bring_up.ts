/**
 * The register side of the SPDK-like controller state machine (`nvme_ctrlr_process_init`): PCI
 * command bits, disable-first, the admin queue registers, the single CC write, the RDY wait, and
 * shutdown. The admin-command side of init is controller_init.ts.
 *
 * How it differs from the Linux-like driver, on purpose (reference/linux-driver.md §10):
 * - ASQ, ACQ, **then** AQA (Linux writes AQA first);
 * - CC is written **once**, with EN = 1 and every field (Linux writes it without EN, then again);
 * - the memory page size is **CAP.MPSMIN's** `2^(12 + MPSMIN)` (Linux always uses 4 KiB);
 * - the RDY wait is bounded by CAP.TO × 500 ms alone (no CRTO).
 *
 * Every wait polls and then sleeps in growing steps ({@linkcode pollUntil}), so a long bound costs
 * few host steps; every CSTS read checks for all ones, the "device gone" value.
 *
 * @example Bring a reference controller to ready with a one-entry-pair admin queue
 * ```ts
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * import { disableController, enableController, readCapabilities, setAdminQueue, waitReady }
 *   from "./bring_up.ts";
 * const host = new Machine().attach(new NvmeController());
 * const cap = readCapabilities(host);
 * disableController(host, cap);
 * setAdminQueue(host, host.allocate(4096, 4096), host.allocate(4096, 4096), 2);
 * enableController(host, cap);
 * waitReady(host, cap);
 * if ((host.read32(0x1c) & 1) !== 1) throw new Error("CSTS.RDY");
 * ```
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { PciCommand, PciConfigOffset } from "../../platform/pci_config.ts";
import {
  AQA,
  ArbitrationMechanism,
  CAP,
  CapCssBit,
  CC,
  CommandSetSelected,
  CSTS,
  decodeRegister,
  encodeRegister,
  memoryPageSize,
  RegisterOffset,
  ShutdownNotification,
  ShutdownStatus,
  timeoutUnitsToNs,
} from "../../spec/registers.ts";
import { SQE_SIZE_SHIFT } from "../../spec/sqe.ts";
import { CQE_SIZE_SHIFT } from "../../spec/cqe.ts";
import type { CAPValue } from "../../spec/value_types.ts";
import { DriverError } from "../model.ts";

const CC_EN = Number(encodeRegister(CC, { en: 1 }));
const CSTS_RDY = Number(encodeRegister(CSTS, { rdy: 1 }));
const CSTS_CFS = Number(encodeRegister(CSTS, { cfs: 1 }));

/** CSTS.RDY and CSTS.CFS masks, for callers that poll CSTS themselves. */
export const CstsBits = { RDY: CSTS_RDY, CFS: CSTS_CFS } as const;
/** CC.EN mask. */
export const CcBits = { EN: CC_EN } as const;

/** What a read of a register on a removed device returns. */
export const ALL_ONES = 0xffff_ffff;
/** Polls before a wait starts sleeping. */
const POLL_SPINS = 64;
/** First sleep step of a wait, doubled each step up to the caller's cap. */
const FIRST_SLEEP_NS = 1_000;
/** Largest sleep step of a register wait. */
const MAX_REGISTER_SLEEP_NS = 1_000_000;

/** CAP as read, with the values bring-up needs. */
export interface Capabilities {
  /** The raw register. */
  readonly raw: bigint;
  /** Decoded fields. */
  readonly fields: CAPValue;
  /** Memory page size the driver uses: `2^(12 + CAP.MPSMIN)`. */
  readonly pageSize: number;
  /** CAP.TO × 500 ms, in ns. */
  readonly readyTimeoutNs: number;
}

/**
 * Polls `ready()` until true or `timeoutNs` passes: `POLL_SPINS` poll quanta, then sleeps that
 * double from 1 µs up to `maxSleepNs`. Returns the last `ready()` value.
 */
export function pollUntil(
  host: HostPort,
  ready: () => boolean,
  timeoutNs: number,
  maxSleepNs: number = MAX_REGISTER_SLEEP_NS,
): boolean {
  const deadline = host.now() + timeoutNs;
  let spins = 0, step = FIRST_SLEEP_NS;
  for (;;) {
    if (ready()) return true;
    const now = host.now();
    if (now >= deadline) return false;
    if (spins < POLL_SPINS) {
      spins++;
      host.poll();
    } else {
      host.sleep(Math.min(step, deadline - now));
      step = Math.min(step * 2, maxSleepNs);
    }
  }
}

/** Reads CSTS; a DriverError when it reads all ones (the device is gone). */
export function readCsts(host: HostPort): number {
  const csts = host.read32(RegisterOffset.CSTS);
  if (csts === ALL_ONES) {
    throw new DriverError("device gone: CSTS reads all ones (surprise removal or a dead link)");
  }
  return csts;
}

/** PCI command register: Memory Space, Bus Master, and INTx Disable (SPDK sets `|= 0x404`). */
export function enablePciFunction(host: HostPort): void {
  const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
  const want = cmd | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER | PciCommand.INTX_DISABLE;
  if (want !== cmd) host.configWrite(PciConfigOffset.COMMAND, 2, want);
}

/** Reads CAP; a DriverError when the device is gone or offers no usable command set. */
export function readCapabilities(host: HostPort): Capabilities {
  const raw = host.read64(RegisterOffset.CAP);
  if (raw === 0xffff_ffff_ffff_ffffn) {
    throw new DriverError("device gone: CAP reads all ones (surprise removal or a dead link)");
  }
  const fields = decodeRegister(CAP, raw);
  return {
    raw,
    fields,
    pageSize: memoryPageSize(fields.mpsmin),
    readyTimeoutNs: timeoutUnitsToNs(fields.to),
  };
}

/** CC.CSS: NVM when CAP.CSS offers it, else "all I/O command sets"; a DriverError otherwise. */
function commandSet(cap: Capabilities): number {
  const css = cap.fields.css;
  if (css & (1 << CapCssBit.NVM)) return CommandSetSelected.NVM;
  if (css & (1 << CapCssBit.IO_COMMAND_SETS)) return CommandSetSelected.ALL_IO;
  throw new DriverError(`CAP.CSS 0x${css.toString(16)} offers no I/O command set this driver uses`);
}

/**
 * Disable first (Base 2.1 §3.5.1): when CC.EN = 1 and RDY is still 0, wait for RDY (a reset in
 * progress) unless CFS is set; then CC.EN = 0 and wait for RDY = 0, bounded by CAP.TO.
 */
export function disableController(host: HostPort, cap: Capabilities): void {
  const cc = host.read32(RegisterOffset.CC);
  const rdy = () => (readCsts(host) & CSTS_RDY) !== 0;
  if (cc & CC_EN) {
    if (!rdy() && !(readCsts(host) & CSTS_CFS)) pollUntil(host, rdy, cap.readyTimeoutNs);
    host.write32(RegisterOffset.CC, cc & ~CC_EN);
  }
  if (!pollUntil(host, () => !rdy(), cap.readyTimeoutNs)) {
    throw new DriverError(
      `controller did not clear CSTS.RDY within CAP.TO (${cap.readyTimeoutNs / 1e6} ms) of ` +
        "CC.EN = 0",
    );
  }
}

/** ASQ, ACQ, then AQA (SPDK's order), with `entries` in each admin queue. */
export function setAdminQueue(host: HostPort, asq: number, acq: number, entries: number): void {
  host.write64(RegisterOffset.ASQ, asq);
  host.write64(RegisterOffset.ACQ, acq);
  host.write32(
    RegisterOffset.AQA,
    Number(encodeRegister(AQA, { asqs: entries - 1, acqs: entries - 1 })),
  );
}

/** The one CC write: EN = 1, IOSQES 6, IOCQES 4, MPS = CAP.MPSMIN, CSS, AMS round robin. */
export function enableController(host: HostPort, cap: Capabilities): void {
  const cc = encodeRegister(CC, {
    en: 1,
    css: commandSet(cap),
    mps: cap.fields.mpsmin,
    ams: ArbitrationMechanism.ROUND_ROBIN,
    shn: ShutdownNotification.NONE,
    iosqes: SQE_SIZE_SHIFT,
    iocqes: CQE_SIZE_SHIFT,
  });
  host.write32(RegisterOffset.CC, Number(cc));
}

/** Waits for CSTS.RDY = 1 within CAP.TO; CFS or all ones end the wait with a DriverError. */
export function waitReady(host: HostPort, cap: Capabilities): void {
  let csts = 0;
  const ok = pollUntil(host, () => {
    csts = readCsts(host);
    if (csts & CSTS_CFS) {
      throw new DriverError("controller set CSTS.CFS while enabling (check CC and AQA/ASQ/ACQ)");
    }
    return (csts & CSTS_RDY) !== 0;
  }, cap.readyTimeoutNs);
  if (!ok) {
    throw new DriverError(
      `controller did not set CSTS.RDY within CAP.TO (${cap.readyTimeoutNs / 1e6} ms) of ` +
        `CC.EN = 1 (CSTS 0x${csts.toString(16)})`,
    );
  }
}

/**
 * Normal shutdown (Base 2.1 §3.6.1): CC.SHN = 01b with EN kept, then wait for CSTS.SHST = 10b.
 * Returns false when SHST did not reach "complete" within `timeoutNs` (or the device is gone).
 */
export function shutdownController(host: HostPort, timeoutNs: number): boolean {
  const cc = host.read32(RegisterOffset.CC);
  if (cc === ALL_ONES) return false;
  const shn = Number(encodeRegister(CC, { shn: ShutdownNotification.NORMAL }));
  const shnMask = Number(encodeRegister(CC, { shn: ShutdownNotification.ABRUPT | 1 }));
  host.write32(RegisterOffset.CC, (cc & ~shnMask) | shn);
  try {
    return pollUntil(
      host,
      () => decodeRegister(CSTS, readCsts(host)).shst === ShutdownStatus.COMPLETE,
      timeoutNs,
    );
  } catch (e) {
    if (e instanceof DriverError) return false;
    throw e;
  }
}
