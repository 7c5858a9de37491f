/**
 * The model side of the QEMU cross-check runs the reference controller in the same timing regime
 * as QEMU under qtest: on qtest **every** host access — MMIO, but also every read or write of
 * host memory (SQEs, CQEs, shadow doorbells, EventIdx) and every check of an MSI-X word — is one
 * qtest round trip of tens of µs, while QEMU's NVMe device does its work in main-loop bottom halves
 * that run between two round trips (reference/qemu-nvme.md §7, §11). The device is therefore
 * always faster than the host, the reverse of the KVM guest of the published anchor.
 *
 * {@linkcode RoundTripHostPort} reproduces that on the in-process machine: it charges one round
 * trip of virtual time for each host memory access, configuration access and interrupt check, on
 * top of what {@linkcode ChargingHostPort} charges (MMIO), and {@linkcode qtestRegimeCost} gives
 * the matching cost model (device reaction within a round trip, `null-co` media).
 *
 * @example The same port as the sweep's, but a CQE read costs a round trip too
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { DEFAULT_COST_MODEL } from "./cost_model.ts";
 * import { QTEST_ROUND_TRIP_NS, qtestRegimeCost, RoundTripHostPort } from "./crosscheck_host.ts";
 * const machine = new Machine();
 * const cost = qtestRegimeCost(DEFAULT_COST_MODEL);
 * const host = new RoundTripHostPort(machine.attach(new NvmeController()), machine, cost);
 * host.charging = true;
 * const t = host.now();
 * host.memReadU32(host.allocate(4096, 4096));
 * if (host.now() - t !== QTEST_ROUND_TRIP_NS) throw new Error();
 * ```
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import type { Machine } from "../platform/machine.ts";
import type { CostModel } from "./cost_model.ts";
import { ChargingHostPort } from "./sweep_host.ts";

/** One qtest round trip: ~25 µs measured per `readl` over stdio pipes on a 2-vCPU box
 * (reference/qemu-nvme.md §11); the regime only needs it to dwarf the device's reaction. */
export const QTEST_ROUND_TRIP_NS = 25_000;

/**
 * The cost model of the qtest regime, on top of `base`: every host access is a round trip
 * (`mmioExitNs`, `pollNs`; memory accesses are charged by {@linkcode RoundTripHostPort}), the
 * guest has no other software cost, the device reacts to a doorbell within a round trip (a bottom
 * half runs after 0–2 round trips, §11) and `null-co` media takes no time (the cross-check's QEMU
 * namespace is `null-co`, like the anchor's).
 */
export function qtestRegimeCost(base: CostModel): CostModel {
  return Object.freeze({
    ...base,
    mmioExitNs: QTEST_ROUND_TRIP_NS,
    pollNs: QTEST_ROUND_TRIP_NS,
    interruptNs: 0, // the MSI-X word check is charged per takeInterrupt, taken or not
    wakeupNs: 0,
    submitNs: 0,
    completeNs: 0,
    doorbellNotifyNs: QTEST_ROUND_TRIP_NS,
    commandNs: 0,
    mediaReadNs: 0,
    mediaWriteNs: 0,
  });
}

/** A {@linkcode ChargingHostPort} that also charges one round trip per host memory access,
 * configuration access and interrupt check, as qtest costs them. */
export class RoundTripHostPort extends ChargingHostPort {
  readonly #roundTripNs: number;

  /** Wraps `inner` (from `machine.attach()`); `roundTripNs` defaults to
   * {@linkcode QTEST_ROUND_TRIP_NS}. */
  constructor(
    inner: HostPort,
    machine: Machine,
    cost: CostModel,
    roundTripNs: number = QTEST_ROUND_TRIP_NS,
  ) {
    super(inner, machine, cost);
    this.#roundTripNs = roundTripNs;
  }

  #trip(): void {
    this.charge(this.#roundTripNs);
  }

  /** Configuration read: one round trip. */
  override configRead(offset: number, size: 1 | 2 | 4): number {
    this.#trip();
    return super.configRead(offset, size);
  }
  /** Configuration write: one round trip. */
  override configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#trip();
    super.configWrite(offset, size, value);
  }
  /** Memory read (`b64read`): one round trip, then the data. */
  override memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void {
    this.#trip();
    super.memRead(addr, dst, dstOffset, length);
  }
  /** Memory write (`b64write`): the data lands, then the round trip ends. */
  override memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void {
    super.memWrite(addr, src, srcOffset, length);
    this.#trip();
  }
  /** Memory fill (`memset`). */
  override memFill(addr: number, length: number, value: number): void {
    super.memFill(addr, length, value);
    this.#trip();
  }
  /** u32 read (`readl` of RAM). */
  override memReadU32(addr: number): number {
    this.#trip();
    return super.memReadU32(addr);
  }
  /** u32 write (`writel` to RAM). */
  override memWriteU32(addr: number, value: number): void {
    super.memWriteU32(addr, value);
    this.#trip();
  }
  /** u64 read (`readq` of RAM). */
  override memReadU64(addr: number): number {
    this.#trip();
    return super.memReadU64(addr);
  }
  /** u64 write (`writeq` to RAM). */
  override memWriteU64(addr: number, value: number): void {
    super.memWriteU64(addr, value);
    this.#trip();
  }
  /** Interrupt check: on qtest a scan of the MSI-X words, one round trip whether or not the
   * vector fired. */
  override takeInterrupt(vector: number): boolean {
    this.#trip();
    return super.takeInterrupt(vector);
  }
}
