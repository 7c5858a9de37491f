/**
 * PCI configuration access and "firmware" for the qtest machine: what SeaBIOS would do if the CPU
 * ran (it does not: QEMU is started with `-S`). Configuration space is reached through the q35
 * MMCONFIG window (ECAM), which this module enables by programming the MCH's PCIEXBAR through the
 * legacy `0xCF8`/`0xCFC` mechanism; ECAM gives the full 4 KiB space in one round trip per access.
 * When ECAM cannot be enabled, the legacy mechanism serves the first 256 bytes.
 *
 * @module
 */

import {
  BAR_FLAG_MASK,
  BAR_MEMORY_64,
  CONFIG_SPACE_BYTES,
  PciCapabilityId,
  PciCommand,
  PciConfigOffset,
  PcieCapability,
} from "../pci_config.ts";
import { NVME_CLASS_CODE } from "../identity.ts";
import type { QtestClient } from "./client.ts";
import { QemuStartError } from "./errors.ts";

/** Legacy configuration address port (PCI Local Bus 3.0 §3.2.2.3.2, "Configuration Mechanism
 * #1"): bit 31 enable, bus 23:16, devfn 15:8, register 7:2. */
export const CONFIG_ADDRESS_PORT = 0xcf8;
/** Legacy configuration data port. */
export const CONFIG_DATA_PORT = 0xcfc;
const CONFIG_ENABLE = 0x8000_0000;
/** Bytes the legacy mechanism reaches. */
export const LEGACY_CONFIG_BYTES = 256;

/** q35 MCH register PCIEXBAR (64-bit) in the host bridge's (00:00.0) configuration space. */
export const Q35_PCIEXBAR = 0x60;
/** PCIEXBAR: enable bit; length bits 2:1 = 0 select 256 buses (256 MiB). */
const PCIEXBAR_ENABLE = 0x1;
/** Where this platform puts the ECAM window (SeaBIOS's choice on q35). */
export const ECAM_BASE = 0xb000_0000;
/** Where BAR0 is placed (libqos's MMIO window start, reference §10/§11). */
export const BAR0_BASE = 0xe000_0000;
/** Devices per bus × functions per device. */
const DEVFNS = 256;
const FUNCTIONS = 8;
/** Vendor ID of an empty slot. */
const NO_DEVICE = 0xffff;
const MAX_CAPABILITIES = 48;

/** Configuration access to bus 0 through qtest. */
export class QtestPci {
  readonly #q: QtestClient;
  #ecam = false;

  /** Binds to a client; call {@linkcode enableEcam} once. */
  constructor(client: QtestClient) {
    this.#q = client;
  }

  /** True when accesses go through ECAM. */
  get ecam(): boolean {
    return this.#ecam;
  }

  /** Bytes of configuration space reachable (4096 with ECAM, 256 without). */
  get reachableBytes(): number {
    return this.#ecam ? CONFIG_SPACE_BYTES : LEGACY_CONFIG_BYTES;
  }

  /** Programs PCIEXBAR and checks that ECAM reads what the legacy mechanism reads. */
  enableEcam(): boolean {
    this.#legacyWrite(0, Q35_PCIEXBAR + 4, 4, 0);
    this.#legacyWrite(0, Q35_PCIEXBAR, 4, ECAM_BASE | PCIEXBAR_ENABLE);
    const legacy = this.#legacyRead(0, PciConfigOffset.VENDOR_ID, 4);
    this.#ecam = this.#q.read(ECAM_BASE, 4) === legacy;
    return this.#ecam;
  }

  /** Configuration read of `devfn` on bus 0 (the caller validated alignment and range). */
  read(devfn: number, offset: number, size: 1 | 2 | 4): number {
    if (this.#ecam) return this.#q.read(ECAM_BASE + devfn * CONFIG_SPACE_BYTES + offset, size);
    return this.#legacyRead(devfn, offset, size);
  }

  /** Configuration write of `devfn` on bus 0. */
  write(devfn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    if (this.#ecam) {
      this.#q.write(ECAM_BASE + devfn * CONFIG_SPACE_BYTES + offset, size, value);
    } else {
      this.#legacyWrite(devfn, offset, size, value);
    }
  }

  /** The devfn of the first NVMe function (class 010802h) on bus 0. */
  findNvme(): number {
    for (let devfn = 0; devfn < DEVFNS; devfn += FUNCTIONS) {
      if ((this.read(devfn, PciConfigOffset.VENDOR_ID, 2)) === NO_DEVICE) continue;
      const classRev = this.read(devfn, PciConfigOffset.REVISION_ID, 4);
      if (classRev >>> 8 === NVME_CLASS_CODE) return devfn;
    }
    throw new QemuStartError("no NVMe function (class 010802h) on PCI bus 0 of the QEMU machine");
  }

  /** Sizes BAR0 (memory decoding off meanwhile) and returns its size in bytes. */
  sizeBar0(devfn: number): number {
    const command = this.read(devfn, PciConfigOffset.COMMAND, 2);
    this.write(devfn, PciConfigOffset.COMMAND, 2, command & ~PciCommand.MEMORY_SPACE);
    const lo = this.read(devfn, PciConfigOffset.BAR0, 4);
    this.write(devfn, PciConfigOffset.BAR0, 4, 0xffff_ffff);
    const sized = this.read(devfn, PciConfigOffset.BAR0, 4);
    this.write(devfn, PciConfigOffset.BAR0, 4, lo);
    this.write(devfn, PciConfigOffset.COMMAND, 2, command);
    if ((sized & BAR_MEMORY_64) === 0) {
      throw new QemuStartError(
        `BAR0 of the NVMe function is not a 64-bit memory BAR (0x${sized.toString(16)})`,
      );
    }
    return ((~(sized & ~BAR_FLAG_MASK)) >>> 0) + 1;
  }

  /** What firmware leaves behind: BAR0 at `address`, Memory Space on, Bus Master off. */
  applyFirmware(devfn: number, address: number): void {
    this.write(devfn, PciConfigOffset.BAR0, 4, address >>> 0);
    this.write(devfn, PciConfigOffset.BAR1, 4, Math.floor(address / 2 ** 32));
    this.write(devfn, PciConfigOffset.COMMAND, 2, PciCommand.MEMORY_SPACE);
  }

  /** Initiates a Function Level Reset (PCIe Base 5.0 §6.6.2); false when FLR is not offered. */
  functionLevelReset(devfn: number): boolean {
    const cap = this.findCapability(devfn, PciCapabilityId.PCI_EXPRESS);
    if (cap === 0) return false;
    const devcap = this.read(devfn, cap + PcieCapability.DEVICE_CAPABILITIES, 4);
    if ((devcap & PcieCapability.DEVCAP_FLR) === 0) return false;
    const at = cap + PcieCapability.DEVICE_CONTROL;
    const control = this.read(devfn, at, 2);
    this.write(devfn, at, 2, control | PcieCapability.DEVCTL_INITIATE_FLR);
    return true;
  }

  /** Offset of `devfn`'s first capability with `id`, or 0 (PCI Local Bus 3.0 §6.7). */
  findCapability(devfn: number, id: number): number {
    let ptr = this.read(devfn, PciConfigOffset.CAPABILITIES_PTR, 1) & 0xfc;
    for (let i = 0; i < MAX_CAPABILITIES && ptr !== 0; i++) {
      if (this.read(devfn, ptr, 1) === id) return ptr;
      ptr = this.read(devfn, ptr + 1, 1) & 0xfc;
    }
    return 0;
  }

  #select(devfn: number, offset: number): void {
    this.#q.out(CONFIG_ADDRESS_PORT, 4, CONFIG_ENABLE | (devfn << 8) | (offset & 0xfc));
  }

  #legacyRead(devfn: number, offset: number, size: 1 | 2 | 4): number {
    this.#select(devfn, offset);
    return this.#q.in(CONFIG_DATA_PORT + (offset & 3), size);
  }

  #legacyWrite(devfn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.#select(devfn, offset);
    this.#q.out(CONFIG_DATA_PORT + (offset & 3), size, value);
  }
}
