// Shared machinery of the robustness tests ("the controller survives every input", issue #3):
// fast-check properties that throw arbitrary register writes (robustness_registers_test.ts) and
// arbitrary 64-byte commands (robustness_commands_test.ts) at the reference controller, plus
// "mutant" checks (robustness_mutants_test.ts) showing each property fails against a deliberately
// broken wrapper of the same controller. This module: configuration and seed, the transparent
// controller wrapper that observes DMA and carries mutations, bounded virtual time, and the rig.
//
// Everything runs in virtual time. A hang is detected by an event budget: every host sleep runs
// device work through `boundedSleep`, which gives up (HangError) after MAX_EVENTS_PER_CASE events.
// A synchronous infinite loop inside one MMIO handler or one event cannot be bounded from here (JS
// cannot preempt it); it would show up as the test never finishing.
//
// Seeds: each property runs with a fixed seed (reproducible CI) which fast-check prints with the
// shrunk counterexample on failure. Set NVME_FUZZ_SEED=<n> (with --allow-env) to explore others.

import { assert } from "@std/assert";
import fc from "fast-check";
import { ForwardingDevicePort } from "../platform/forwarding_ports.ts";
import { Machine } from "../platform/machine.ts";
import type { DevicePort, HostPort, NvmeFunction, ResetKind } from "../platform/ports.ts";
import type { PciIdentity } from "../platform/identity.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { NvmeController } from "./controller.ts";

// ---------------------------------------------------------------------------------------------
// Configuration

const DEFAULT_SEED = 0x5eed_2026;
/** Device events one property case may run before we call it a hang. */
const MAX_EVENTS_PER_CASE = 200_000;
/** Cases of the register property. */
export const REGISTER_RUNS = 2000;
/** Cases of the command property. */
export const COMMAND_RUNS = 800;
/** Cases a property gets to fail against a mutant. */
const MUTANT_RUNS = 200;
/**
 * Wall-clock cap on one fc.assert, shrinking included: a counterexample of the command property
 * has ~64 commands of ~20 fields each, and shrinking all of them to minimal values can take
 * minutes. When the cap interrupts shrinking, fast-check still reports the failure (with the
 * counterexample shrunk so far, its seed and path). A passing run takes a few seconds.
 */
export const TIME_LIMIT_MS = 60_000;

/**
 * Controller bugs the register property found and reports (see the "known bug" tests in
 * robustness_registers_test.ts). While an id is listed, the property skips only the invariant
 * that bug breaks, and only in a case where the bug's precondition occurred; the reproduction
 * test is ignored. Remove the id once it is fixed.
 */
export const KNOWN_CONTROLLER_BUGS: ReadonlySet<string> = new Set<string>([]);

function fuzzSeed(): number {
  const p = Deno.permissions.querySync({ name: "env", variable: "NVME_FUZZ_SEED" });
  if (p.state === "granted") {
    const v = Deno.env.get("NVME_FUZZ_SEED");
    if (v !== undefined && v !== "") return Number(v);
  }
  return DEFAULT_SEED;
}
/** The seed of every property: NVME_FUZZ_SEED when set (and readable), else a fixed one. */
export const SEED: number = fuzzSeed();

/** CC.EN (Base 2.1 §3.1.4.5). */
export const CC_EN = 1;
/** CSTS.RDY and CSTS.CFS (Base 2.1 §3.1.4.6). */
export const CSTS_RDY = 1, CSTS_CFS = 2;
/** CSTS.SHST. */
export const shst = (csts: number): number => (csts >>> 2) & 3;
/** Entries of each admin queue of the rig. */
export const ADMIN_SIZE = 32;
/** The I/O queue pair's identifier. */
export const IO_QID = 1;
/** Memory page size of the rig (CC.MPS = 0). */
export const PAGE = 4096;
/** Any 32-bit value. */
export const u32: fc.Arbitrary<number> = fc.nat({ max: 0xffff_ffff });

// ---------------------------------------------------------------------------------------------
// A transparent NvmeFunction wrapper: observes every DMA (fetches, faults) at the platform
// boundary and lets a mutant distort MMIO reads, MMIO writes or DMA writes.

/** What a mutant may change. Every hook is optional; absent hooks pass through. */
export interface Mutation {
  /** Rewrites the dword the host reads at `offset`. */
  mmioRead?(offset: number, value: number, ctrl: NvmeController): number;
  /** Runs before the controller sees a write (may schedule things through `port`). */
  mmioWrite?(offset: number, value: number, port: DevicePort): void;
  /** Replaces a DMA write: return the result, or undefined to let it through. */
  dmaWrite?(
    addr: number,
    src: Uint8Array,
    off: number,
    len: number,
    w: Interposed,
  ): boolean | undefined;
}

/** Builds a fresh mutation (with fresh state) for each property case. */
export type Mutant = () => Mutation;

/** What the test's bookkeeping hears about each DMA. */
export interface DmaObserver {
  /** One DMA at `addr` of `len` bytes, a write or a read, done (`ok`) or refused. */
  dma(addr: number, len: number, write: boolean, ok: boolean): void;
}

/** The reference controller behind an {@linkcode ObservedPort}, with an optional mutation. */
export class Interposed implements NvmeFunction {
  readonly identity: PciIdentity;
  /** Hears about every DMA (the command property's bookkeeping). */
  observer: DmaObserver | null = null;
  /** Set by the test: the command currently executing had a refused DMA. */
  lastCommandFaulted = false;
  #port!: DevicePort;

  constructor(readonly ctrl: NvmeController, readonly mutation: Mutation = {}) {
    this.identity = ctrl.identity;
  }

  attach(port: DevicePort): void {
    this.#port = port;
    this.ctrl.attach(new ObservedPort(port, this));
  }

  mmioRead(offset: number, size: 4 | 8): number {
    const v = this.ctrl.mmioRead(offset, size);
    return this.mutation.mmioRead ? this.mutation.mmioRead(offset, v, this.ctrl) >>> 0 : v;
  }

  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    this.mutation.mmioWrite?.(offset, value, this.#port);
    this.ctrl.mmioWrite(offset, size, value);
  }

  reset(kind: ResetKind): void {
    this.ctrl.reset(kind);
  }

  /** The underlying port, for mutants that write host memory behind the controller's back. */
  get port(): DevicePort {
    return this.#port;
  }
}

/**
 * A DevicePort that forwards everything and reports each DMA to the wrapper's observer. Like its
 * base it has no word fast paths, so SQE fetches and CQE posts reach `dmaRead` and `dmaWrite`,
 * where the observer sees every fetch and a mutation every completion.
 */
class ObservedPort extends ForwardingDevicePort {
  constructor(inner: DevicePort, readonly w: Interposed) {
    super(inner);
  }
  #seen(addr: number, len: number, write: boolean, ok: boolean): boolean {
    this.w.observer?.dma(addr, len, write, ok);
    return ok;
  }
  override dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
    return this.#seen(addr, len, false, this.inner.dmaRead(addr, dst, off, len));
  }
  override dmaWrite(addr: number, src: Uint8Array, off = 0, len = src.length - off): boolean {
    const m = this.w.mutation.dmaWrite?.(addr, src, off, len, this.w);
    const ok = m === undefined ? this.inner.dmaWrite(addr, src, off, len) : m;
    return this.#seen(addr, len, true, ok);
  }
  override dmaReadU32(addr: number): number {
    const before = this.inner.counters.dmaFaults;
    const v = this.inner.dmaReadU32(addr);
    this.#seen(addr, 4, false, this.inner.counters.dmaFaults === before);
    return v;
  }
  override dmaReadU64(addr: number): number {
    const before = this.inner.counters.dmaFaults;
    const v = this.inner.dmaReadU64(addr);
    this.#seen(addr, 8, false, this.inner.counters.dmaFaults === before);
    return v;
  }
  override dmaWriteU32(addr: number, value: number): boolean {
    return this.#seen(addr, 4, true, this.inner.dmaWriteU32(addr, value));
  }
  override dmaWriteU64(addr: number, value: number): boolean {
    return this.#seen(addr, 8, true, this.inner.dmaWriteU64(addr, value));
  }
}

// ---------------------------------------------------------------------------------------------
// Bounded virtual time

/** A property case that did not finish within its event budget. */
export class HangError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HangError";
  }
}

/** Event budget of one property case. */
export class Budget {
  constructor(public events = MAX_EVENTS_PER_CASE) {}
}

/**
 * `host.sleep(ns)` with an event budget: runs the device work due in the next `ns` one event at a
 * time and throws {@linkcode HangError} when the case's budget is spent (device work that keeps
 * scheduling itself at the same instant would otherwise never let the sleep return).
 */
export function boundedSleep(m: Machine, host: HostPort, ns: number, budget: Budget): void {
  const s = m.scheduler;
  const deadline = s.now + ns;
  while (s.nextTime <= deadline) {
    if (--budget.events < 0) {
      throw new HangError(
        `hang: more than ${MAX_EVENTS_PER_CASE} device events without the host sleep returning ` +
          `(now ${s.now} ns, ${s.pending} pending)`,
      );
    }
    s.runNext();
  }
  host.sleep(deadline - s.now); // nothing left to run: only moves the clock, through the HostPort
}

// ---------------------------------------------------------------------------------------------
// The rig: a machine, the (wrapped) controller, admin queue memory programmed, optionally enabled.

/** A machine with the wrapped controller attached and the admin queue memory programmed. */
export interface Rig {
  machine: Machine;
  host: HostPort;
  fn: Interposed;
  asq: number;
  acq: number;
}

/** Builds a {@linkcode Rig} whose controller carries `mutation`; `enable` also enables it. */
export function makeRig(mutation: Mutation | undefined, enable: boolean): Rig {
  const machine = new Machine();
  const fn = new Interposed(new NvmeController(), mutation);
  const host = machine.attach(fn);
  host.configWrite(0x04, 2, 0x0006); // memory space + bus master
  host.setupInterrupts("msix");
  const asq = host.allocate(ADMIN_SIZE * SQE_SIZE, PAGE);
  const acq = host.allocate(ADMIN_SIZE * CQE_SIZE, PAGE);
  host.memFill(asq, ADMIN_SIZE * SQE_SIZE, 0);
  host.memFill(acq, ADMIN_SIZE * CQE_SIZE, 0);
  host.write32(R.AQA, ((ADMIN_SIZE - 1) << 16) | (ADMIN_SIZE - 1));
  host.write64(R.ASQ, asq);
  host.write64(R.ACQ, acq);
  if (enable) {
    host.write32(R.CC, 0x00460001);
    const budget = new Budget();
    for (let i = 0; i < 10_000 && !(host.read32(R.CSTS) & (CSTS_RDY | CSTS_CFS)); i++) {
      boundedSleep(machine, host, 10_000, budget);
    }
  }
  return { machine, host, fn, asq, acq };
}

// ---------------------------------------------------------------------------------------------
// Mutant checks: each property fails against a deliberately broken controller

/**
 * Runs `property` with fc.check and asserts it fails, with a message matching `expect` (so it
 * failed for the reason the mutant was built to cause). No shrinking: only the verdict matters.
 */
export function assertPropertyFails<Ts>(property: fc.IProperty<Ts>, expect: RegExp): void {
  const r = fc.check(property, { seed: SEED, numRuns: MUTANT_RUNS, endOnFailure: true });
  assert(r.failed, "the property should have failed against the mutant");
  const e = r.errorInstance;
  const message = e instanceof Error ? e.message : String(e);
  assert(expect.test(message), `failed for another reason: ${message}`);
}
