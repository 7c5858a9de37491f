/**
 * Shadow doorbells and EventIdx (Doorbell Buffer Config, Base 2.1 §5.2.5). After the host gives
 * the controller a Shadow Doorbell buffer and an EventIdx buffer (one memory page each, laid out
 * like the doorbell registers: queue y's SQ slot at `(2y) × (4 << DSTRD)`, its CQ slot at
 * `(2y + 1) × (4 << DSTRD)`), the host writes new SQ tails / CQ heads to the shadow buffer and rings
 * the MMIO doorbell only when the update crosses the EventIdx the controller published
 * (`need_event`). What this model does, which the spec leaves to implementations:
 *
 * - **I/O queues only.** For the admin queue the MMIO doorbell stays authoritative and its value is
 *   mirrored into the shadow slot (Linux and SPDK never use shadow doorbells for queue 0).
 * - **"interrupt" policy** (like QEMU 7.2.1+): the controller reads the shadow value when it
 *   processes a queue; after each fetched command it publishes EventIdx = the tail it has seen and
 *   re-reads the shadow tail, closing the race where the host wrote the shadow after the read
 *   (that re-read is what prevents a lost wake-up). Before posting each CQE it publishes CQ
 *   EventIdx = the head it has seen and re-reads the shadow head.
 * - **"polling" policy**: the controller polls the shadow buffers every `pollIntervalNs` and
 *   publishes EventIdx = value − 1, which the host's next update never crosses, so steady-state
 *   I/O needs no MMIO at all.
 *
 * Values are 16-bit quantities in 32-bit little-endian slots. A controller reset drops the
 * configuration (the host must send Doorbell Buffer Config again).
 *
 * @example
 * ```ts
 * import { shadowSlotOffset } from "./shadow_doorbells.ts";
 * if (shadowSlotOffset(1, true, 0) !== 12) throw new Error("CQ 1 head at +0Ch with DSTRD 0");
 * ```
 *
 * @module
 */

import { doorbellStride } from "../spec/doorbell.ts";
import type { DevicePort } from "../platform/ports.ts";
import type { EventIdxPolicy } from "./options.ts";

/** Byte offset of queue `qid`'s slot in the shadow doorbell and EventIdx buffers. */
export function shadowSlotOffset(qid: number, isCq: boolean, dstrd: number): number {
  return (2 * qid + (isCq ? 1 : 0)) * doorbellStride(dstrd);
}

const U16 = 0xffff;
const SLOT_BYTES = 4;

/** The shadow doorbell configuration of one controller. */
export class ShadowDoorbells {
  #port!: DevicePort;
  #dbs = 0;
  #eis = 0;
  #enabled = false;
  #slot = new Uint8Array(SLOT_BYTES);

  /**
   * Creates the unit. `frozenEventIdx` is the `event-idx-never-updated` mutant (mutants.ts):
   * EventIdx is never written.
   */
  constructor(
    readonly dstrd: number,
    readonly policy: EventIdxPolicy,
    readonly frozenEventIdx = false,
  ) {}

  /** Binds to the device port. */
  attach(port: DevicePort): void {
    this.#port = port;
  }

  /** True after Doorbell Buffer Config, until reset. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Host addresses of the two buffers (0 when disabled). */
  get buffers(): { dbs: number; eis: number } {
    return { dbs: this.#dbs, eis: this.#eis };
  }

  /** Applies Doorbell Buffer Config (addresses already validated as page aligned). */
  configure(dbs: number, eis: number): void {
    this.#dbs = dbs;
    this.#eis = eis;
    this.#enabled = true;
    const t = this.#port.trace;
    if (t.enabled) t.emit({ type: "dbbuf_config", dbs_addr: dbs, eis_addr: eis });
  }

  /** Drops the configuration (controller reset). */
  reset(): void {
    this.#enabled = false;
    this.#dbs = 0;
    this.#eis = 0;
  }

  /** True when queue `qid` uses the shadow buffer (configured, and not the admin queue). */
  applies(qid: number): boolean {
    return this.#enabled && qid !== 0;
  }

  /**
   * Reads the host's shadow value for a queue's doorbell (16 bits of the 32-bit slot), or -1 when
   * the DMA was refused (the buffer is not mapped): a refused read must not look like a value.
   */
  readShadow(qid: number, isCq: boolean): number {
    const addr = this.#dbs + shadowSlotOffset(qid, isCq, this.dstrd);
    if (!this.#port.dmaRead(addr, this.#slot, 0, SLOT_BYTES)) return -1;
    const value = (this.#slot[0] | (this.#slot[1] << 8)) & U16;
    const t = this.#port.trace;
    if (t.enabled) {
      t.emit(
        isCq
          ? { type: "shadow_doorbell_cq", cqid: qid, new_shadow_doorbell: value }
          : { type: "shadow_doorbell_sq", sqid: qid, new_shadow_doorbell: value },
      );
    }
    return value;
  }

  /** Writes a shadow slot (initial values at configuration; the admin queue's mirror). */
  writeShadow(qid: number, isCq: boolean, value: number): void {
    this.#port.dmaWriteU32(this.#dbs + shadowSlotOffset(qid, isCq, this.dstrd), value & U16);
  }

  /**
   * Publishes the EventIdx for a queue whose last seen doorbell value is `seen`: `seen` itself in
   * the interrupt policy (the host rings when it moves past it), `seen − 1` in the polling policy
   * (the host never crosses it).
   */
  publishEventIdx(qid: number, isCq: boolean, seen: number): void {
    if (this.frozenEventIdx) return;
    const value = this.policy === "polling" ? (seen - 1) & U16 : seen & U16;
    this.#port.dmaWriteU32(this.#eis + shadowSlotOffset(qid, isCq, this.dstrd), value);
    const t = this.#port.trace;
    if (t.enabled) {
      t.emit(
        isCq
          ? { type: "eventidx_cq", cqid: qid, new_eventidx: value }
          : { type: "eventidx_sq", sqid: qid, new_eventidx: value },
      );
    }
  }
}
