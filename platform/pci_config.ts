/**
 * A minimal PCI Express configuration space for one NVMe function: the type 0 header (IDs, class
 * code 01/08/02, Command/Status, a 64-bit memory BAR0 with sizing readback), a capability list with
 * MSI-X (table/PBA in BAR0) and a small PCI Express capability (FLR). Register offsets and write
 * masks are data: {@linkcode PCI_CONFIG_HEADER} and per-byte masks built from it.
 *
 * Writes go through per-byte write masks, exactly like a real function: read-only bits keep their
 * value, so writing all-ones to BAR0 reads back `~(size - 1) | flags` (e.g. 0xffffc004 for 16 KiB).
 *
 * @example
 * ```ts
 * import { findCapability, PciCapabilityId, PciConfigSpace, PciConfigOffset } from "./pci_config.ts";
 * import { nvmeIdentity } from "./identity.ts";
 * const cfg = new PciConfigSpace(nvmeIdentity());
 * cfg.write(PciConfigOffset.BAR0, 4, 0xffffffff);
 * if (cfg.read(PciConfigOffset.BAR0, 4) !== 0xffffc004) throw new Error();
 * if (findCapability((o, s) => cfg.read(o, s), PciCapabilityId.MSIX) !== 0x40) throw new Error();
 * ```
 *
 * @module
 */

import type { PciIdentity } from "./identity.ts";

/** Size of a PCI Express function's configuration space. */
export const CONFIG_SPACE_BYTES = 4096;

/** Offsets of the type 0 header registers. */
export const PciConfigOffset = {
  /** Vendor ID (16). */
  VENDOR_ID: 0x00,
  /** Device ID (16). */
  DEVICE_ID: 0x02,
  /** Command (16). */
  COMMAND: 0x04,
  /** Status (16). */
  STATUS: 0x06,
  /** Revision ID (8). */
  REVISION_ID: 0x08,
  /** Programming interface (8), low byte of the class code. */
  CLASS_PROG_IF: 0x09,
  /** Subclass (8). */
  CLASS_SUB: 0x0a,
  /** Base class (8). */
  CLASS_BASE: 0x0b,
  /** Cache Line Size (8). */
  CACHE_LINE_SIZE: 0x0c,
  /** Header Type (8). */
  HEADER_TYPE: 0x0e,
  /** BAR0, low dword of the 64-bit memory BAR (32). */
  BAR0: 0x10,
  /** BAR1: high dword of BAR0 (32). */
  BAR1: 0x14,
  /** Subsystem Vendor ID (16). */
  SUBSYSTEM_VENDOR_ID: 0x2c,
  /** Subsystem ID (16). */
  SUBSYSTEM_ID: 0x2e,
  /** Capabilities Pointer (8). */
  CAPABILITIES_PTR: 0x34,
  /** Interrupt Line (8). */
  INTERRUPT_LINE: 0x3c,
  /** Interrupt Pin (8). */
  INTERRUPT_PIN: 0x3d,
} as const;

/** One header register: the data behind the offsets and write masks. */
export interface PciConfigRegister {
  /** Register name. */
  readonly name: string;
  /** Offset in configuration space. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: 1 | 2 | 4;
  /** Software-writable bits (others are read-only); BAR0's mask depends on the BAR size. */
  readonly writable: number | "bar-size";
}

/** Command register bits (PCIe Base 5.0 §7.5.1.1.3). */
export const PciCommand = {
  /** I/O Space Enable (hardwired 0 here: no I/O BAR). */
  IO_SPACE: 1 << 0,
  /** Memory Space Enable: BAR0 decodes MMIO. */
  MEMORY_SPACE: 1 << 1,
  /** Bus Master Enable: the function may issue DMA and MSI-X. */
  BUS_MASTER: 1 << 2,
  /** Parity Error Response. */
  PARITY_ERROR_RESPONSE: 1 << 6,
  /** SERR# Enable. */
  SERR: 1 << 8,
  /** Interrupt Disable: INTx is not asserted while set. */
  INTX_DISABLE: 1 << 10,
} as const;

/** Status register bits (PCIe Base 5.0 §7.5.1.1.4). */
export const PciStatus = {
  /** Interrupt Status: the function's INTx is asserted (regardless of Interrupt Disable). */
  INTERRUPT_STATUS: 1 << 3,
  /** Capabilities List present. */
  CAPABILITIES_LIST: 1 << 4,
} as const;

/** Capability IDs. */
export const PciCapabilityId = {
  /** Power Management. */
  POWER_MANAGEMENT: 0x01,
  /** MSI. */
  MSI: 0x05,
  /** PCI Express. */
  PCI_EXPRESS: 0x10,
  /** MSI-X. */
  MSIX: 0x11,
} as const;

/** BAR0 low-dword flags: memory space, 64-bit, not prefetchable. */
export const BAR_MEMORY_64 = 0x4;
/** Low BAR bits that are flags, not address. */
export const BAR_FLAG_MASK = 0xf;

/** MSI-X capability layout (PCIe Base 5.0 §7.7.2) and where this platform places it. */
export const MsixCapability = {
  /** Offset of the capability in configuration space. */
  OFFSET: 0x40,
  /** Message Control (16) relative to the capability. */
  CONTROL: 0x02,
  /** Table Offset/BIR (32). */
  TABLE: 0x04,
  /** PBA Offset/BIR (32). */
  PBA: 0x08,
  /** Message Control: Table Size (N-1) mask. */
  CONTROL_TABLE_SIZE: 0x07ff,
  /** Message Control: Function Mask. */
  CONTROL_FUNCTION_MASK: 1 << 14,
  /** Message Control: MSI-X Enable. */
  CONTROL_ENABLE: 1 << 15,
  /** BIR field mask in the Table/PBA dwords. */
  BIR_MASK: 0x7,
} as const;

/** PCI Express capability layout (PCIe Base 5.0 §7.5.3), only what FLR needs. */
export const PcieCapability = {
  /** Offset of the capability in configuration space. */
  OFFSET: 0x80,
  /** PCI Express Capabilities register (16). */
  CAPABILITIES: 0x02,
  /** Device Capabilities (32). */
  DEVICE_CAPABILITIES: 0x04,
  /** Device Control (16). */
  DEVICE_CONTROL: 0x08,
  /** Device Status (16). */
  DEVICE_STATUS: 0x0a,
  /** Capability version 2, device/port type 0 (PCI Express Endpoint). */
  CAPABILITIES_VALUE: 0x0002,
  /** Device Capabilities: Function Level Reset Capability. */
  DEVCAP_FLR: 1 << 28,
  /** Device Control: Initiate Function Level Reset (write 1; always reads 0). */
  DEVCTL_INITIATE_FLR: 1 << 15,
  /** Device Control: software-writable bits other than Initiate FLR. */
  DEVCTL_WRITABLE: 0x7fff,
} as const;

const COMMAND_WRITABLE = PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER |
  PciCommand.PARITY_ERROR_RESPONSE | PciCommand.SERR | PciCommand.INTX_DISABLE;

/** The type 0 header registers this platform implements (others read as zero). */
export const PCI_CONFIG_HEADER: readonly PciConfigRegister[] = [
  { name: "vendor_id", offset: PciConfigOffset.VENDOR_ID, size: 2, writable: 0 },
  { name: "device_id", offset: PciConfigOffset.DEVICE_ID, size: 2, writable: 0 },
  { name: "command", offset: PciConfigOffset.COMMAND, size: 2, writable: COMMAND_WRITABLE },
  { name: "status", offset: PciConfigOffset.STATUS, size: 2, writable: 0 },
  { name: "revision_id", offset: PciConfigOffset.REVISION_ID, size: 1, writable: 0 },
  { name: "class_prog_if", offset: PciConfigOffset.CLASS_PROG_IF, size: 1, writable: 0 },
  { name: "class_sub", offset: PciConfigOffset.CLASS_SUB, size: 1, writable: 0 },
  { name: "class_base", offset: PciConfigOffset.CLASS_BASE, size: 1, writable: 0 },
  { name: "cache_line_size", offset: PciConfigOffset.CACHE_LINE_SIZE, size: 1, writable: 0xff },
  { name: "header_type", offset: PciConfigOffset.HEADER_TYPE, size: 1, writable: 0 },
  { name: "bar0", offset: PciConfigOffset.BAR0, size: 4, writable: "bar-size" },
  { name: "bar1", offset: PciConfigOffset.BAR1, size: 4, writable: "bar-size" },
  {
    name: "subsystem_vendor_id",
    offset: PciConfigOffset.SUBSYSTEM_VENDOR_ID,
    size: 2,
    writable: 0,
  },
  { name: "subsystem_id", offset: PciConfigOffset.SUBSYSTEM_ID, size: 2, writable: 0 },
  { name: "capabilities_ptr", offset: PciConfigOffset.CAPABILITIES_PTR, size: 1, writable: 0 },
  { name: "interrupt_line", offset: PciConfigOffset.INTERRUPT_LINE, size: 1, writable: 0xff },
  { name: "interrupt_pin", offset: PciConfigOffset.INTERRUPT_PIN, size: 1, writable: 0 },
];

/** Callbacks into the function slot when software changes state. */
export interface PciConfigHooks {
  /** The Command register changed. */
  commandChanged?(oldValue: number, newValue: number): void;
  /** MSI-X Enable or Function Mask changed. */
  msixControlChanged?(enabled: boolean, functionMasked: boolean): void;
  /** Software wrote Initiate Function Level Reset. */
  functionLevelReset?(): void;
}

/** The configuration space of one function. Offsets/sizes are validated by the caller (the bus). */
export class PciConfigSpace {
  readonly #id: PciIdentity;
  readonly #hooks: PciConfigHooks;
  readonly #bytes = new Uint8Array(CONFIG_SPACE_BYTES);
  readonly #view = new DataView(this.#bytes.buffer);
  /**
   * The Command register, mirrored from `#bytes` on every change (`reset`, `write`,
   * `setCommandBits`): every DMA and MMIO reads it, so it is a field load, not a DataView read.
   */
  #command = 0;
  readonly #wmask = new Uint8Array(CONFIG_SPACE_BYTES);

  /** Builds the power-on configuration space of `identity`. */
  constructor(identity: PciIdentity, hooks: PciConfigHooks = {}) {
    this.#id = identity;
    this.#hooks = hooks;
    this.reset();
  }

  /** Returns every register to its power-on value (BAR unassigned, Command 0, MSI-X off). */
  reset(): void {
    const id = this.#id;
    const v = this.#view;
    this.#bytes.fill(0);
    this.#command = 0;
    this.#wmask.fill(0);
    v.setUint16(PciConfigOffset.VENDOR_ID, id.vendorId, true);
    v.setUint16(PciConfigOffset.DEVICE_ID, id.deviceId, true);
    v.setUint16(PciConfigOffset.STATUS, PciStatus.CAPABILITIES_LIST, true);
    v.setUint8(PciConfigOffset.REVISION_ID, id.revisionId);
    v.setUint8(PciConfigOffset.CLASS_PROG_IF, id.classCode & 0xff);
    v.setUint8(PciConfigOffset.CLASS_SUB, (id.classCode >>> 8) & 0xff);
    v.setUint8(PciConfigOffset.CLASS_BASE, (id.classCode >>> 16) & 0xff);
    v.setUint32(PciConfigOffset.BAR0, BAR_MEMORY_64, true);
    v.setUint16(PciConfigOffset.SUBSYSTEM_VENDOR_ID, id.subsystemVendorId, true);
    v.setUint16(PciConfigOffset.SUBSYSTEM_ID, id.subsystemId, true);
    v.setUint8(PciConfigOffset.CAPABILITIES_PTR, MsixCapability.OFFSET);
    v.setUint8(PciConfigOffset.INTERRUPT_PIN, id.interruptPin);
    for (const r of PCI_CONFIG_HEADER) {
      const mask = r.writable === "bar-size" ? this.#barMask(r.offset) : r.writable;
      this.#setMask(r.offset, r.size, mask);
    }
    const m = MsixCapability.OFFSET;
    v.setUint8(m, PciCapabilityId.MSIX);
    v.setUint8(m + 1, PcieCapability.OFFSET);
    v.setUint16(m + MsixCapability.CONTROL, id.msixVectors - 1, true);
    v.setUint32(m + MsixCapability.TABLE, id.msixTableOffset, true); // BIR 0
    v.setUint32(m + MsixCapability.PBA, id.msixPbaOffset, true); // BIR 0
    this.#setMask(
      m + MsixCapability.CONTROL,
      2,
      MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK,
    );
    const p = PcieCapability.OFFSET;
    v.setUint8(p, PciCapabilityId.PCI_EXPRESS);
    v.setUint16(p + PcieCapability.CAPABILITIES, PcieCapability.CAPABILITIES_VALUE, true);
    v.setUint32(
      p + PcieCapability.DEVICE_CAPABILITIES,
      id.flr ? PcieCapability.DEVCAP_FLR : 0,
      true,
    );
    this.#setMask(p + PcieCapability.DEVICE_CONTROL, 2, PcieCapability.DEVCTL_WRITABLE);
  }

  /** Reads `size` bytes little-endian at `offset`. */
  read(offset: number, size: 1 | 2 | 4): number {
    const v = this.#view;
    return size === 1
      ? v.getUint8(offset)
      : size === 2
      ? v.getUint16(offset, true)
      : v.getUint32(offset, true);
  }

  /** Writes through the write masks, then runs the hooks for what changed. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    const oldCommand = this.command;
    const oldMsix = this.#msixControl();
    const flrByte = PcieCapability.OFFSET + PcieCapability.DEVICE_CONTROL + 1;
    let flr = false;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (
        at === flrByte && this.#id.flr && (b & (PcieCapability.DEVCTL_INITIATE_FLR >>> 8)) !== 0
      ) {
        flr = true;
      }
      const wm = this.#wmask[at];
      this.#bytes[at] = (this.#bytes[at] & ~wm) | (b & wm);
    }
    const command = this.#command = this.#view.getUint16(PciConfigOffset.COMMAND, true);
    if (command !== oldCommand) this.#hooks.commandChanged?.(oldCommand, command);
    const msix = this.#msixControl();
    if (msix !== oldMsix) {
      this.#hooks.msixControlChanged?.(this.msixEnabled, this.msixFunctionMasked);
    }
    if (flr) this.#hooks.functionLevelReset?.();
  }

  /** The Command register. */
  get command(): number {
    return this.#command;
  }

  /** Memory Space Enable. */
  get memorySpace(): boolean {
    return (this.command & PciCommand.MEMORY_SPACE) !== 0;
  }

  /** Bus Master Enable. */
  get busMaster(): boolean {
    return (this.command & PciCommand.BUS_MASTER) !== 0;
  }

  /** Interrupt Disable. */
  get intxDisabled(): boolean {
    return (this.command & PciCommand.INTX_DISABLE) !== 0;
  }

  /** MSI-X Enable. */
  get msixEnabled(): boolean {
    return (this.#msixControl() & MsixCapability.CONTROL_ENABLE) !== 0;
  }

  /** MSI-X Function Mask. */
  get msixFunctionMasked(): boolean {
    return (this.#msixControl() & MsixCapability.CONTROL_FUNCTION_MASK) !== 0;
  }

  /** The address BAR0 is programmed to (flags stripped). */
  get bar0Address(): number {
    const lo = this.#view.getUint32(PciConfigOffset.BAR0, true) & ~BAR_FLAG_MASK;
    return (lo >>> 0) + this.#view.getUint32(PciConfigOffset.BAR1, true) * 2 ** 32;
  }

  /** Programs BAR0 directly, as firmware does (no hooks). `addr` must be BAR-size aligned. */
  assignBar0(addr: number): void {
    this.#view.setUint32(
      PciConfigOffset.BAR0,
      ((addr >>> 0) & ~BAR_FLAG_MASK) | BAR_MEMORY_64,
      true,
    );
    this.#view.setUint32(PciConfigOffset.BAR1, Math.floor(addr / 2 ** 32), true);
  }

  /** Sets Command bits directly, as firmware does (no hooks). */
  setCommandBits(bits: number): void {
    this.#command = this.#command | (bits & COMMAND_WRITABLE);
    this.#view.setUint16(PciConfigOffset.COMMAND, this.#command, true);
  }

  /** Mirrors the INTx level into Status.Interrupt Status. */
  setInterruptStatus(asserted: boolean): void {
    const s = this.#view.getUint16(PciConfigOffset.STATUS, true);
    const bit = PciStatus.INTERRUPT_STATUS;
    this.#view.setUint16(PciConfigOffset.STATUS, asserted ? s | bit : s & ~bit, true);
  }

  #msixControl(): number {
    return this.#view.getUint16(MsixCapability.OFFSET + MsixCapability.CONTROL, true);
  }

  #barMask(offset: number): number {
    const size = this.#id.bar0Size;
    if (offset === PciConfigOffset.BAR0) {
      return size >= 2 ** 32 ? 0 : (~(size - 1) & ~BAR_FLAG_MASK) >>> 0;
    }
    return size > 2 ** 32 ? (~(size / 2 ** 32 - 1)) >>> 0 : 0xffffffff;
  }

  #setMask(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.#wmask[offset + i] = (mask >>> (8 * i)) & 0xff;
  }
}

/** Bound on capability-list walks, so a malformed (looping) list terminates. */
const MAX_CAPABILITIES = 48;

/**
 * Walks the capability list through `read` (any platform's config read) and returns the offset of
 * the first capability with `id`, or 0 when absent.
 */
export function findCapability(
  read: (offset: number, size: 1 | 2 | 4) => number,
  id: number,
): number {
  if ((read(PciConfigOffset.STATUS, 2) & PciStatus.CAPABILITIES_LIST) === 0) return 0;
  let ptr = read(PciConfigOffset.CAPABILITIES_PTR, 1) & 0xfc;
  for (let i = 0; i < MAX_CAPABILITIES && ptr !== 0; i++) {
    if (read(ptr, 1) === id) return ptr;
    ptr = read(ptr + 1, 1) & 0xfc;
  }
  return 0;
}
