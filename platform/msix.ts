/**
 * The MSI-X table and Pending Bit Array of one function (PCIe Base 5.0 §6.1.4, §7.7.2), living in
 * BAR0 at the offsets the identity gives. Each vector has a message address, data and a mask bit
 * (set at reset). Signalling a masked vector (or any vector while the function is masked) sets its
 * pending bit instead; unmasking delivers the pending message and clears the bit. The PBA is
 * read-only.
 *
 * Delivery is a callback to the machine, which latches the vector for the host and, when the
 * address is outside the x86 interrupt window, also writes the data to host memory (the
 * "RAM word" technique used with QEMU under qtest).
 *
 * @example
 * ```ts
 * import { MSIX_DELIVERED, MSIX_PENDING, MsixTable } from "./msix.ts";
 * const sent: number[] = [];
 * const t = new MsixTable(4, { deliver: (v) => sent.push(v) });
 * t.setControl(true, false);
 * if (t.notify(0) !== MSIX_PENDING) throw new Error("masked at reset");
 * t.writeTable(0 * 16 + 12, 0); // unmask vector 0: the pending message goes out
 * if (sent[0] !== 0 || t.notify(0) !== MSIX_DELIVERED) throw new Error();
 * ```
 *
 * @module
 */

import { MSIX_ENTRY_BYTES } from "./identity.ts";

/** Dword offsets inside one table entry. */
export const MsixEntry = {
  /** Message Address (low 32 bits; bits 1:0 read as zero). */
  ADDRESS_LO: 0x0,
  /** Message Upper Address. */
  ADDRESS_HI: 0x4,
  /** Message Data. */
  DATA: 0x8,
  /** Vector Control. */
  VECTOR_CONTROL: 0xc,
  /** Vector Control: Mask Bit. */
  MASK_BIT: 0x1,
} as const;

/** x86 MSI address window (local APIC): messages here interrupt a CPU, elsewhere they write RAM. */
export const MSI_ADDRESS_BASE = 0xfee00000;
/** Size of the x86 MSI address window. */
export const MSI_ADDRESS_WINDOW_BYTES = 0x100000;

/** {@linkcode MsixTable.notify} result: the message was sent. */
export const MSIX_DELIVERED = 0;
/** {@linkcode MsixTable.notify} result: the vector (or function) is masked; pending bit set. */
export const MSIX_PENDING = 1;
/** {@linkcode MsixTable.notify} result: MSI-X is disabled; nothing happened. */
export const MSIX_NOT_ENABLED = 2;
/** {@linkcode MsixTable.notify} result: the vector is beyond the table. */
export const MSIX_BAD_VECTOR = 3;
/** Any result of {@linkcode MsixTable.notify}. */
export type MsixNotifyResult =
  | typeof MSIX_DELIVERED
  | typeof MSIX_PENDING
  | typeof MSIX_NOT_ENABLED
  | typeof MSIX_BAD_VECTOR;

/** Receives messages the table sends. */
export interface MsixDelivery {
  /** A message for `vector` with the programmed address and data. */
  deliver(vector: number, address: number, data: number): void;
  /** Optional: a notification set the pending bit of `vector`. */
  pended?(vector: number): void;
}

const DWORDS_PER_ENTRY = MSIX_ENTRY_BYTES / 4;
const ADDRESS_LO_RESERVED = 0x3;

/** The MSI-X table + PBA of one function. */
export class MsixTable {
  /** Number of vectors. */
  readonly vectorCount: number;
  readonly #table: Uint32Array;
  readonly #pba: Uint32Array;
  readonly #sink: MsixDelivery;
  #enabled = false;
  #functionMasked = false;

  /** Creates a table of `vectorCount` entries, all masked, MSI-X disabled. */
  constructor(vectorCount: number, sink: MsixDelivery) {
    this.vectorCount = vectorCount;
    this.#table = new Uint32Array(vectorCount * DWORDS_PER_ENTRY);
    this.#pba = new Uint32Array(Math.ceil(vectorCount / 64) * 2);
    this.#sink = sink;
    this.reset();
  }

  /** Masks every vector, clears addresses, data and pending bits, disables MSI-X. */
  reset(): void {
    this.#table.fill(0);
    for (let v = 0; v < this.vectorCount; v++) {
      this.#table[v * DWORDS_PER_ENTRY + 3] = MsixEntry.MASK_BIT;
    }
    this.#pba.fill(0);
    this.#enabled = false;
    this.#functionMasked = false;
  }

  /** MSI-X Enable from the capability. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Function Mask from the capability. */
  get functionMasked(): boolean {
    return this.#functionMasked;
  }

  /** Applies Message Control (called by the config space); delivers what became unmasked. */
  setControl(enabled: boolean, functionMasked: boolean): void {
    this.#enabled = enabled;
    this.#functionMasked = functionMasked;
    if (enabled && !functionMasked) {
      for (let v = 0; v < this.vectorCount; v++) this.#flush(v);
    }
  }

  /** Reads the dword at byte `offset` inside the table. */
  readTable(offset: number): number {
    return this.#table[offset >>> 2];
  }

  /** Writes the dword at byte `offset` inside the table; unmasking delivers a pending message. */
  writeTable(offset: number, value: number): void {
    const i = offset >>> 2;
    const field = i % DWORDS_PER_ENTRY;
    if (field === 0) value &= ~ADDRESS_LO_RESERVED;
    if (field === 3) value &= MsixEntry.MASK_BIT;
    this.#table[i] = value >>> 0;
    if (field === 3 && value === 0) this.#flush((i - field) / DWORDS_PER_ENTRY);
  }

  /** Reads the PBA dword at byte `offset` inside the PBA. */
  readPba(offset: number): number {
    return this.#pba[offset >>> 2];
  }

  /** True when the vector's own mask bit is set. */
  isMasked(vector: number): boolean {
    return (this.#table[vector * DWORDS_PER_ENTRY + 3] & MsixEntry.MASK_BIT) !== 0;
  }

  /** True when the vector's pending bit is set. */
  isPending(vector: number): boolean {
    return (this.#pba[vector >>> 5] & (1 << (vector & 31))) !== 0;
  }

  /** Message address programmed for `vector` (64-bit, as a number). */
  address(vector: number): number {
    const b = vector * DWORDS_PER_ENTRY;
    return this.#table[b] + this.#table[b + 1] * 2 ** 32;
  }

  /** Message data programmed for `vector`. */
  data(vector: number): number {
    return this.#table[vector * DWORDS_PER_ENTRY + 2];
  }

  /** The device signals `vector`: deliver, or set the pending bit when masked. */
  notify(vector: number): MsixNotifyResult {
    if (!(vector >= 0 && vector < this.vectorCount)) return MSIX_BAD_VECTOR;
    if (!this.#enabled) return MSIX_NOT_ENABLED;
    if (this.#functionMasked || this.isMasked(vector)) {
      this.#pba[vector >>> 5] |= 1 << (vector & 31);
      this.#sink.pended?.(vector);
      return MSIX_PENDING;
    }
    this.#sink.deliver(vector, this.address(vector), this.data(vector));
    return MSIX_DELIVERED;
  }

  #flush(vector: number): void {
    if (
      !this.#enabled || this.#functionMasked || !this.isPending(vector) || this.isMasked(vector)
    ) {
      return;
    }
    this.#pba[vector >>> 5] &= ~(1 << (vector & 31));
    this.#sink.deliver(vector, this.address(vector), this.data(vector));
  }
}
