/**
 * PCI identity of an NVMe function and the BAR0 layout derived from it: registers at 0x0000,
 * doorbells from 0x1000, the MSI-X table and PBA where the identity puts them. The defaults mirror
 * QEMU 7.2's `-device nvme` (reference/qemu-nvme.md §1): 1b36:0010, class 01/08/02, 16 KiB BAR0,
 * 65 vectors, table at 0x2000, PBA at 0x3000.
 *
 * @example
 * ```ts
 * import { bar0Layout, nvmeIdentity } from "./identity.ts";
 * const id = nvmeIdentity({ msixVectors: 9 });
 * const layout = bar0Layout(id);
 * if (layout.doorbellEnd !== 0x2000 || layout.pbaEnd !== 0x3008) throw new Error();
 * ```
 *
 * @module
 */

import { DOORBELL_BASE } from "../spec/doorbell.ts";
import { isPowerOfTwo } from "./allocator.ts";
import { PciIdentityError } from "./errors.ts";

/** Class code of an NVM Express I/O controller: base 01h (storage), sub 08h (NVM), prog-if 02h. */
export const NVME_CLASS_CODE = 0x010802;
/** Bytes per MSI-X table entry. */
export const MSIX_ENTRY_BYTES = 16;
/** Largest MSI-X table (PCIe Base 5.0 §7.7.2: Table Size is 11 bits, N-1 encoded). */
export const MSIX_MAX_VECTORS = 2048;
/** Smallest BAR0 this platform accepts: registers plus one page of doorbells. */
export const MIN_BAR0_BYTES = 0x2000;
/** Largest CAP.DSTRD value (4 bits). */
export const MAX_DSTRD = 15;
/** Interrupt Pin value for INTA#. */
export const INTERRUPT_PIN_INTA = 1;

/** What a PCI function says about itself. */
export interface PciIdentity {
  /** Vendor ID (16 bits). */
  readonly vendorId: number;
  /** Device ID (16 bits). */
  readonly deviceId: number;
  /** Revision ID (8 bits). */
  readonly revisionId: number;
  /** Class code, 24 bits: base class, subclass, programming interface. */
  readonly classCode: number;
  /** Subsystem Vendor ID (16 bits). */
  readonly subsystemVendorId: number;
  /** Subsystem ID (16 bits). */
  readonly subsystemId: number;
  /** BAR0 size in bytes: a power of two, at least {@linkcode MIN_BAR0_BYTES}. */
  readonly bar0Size: number;
  /** Number of MSI-X vectors, 1..2048. */
  readonly msixVectors: number;
  /** BAR0 offset of the MSI-X table (8-byte aligned, at or above 0x1000). */
  readonly msixTableOffset: number;
  /** BAR0 offset of the MSI-X Pending Bit Array (8-byte aligned, at or above 0x1000). */
  readonly msixPbaOffset: number;
  /** Interrupt Pin: 0 = no INTx, 1 = INTA#. */
  readonly interruptPin: number;
  /** CAP.DSTRD the controller reports, used to classify doorbell MMIO in the counters. */
  readonly dstrd: number;
  /** Advertise Function Level Reset in the PCI Express capability. */
  readonly flr: boolean;
}

/** QEMU 7.2 `-device nvme` identity (reference/qemu-nvme.md §1). */
export const QEMU_NVME_IDENTITY: PciIdentity = Object.freeze({
  vendorId: 0x1b36,
  deviceId: 0x0010,
  revisionId: 0x02,
  classCode: NVME_CLASS_CODE,
  subsystemVendorId: 0x1af4,
  subsystemId: 0x1100,
  bar0Size: 0x4000,
  msixVectors: 65,
  msixTableOffset: 0x2000,
  msixPbaOffset: 0x3000,
  interruptPin: INTERRUPT_PIN_INTA,
  dstrd: 0,
  flr: true,
});

/** The QEMU defaults with `overrides` applied, validated. */
export function nvmeIdentity(overrides: Partial<PciIdentity> = {}): PciIdentity {
  const id = Object.freeze({ ...QEMU_NVME_IDENTITY, ...overrides });
  validateIdentity(id);
  return id;
}

/** Where things are in BAR0. All ranges are `[start, end)`. */
export interface Bar0Layout {
  /** First doorbell (0x1000). */
  readonly doorbellBase: number;
  /** End of the doorbell area: the MSI-X table, the PBA, or the end of BAR0, whichever is first. */
  readonly doorbellEnd: number;
  /** MSI-X table start. */
  readonly tableStart: number;
  /** MSI-X table end. */
  readonly tableEnd: number;
  /** PBA start. */
  readonly pbaStart: number;
  /** PBA end (the PBA is a whole number of qwords). */
  readonly pbaEnd: number;
}

/** Computes the BAR0 layout of an identity. */
export function bar0Layout(id: PciIdentity): Bar0Layout {
  const tableEnd = id.msixTableOffset + id.msixVectors * MSIX_ENTRY_BYTES;
  const pbaEnd = id.msixPbaOffset + Math.ceil(id.msixVectors / 64) * 8;
  return {
    doorbellBase: DOORBELL_BASE,
    doorbellEnd: Math.min(id.msixTableOffset, id.msixPbaOffset, id.bar0Size),
    tableStart: id.msixTableOffset,
    tableEnd,
    pbaStart: id.msixPbaOffset,
    pbaEnd,
  };
}

/** Throws {@linkcode PciIdentityError} naming the first inconsistency. */
export function validateIdentity(id: PciIdentity): void {
  const fail = (what: string): never => {
    throw new PciIdentityError(`PCI identity: ${what}; fix the function's identity`);
  };
  for (const k of ["vendorId", "deviceId", "subsystemVendorId", "subsystemId"] as const) {
    if (!(Number.isInteger(id[k]) && id[k] >= 0 && id[k] <= 0xffff)) fail(`${k} must be 16 bits`);
  }
  if (!(Number.isInteger(id.revisionId) && id.revisionId >= 0 && id.revisionId <= 0xff)) {
    fail("revisionId must be 8 bits");
  }
  if (!(Number.isInteger(id.classCode) && id.classCode >= 0 && id.classCode <= 0xffffff)) {
    fail("classCode must be 24 bits");
  }
  if (!isPowerOfTwo(id.bar0Size) || id.bar0Size < MIN_BAR0_BYTES) {
    fail(`bar0Size 0x${id.bar0Size.toString(16)} must be a power of two >= 0x2000`);
  }
  if (
    !(Number.isInteger(id.msixVectors) && id.msixVectors >= 1 && id.msixVectors <= MSIX_MAX_VECTORS)
  ) {
    fail(`msixVectors ${id.msixVectors} must be in 1..${MSIX_MAX_VECTORS}`);
  }
  if (!(id.interruptPin === 0 || id.interruptPin === INTERRUPT_PIN_INTA)) {
    fail("interruptPin must be 0 (none) or 1 (INTA#)");
  }
  if (!(Number.isInteger(id.dstrd) && id.dstrd >= 0 && id.dstrd <= MAX_DSTRD)) {
    fail(`dstrd ${id.dstrd} must be in 0..${MAX_DSTRD}`);
  }
  const l = bar0Layout(id);
  for (
    const [name, start, end] of [["table", l.tableStart, l.tableEnd], [
      "PBA",
      l.pbaStart,
      l.pbaEnd,
    ]] as const
  ) {
    if (start % 8 !== 0) {
      fail(`MSI-X ${name} offset 0x${start.toString(16)} must be 8-byte aligned`);
    }
    if (start < DOORBELL_BASE) fail(`MSI-X ${name} must not overlap the registers below 0x1000`);
    if (end > id.bar0Size) fail(`MSI-X ${name} ends at 0x${end.toString(16)}, beyond BAR0`);
  }
  if (l.tableStart < l.pbaEnd && l.pbaStart < l.tableEnd) fail("MSI-X table and PBA overlap");
  if (l.doorbellEnd <= DOORBELL_BASE) {
    fail("no room for doorbells between 0x1000 and the MSI-X table");
  }
}
