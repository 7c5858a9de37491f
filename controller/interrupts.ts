/**
 * Interrupt generation (Base 2.1 §3.3.1.x and PCIe Transport 1.1 §3.2 interrupts): one MSI-X
 * message per completion-queue vector, or the INTx level when MSI-X is off, plus interrupt
 * coalescing (Interrupt Coalescing feature: aggregation threshold THR + 1 entries or TIME × 100 µs
 * after the first held entry, whichever comes first) with per-vector opt-out through Interrupt
 * Vector Configuration (CD). Coalescing never applies to the admin CQ's vector 0 (§5.1.25.2.2).
 *
 * @example
 * ```ts
 * import { coalescingSettings } from "./interrupts.ts";
 * // THR = 3 (0's based: 4 entries), TIME = 2 (200 µs)
 * const s = coalescingSettings(0x0203);
 * if (s.threshold !== 4 || s.timeNs !== 200_000) throw new Error();
 * ```
 *
 * @module
 */

import { COALESCING_TIME_UNIT_NS } from "../spec/features.ts";
import type { DevicePort } from "../platform/ports.ts";
import type { EventHandle } from "../platform/scheduler.ts";

/** Decoded Interrupt Coalescing feature value. */
export interface CoalescingSettings {
  /** Completions per interrupt (THR + 1); 1 means no aggregation by count. */
  readonly threshold: number;
  /** Longest delay of a held interrupt in ns (TIME × 100 µs); 0 means none. */
  readonly timeNs: number;
}

/** Decodes the Interrupt Coalescing dword (THR bits 7:0, TIME bits 15:8). */
export function coalescingSettings(dw: number): CoalescingSettings {
  return { threshold: (dw & 0xff) + 1, timeNs: ((dw >>> 8) & 0xff) * COALESCING_TIME_UNIT_NS };
}

const ADMIN_VECTOR = 0;

/** Per-vector interrupt state and the policy that decides when a message is sent. */
export class InterruptUnit {
  #port!: DevicePort;
  #settings: CoalescingSettings = { threshold: 1, timeNs: 0 };
  /** Vectors with Interrupt Vector Configuration CD = 1 (coalescing disabled). */
  #noCoalesce = new Set<number>();
  /** Completions held per vector since its last message. */
  #held: Int32Array;
  #timers: (EventHandle | null)[];
  #fire = (vector: number) => {
    this.#timers[vector] = null;
    if (this.#held[vector] > 0) this.#send(vector);
  };

  /** Creates the unit for `vectors` MSI-X vectors. */
  constructor(readonly vectors: number) {
    this.#held = new Int32Array(vectors);
    this.#timers = new Array(vectors).fill(null);
  }

  /** Binds to the device port. */
  attach(port: DevicePort): void {
    this.#port = port;
  }

  /** Applies the Interrupt Coalescing feature value. */
  setCoalescing(dw: number): void {
    this.#settings = coalescingSettings(dw);
  }

  /** Applies Interrupt Vector Configuration for one vector (CD = bit 16). */
  setVectorConfig(dw: number): void {
    const vector = dw & 0xffff;
    if (dw & (1 << 16)) this.#noCoalesce.add(vector);
    else this.#noCoalesce.delete(vector);
  }

  /** Interrupt Vector Configuration CD of `vector`: coalescing disabled for it. */
  coalescingDisabled(vector: number): boolean {
    return this.#noCoalesce.has(vector);
  }

  /** A CQE was posted on a CQ with interrupts enabled on `vector` (MSI-X mode). */
  completionPosted(vector: number): void {
    const s = this.#settings;
    const coalesce = vector !== ADMIN_VECTOR && !this.#noCoalesce.has(vector) &&
      (s.threshold > 1 || s.timeNs > 0);
    if (!coalesce) {
      this.#send(vector);
      return;
    }
    this.#held[vector]++;
    if (this.#held[vector] >= s.threshold) {
      this.#send(vector);
      return;
    }
    this.#port.counters.coalesced(1);
    if (s.timeNs > 0 && this.#timers[vector] === null) {
      this.#timers[vector] = this.#port.schedule(s.timeNs, this.#fire, vector);
    }
  }

  #send(vector: number): void {
    this.#held[vector] = 0;
    const timer = this.#timers[vector];
    if (timer !== null) {
      this.#port.cancel(timer);
      this.#timers[vector] = null;
    }
    const t = this.#port.trace;
    if (t.enabled) t.emit({ type: "irq_msix", vector });
    this.#port.msixNotify(vector);
  }

  /** Sets the INTx level (pin-based mode): asserted while `pending` and not masked. */
  updateIntx(pending: boolean): void {
    const t = this.#port.trace;
    if (pending && t.enabled) t.emit({ type: "irq_pin" });
    this.#port.setIntx(pending);
  }

  /** Controller reset: held interrupts and coalescing settings return to defaults. */
  reset(): void {
    this.#held.fill(0);
    for (let v = 0; v < this.#timers.length; v++) {
      const timer = this.#timers[v];
      if (timer !== null && this.#port) this.#port.cancel(timer);
      this.#timers[v] = null;
    }
    this.#settings = { threshold: 1, timeNs: 0 };
    this.#noCoalesce.clear();
  }
}
