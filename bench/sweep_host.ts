/**
 * A {@linkcode HostPort} that charges the cost model's host-side events as virtual time: the
 * driver under test talks to it exactly as to the machine's own port, and while `charging` is on
 *
 * - every BAR0 MMIO access (doorbells included) stalls the host for `mmioExitNs` — a VM exit;
 * - every interrupt the host takes costs `interruptNs`, plus `wakeupNs` when the host was asleep
 *   waiting for it (`waitForInterrupt`), not when it found it pending (`takeInterrupt`).
 *
 * Charged time passes on the machine's scheduler, so the controller keeps working meanwhile
 * (fetching, finishing media work, posting completions, raising interrupts): a long exit lets
 * completions pile up and be reaped together, exactly the batching a slow host sees. Charging is
 * off during bring-up so only the measured workload pays.
 *
 * @example
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { ChargingHostPort } from "./sweep_host.ts";
 * import { DEFAULT_COST_MODEL } from "./cost_model.ts";
 * const machine = new Machine();
 * const host = new ChargingHostPort(machine.attach(new NvmeController()), machine, DEFAULT_COST_MODEL);
 * host.charging = true;
 * const t = host.now();
 * host.read32(0x1c); // CSTS: one exit
 * if (host.now() - t !== DEFAULT_COST_MODEL.mmioExitNs || host.mmioAccesses !== 1) throw new Error();
 * ```
 *
 * @module
 */

import { ForwardingHostPort } from "../platform/forwarding_ports.ts";
import type { Machine } from "../platform/machine.ts";
import { type HostPort, WAIT_TIMEOUT } from "../platform/ports.ts";
import type { CostModel } from "./cost_model.ts";

/** The machine's host port with the cost model's host-side charges; see the module docs. Only
 * MMIO and interrupts are charged: everything else passes through (ordinary memory, config
 * space during bring-up, the clock; `poll` is the machine's poll quantum, set to `pollNs`). */
export class ChargingHostPort extends ForwardingHostPort {
  /** Charge costs (off until the measured workload starts). */
  charging = false;
  /** MMIO accesses charged. */
  mmioAccesses = 0;
  /** Interrupts the host took while charging (each charged `interruptNs`). */
  interruptsTaken = 0;
  /** Virtual time charged in total (ns). */
  chargedNs = 0;

  readonly #machine: Machine;
  readonly #cost: CostModel;

  /** Wraps `inner`, the port `machine.attach()` returned, under `cost`. */
  constructor(inner: HostPort, machine: Machine, cost: CostModel) {
    super(inner);
    this.#machine = machine;
    this.#cost = cost;
  }

  /** Lets `ns` of virtual time pass as host work (device events due meanwhile run). */
  charge(ns: number): void {
    if (!this.charging || ns <= 0) return;
    const s = this.#machine.scheduler;
    this.chargedNs += ns;
    s.runUntil(s.now + ns);
  }

  #exit(): void {
    if (!this.charging) return;
    this.mmioAccesses++;
    this.charge(this.#cost.mmioExitNs);
  }

  /** 32-bit MMIO read (one exit). */
  override read32(offset: number): number {
    const v = this.inner.read32(offset);
    this.#exit();
    return v;
  }
  /** 32-bit MMIO write (one exit). */
  override write32(offset: number, value: number): void {
    this.#exit();
    this.inner.write32(offset, value);
  }
  /** 64-bit MMIO read (one exit: one instruction). */
  override read64(offset: number): bigint {
    const v = this.inner.read64(offset);
    this.#exit();
    return v;
  }
  /** 64-bit MMIO write (one exit). */
  override write64(offset: number, value: bigint | number): void {
    this.#exit();
    this.inner.write64(offset, value);
  }
  /** MMIO read of any width (one exit). */
  override mmioRead(offset: number, size: 1 | 2 | 4): number {
    const v = this.inner.mmioRead(offset, size);
    this.#exit();
    return v;
  }
  /** MMIO write of any width (one exit). */
  override mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#exit();
    this.inner.mmioWrite(offset, size, value);
  }

  /** Waits for an interrupt; a wake-up is charged `interruptNs + wakeupNs`. */
  override waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    const v = this.inner.waitForInterrupt(vectors, timeoutNs);
    if (v !== WAIT_TIMEOUT && this.charging) {
      this.interruptsTaken++;
      this.charge(this.#cost.interruptNs + this.#cost.wakeupNs);
    }
    return v;
  }
  /** Takes a pending interrupt; taking one is charged `interruptNs`. */
  override takeInterrupt(vector: number): boolean {
    const taken = this.inner.takeInterrupt(vector);
    if (taken && this.charging) {
      this.interruptsTaken++;
      this.charge(this.#cost.interruptNs);
    }
    return taken;
  }
}
