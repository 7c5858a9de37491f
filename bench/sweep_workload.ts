/**
 * The sweep's workload: 4 KiB random reads or writes kept at a fixed queue depth through any
 * {@linkcode DriverModel}, like `fio --rw=randread --bs=4k --iodepth=QD` with one submission per
 * call (every command is the last of its batch, so the driver rings — or shadows — the SQ tail for
 * each). It records each command's latency in virtual time and snapshots the counters around a
 * measured window that starts after a warm-up, so start-up (empty queues, first EventIdx values)
 * does not count. The queue stays full until the window closes; commands still in flight then are
 * abandoned with the simulation.
 *
 * Unlike `driver/workload.ts` it does not verify data (the driver tests do that): the sweep
 * measures the path, and a check per read would dominate the harness's own CPU time.
 *
 * Host software costs of the cost model are charged here: `submitNs` before each submission and
 * `completeNs` in each completion callback. A command's latency runs from before its `submitNs`
 * to the end of its `completeNs`, so it includes its share of the guest's software path.
 *
 * @module
 */

import type { CountersSnapshot } from "../platform/counters.ts";
import { Mulberry32 } from "../platform/preemption.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { type DriverCompletion, DriverError, type DriverModel } from "../driver/model.ts";
import type { CostModel } from "./cost_model.ts";
import type { ChargingHostPort } from "./sweep_host.ts";

/** 4 KiB: the transfer size of every command. */
export const IO_BYTES = 4096;
/** Working set the random LBAs fall in (16 MiB); placement changes no counted event. */
export const DEFAULT_SPAN_BYTES = 16 * 1024 * 1024;
/** Default bound on the virtual time of one run (a stall is an error, not a hang). */
const DEFAULT_MAX_VIRTUAL_NS = 600e9;

/** The two access patterns. */
export type WorkloadKind = "randread" | "randwrite";

/** Which commands ask for a polled queue (`REQ_POLLED`). */
export type PolledSlots = "none" | "all" | "hot";

/** Options of {@linkcode runSweepWorkload}. */
export interface SweepWorkloadOptions {
  /** Random reads or random writes. */
  readonly kind: WorkloadKind;
  /** Completions measured. */
  readonly ios: number;
  /** Completions before the measured window opens. */
  readonly warmup: number;
  /** Commands kept in flight (over all queues). */
  readonly queueDepth: number;
  /** Submitting contexts; slot `i` submits from context `i % contexts` (`⌊i/2⌋` with "hot"). */
  readonly contexts: number;
  /** Polled commands: none, all, or the "hot" half (even slots; with QD1 that is every one). */
  readonly polled: PolledSlots;
  /** Seed of the LBA choices. */
  readonly seed: number;
  /** Working-set size in bytes (default {@linkcode DEFAULT_SPAN_BYTES}). */
  readonly spanBytes?: number;
  /** Give up after this much virtual time (default 600 s). */
  readonly maxVirtualNs?: number;
}

/** What one run measured (counters and charges over the window only). */
export interface SweepWorkloadResult {
  /** Latency of each measured completion, ns of virtual time, in completion order. */
  readonly latenciesNs: Float64Array;
  /** Measured completions. */
  readonly completed: number;
  /** Measured completions with an error status or host error. */
  readonly errors: number;
  /** The first error, for messages. */
  readonly firstError: string | null;
  /** Virtual time of the window. */
  readonly windowNs: number;
  /** Host wall-clock time of the window (the harness's own CPU time). */
  readonly wallNs: number;
  /** Counters when the window opened. */
  readonly before: CountersSnapshot;
  /** Counters when it closed. */
  readonly after: CountersSnapshot;
  /** MMIO accesses the host port charged in the window. */
  readonly mmioAccesses: number;
  /** Interrupts the host took in the window. */
  readonly interruptsTaken: number;
}

interface Slot {
  readonly index: number;
  readonly cmd: {
    opcode: number;
    nsid: number;
    cdw10: number;
    cdw11: number;
    cdw12: number;
    data: { addr: number; length: number }[];
    context: number;
    polled: boolean;
    more: boolean;
  };
  submitAt: number;
}

/** Runs the workload on a brought-up driver; `host` must be the port the driver uses. */
export function runSweepWorkload(
  host: ChargingHostPort,
  driver: DriverModel,
  cost: CostModel,
  options: SweepWorkloadOptions,
): SweepWorkloadResult {
  const ns = driver.info?.namespaces[0];
  if (!ns) throw new DriverError("sweep workload: bring the driver up first (no namespace)");
  const { ios, warmup, queueDepth: qd, contexts } = options;
  const blocksPerIo = IO_BYTES / ns.blockSize;
  const units = Math.min(
    Math.floor((options.spanBytes ?? DEFAULT_SPAN_BYTES) / IO_BYTES),
    Math.floor(ns.blocks / blocksPerIo),
  );
  if (!Number.isInteger(blocksPerIo) || units < 1) {
    throw new DriverError(`sweep workload: namespace ${ns.nsid} cannot hold 4 KiB commands`);
  }
  const opcode = options.kind === "randread" ? NvmOpcode.READ : NvmOpcode.WRITE;
  const rng = new Mulberry32(options.seed);
  const slots: Slot[] = [];
  const free: number[] = [];
  for (let i = 0; i < qd; i++) {
    const addr = host.allocate(IO_BYTES, IO_BYTES);
    const polled = options.polled === "all" || (options.polled === "hot" && i % 2 === 0);
    slots.push({
      index: i,
      cmd: {
        opcode,
        nsid: ns.nsid,
        cdw10: 0,
        cdw11: 0,
        cdw12: blocksPerIo - 1, // NLB is 0's based (NVM CS 1.1 §3.3.4 / §3.3.6)
        data: [{ addr, length: IO_BYTES }],
        // Hot (even) slots share the poll queue; spread the others over every context.
        context: (options.polled === "hot" ? Math.floor(i / 2) : i) % contexts,
        polled,
        more: false,
      },
      submitAt: 0,
    });
    free.push(qd - 1 - i); // slot 0 is used first
  }

  const total = warmup + ios;
  const latencies = new Float64Array(ios);
  let completed = 0, errors = 0, firstError: string | null = null;
  let before: CountersSnapshot | null = null, after: CountersSnapshot | null = null;
  let windowStart = 0, wallStart = 0, mmioStart = 0, irqStart = 0;
  let windowNs = 0, wallNs = 0, mmioAccesses = 0, interruptsTaken = 0;
  const openWindow = () => {
    before = host.counters.snapshot();
    windowStart = host.now();
    wallStart = performance.now();
    mmioStart = host.mmioAccesses;
    irqStart = host.interruptsTaken;
  };
  const closeWindow = () => {
    after = host.counters.snapshot();
    windowNs = host.now() - windowStart;
    wallNs = (performance.now() - wallStart) * 1e6;
    mmioAccesses = host.mmioAccesses - mmioStart;
    interruptsTaken = host.interruptsTaken - irqStart;
  };
  if (warmup === 0) openWindow();

  const callbacks = slots.map((slot) => (c: DriverCompletion) => {
    host.charge(cost.completeNs);
    if (completed >= warmup && completed < total) {
      latencies[completed - warmup] = host.now() - slot.submitAt;
      if (c.status !== 0 || c.hostError !== null) {
        errors++;
        firstError ??= `${options.kind} LBA ${slot.cmd.cdw10}: status 0x${c.status.toString(16)}${
          c.hostError ? ` (${c.hostError})` : ""
        }`;
      }
    }
    completed++;
    if (completed === warmup) openWindow();
    if (completed === total) closeWindow();
    free.push(slot.index);
  });

  const limit = host.now() + (options.maxVirtualNs ?? DEFAULT_MAX_VIRTUAL_NS);
  while (completed < total) {
    while (free.length > 0) {
      const slot = slots[free[free.length - 1]];
      const lba = (rng.nextU32() % units) * blocksPerIo;
      slot.cmd.cdw10 = lba >>> 0;
      slot.submitAt = host.now();
      host.charge(cost.submitNs);
      if (!driver.submit(slot.cmd, callbacks[slot.index])) break; // no tag: wait for one
      free.pop();
    }
    driver.flush();
    if (host.now() >= limit) {
      throw new DriverError(
        `sweep workload: stalled with ${qd - free.length} in flight after ` +
          `${(options.maxVirtualNs ?? DEFAULT_MAX_VIRTUAL_NS) / 1e9} s of virtual time`,
      );
    }
    driver.wait(limit - host.now());
  }
  return {
    latenciesNs: latencies,
    completed: ios,
    errors,
    firstError,
    windowNs,
    wallNs,
    before: before!,
    after: after!,
    mmioAccesses,
    interruptsTaken,
  };
}
