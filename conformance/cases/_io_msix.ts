/**
 * MSI-X helpers of the interrupt cases: where the table and the Pending Bit Array live (found
 * through the MSI-X capability in configuration space, as a host driver does), per-vector and
 * function masking, pending bits, and clearing latched interrupts before a measurement.
 *
 * @module
 */

import { MSIX_ENTRY_BYTES } from "../../platform/identity.ts";
import { MsixEntry } from "../../platform/msix.ts";
import { findCapability, MsixCapability, PciCapabilityId } from "../../platform/pci_config.ts";
import type { HostPort } from "../../platform/ports.ts";

/** Where a function's MSI-X structures are. */
export interface MsixLayout {
  /** Capability offset in configuration space. */
  readonly cap: number;
  /** BAR0 offset of the table. */
  readonly table: number;
  /** BAR0 offset of the PBA. */
  readonly pba: number;
  /** Table size. */
  readonly vectors: number;
}

const BITS_PER_DWORD = 32;
/** How long latched interrupts are given to arrive before they are cleared (virtual ns). */
const SETTLE_NS = 1_000_000;

/** The MSI-X layout, or null when there is no MSI-X capability or the table is not in BAR0. */
export function msixLayout(host: HostPort): MsixLayout | null {
  const read = (o: number, s: 1 | 2 | 4) => host.configRead(o, s);
  const cap = findCapability(read, PciCapabilityId.MSIX);
  if (cap === 0) return null;
  const tableReg = host.configRead(cap + MsixCapability.TABLE, 4);
  const pbaReg = host.configRead(cap + MsixCapability.PBA, 4);
  if ((tableReg & MsixCapability.BIR_MASK) !== 0 || (pbaReg & MsixCapability.BIR_MASK) !== 0) {
    return null;
  }
  const control = host.configRead(cap + MsixCapability.CONTROL, 2);
  return {
    cap,
    table: tableReg & ~MsixCapability.BIR_MASK,
    pba: pbaReg & ~MsixCapability.BIR_MASK,
    vectors: (control & MsixCapability.CONTROL_TABLE_SIZE) + 1,
  };
}

/** Sets or clears vector `v`'s Mask Bit in the table. */
export function maskVector(host: HostPort, m: MsixLayout, v: number, masked: boolean): void {
  const at = m.table + v * MSIX_ENTRY_BYTES + MsixEntry.VECTOR_CONTROL;
  host.write32(at, masked ? MsixEntry.MASK_BIT : 0);
}

/** Sets or clears the Function Mask in Message Control. */
export function maskFunction(host: HostPort, m: MsixLayout, masked: boolean): void {
  const at = m.cap + MsixCapability.CONTROL;
  const control = host.configRead(at, 2);
  const next = masked
    ? control | MsixCapability.CONTROL_FUNCTION_MASK
    : control & ~MsixCapability.CONTROL_FUNCTION_MASK;
  host.configWrite(at, 2, next);
}

/** Vector `v`'s Pending Bit. */
export function pendingBit(host: HostPort, m: MsixLayout, v: number): boolean {
  const dword = host.read32(m.pba + Math.floor(v / BITS_PER_DWORD) * 4);
  return ((dword >>> (v % BITS_PER_DWORD)) & 1) === 1;
}

/** Lets outstanding interrupts arrive, then clears every latched vector below `vectors`. */
export function drainInterrupts(host: HostPort, vectors: number): void {
  host.sleep(SETTLE_NS);
  for (let v = 0; v < vectors; v++) host.takeInterrupt(v);
}

/** Vectors below `vectors` that have latched an interrupt (consuming the latches). */
export function firedVectors(host: HostPort, vectors: number): number[] {
  const out: number[] = [];
  for (let v = 0; v < vectors; v++) if (host.takeInterrupt(v)) out.push(v);
  return out;
}
