/**
 * One row of the sweep: a fresh machine, the reference controller configured from the cost model
 * and the row's doorbell scheme, a driver brought up in the row's completion mode, optional
 * Interrupt Coalescing, then the 4 KiB workload at the row's queue depth — and the counted events
 * turned into per-I/O rates and modelled latency/IOPS.
 *
 * **How latency and IOPS are derived.** Everything is virtual time in one discrete-event
 * simulation; nothing is measured on the wall clock except `harnessNsPerIo`.
 * 1. Device-side costs are controller options and so delay the device's work directly: a doorbell
 *    is noticed after `doorbellNotifyNs`, a command takes `commandNs` plus `mediaReadNs` /
 *    `mediaWriteNs` before its completion is posted (commands overlap: the model's device is
 *    parallel); with the "polling" EventIdx policy a shadow-only update waits for the next poll,
 *    up to `shadowPollIntervalNs`; a coalesced interrupt waits for the threshold or 100 µs.
 * 2. Host-side events are charged as host time when they are counted (`sweep_host.ts`,
 *    `sweep_workload.ts`): `mmioExitNs` per MMIO access, `interruptNs` per interrupt taken
 *    (+ `wakeupNs` if the host slept for it), `pollNs` per poll iteration (the poll quantum),
 *    `submitNs` / `completeNs` per command. The host is one vCPU, so charges serialize — that is
 *    what limits IOPS when exits dominate — while the device keeps working underneath.
 * 3. A command's latency is its completion time minus its submission time in that virtual time
 *    (mean and p99 over the measured window); IOPS is measured completions ÷ window length.
 * 4. `hostCpuNsPerIo` is the closed form of the host's side: Σ events/IO × cost
 *    ({@linkcode hostCpuNsPerIo}); 1e9 / it bounds IOPS per vCPU. At QD1 the mean latency is about
 *    the device path ({@linkcode qd1FloorNs}) plus that host time — the tests check this.
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import type { ControllerOptions } from "../controller/options.ts";
import type { DriverFactory, DriverModel } from "../driver/model.ts";
import { DriverError } from "../driver/model.ts";
import { Machine } from "../platform/machine.ts";
import { FeatureId, InterruptCoalescing } from "../spec/features.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { type CostModel, hostCpuNsPerIo } from "./cost_model.ts";
import { ChargingHostPort } from "./sweep_host.ts";
import { type Coalescing, coalescingLabel, type RowConfig, seriesKey } from "./sweep_matrix.ts";
import { latencyStats } from "./sweep_stats.ts";
import { type PolledSlots, runSweepWorkload } from "./sweep_workload.ts";

/** Run-size options of a row. */
export interface RowRunOptions {
  /** Measured completions. */
  readonly ios: number;
  /** Seed of the LBA stream. */
  readonly seed: number;
  /**
   * Controller options on top of those the cost model and the row set (default none); the
   * anchor's device-bound profile adds `serialCommandProcessing` here (`sweep_anchor.ts`).
   */
  readonly controller?: Readonly<Partial<ControllerOptions>>;
}

/** One row: its configuration and what it measured. Rates are per measured I/O. */
export interface SweepRow extends RowConfig {
  /** The series (everything but QD), as in the charts' legends. */
  readonly series: string;
  /** `off` or `N/100us`. */
  readonly coalescingLabel: string;
  /** Measured completions. */
  readonly ios: number;
  /** MMIO writes to SQ tail doorbells per I/O. */
  readonly sqTailMmioPerIo: number;
  /** MMIO writes to CQ head doorbells per I/O. */
  readonly cqHeadMmioPerIo: number;
  /** All MMIO writes per I/O (the anchor's "MMIOs per I/O"). */
  readonly mmioWritesPerIo: number;
  /** MSI-X messages delivered per I/O. */
  readonly interruptsPerIo: number;
  /** Interrupts the host took per I/O (several messages to one pending vector are one). */
  readonly interruptsHandledPerIo: number;
  /** Completions the controller held back by coalescing, per I/O. */
  readonly coalescedPerIo: number;
  /** Host waits ended by an interrupt, per I/O. */
  readonly wakeupsPerIo: number;
  /** Host poll iterations of completion queues, per I/O. */
  readonly pollsPerIo: number;
  /** Controller polls of the shadow buffer per I/O ("polling" policy: one per interval). */
  readonly shadowPollsPerIo: number;
  /** Modelled mean latency (ns). */
  readonly meanLatencyNs: number;
  /** Modelled median latency (ns). */
  readonly p50LatencyNs: number;
  /** Modelled 99th-percentile latency (ns). */
  readonly p99LatencyNs: number;
  /** Modelled I/O per second. */
  readonly iops: number;
  /** Modelled host (vCPU) time per I/O under the cost model (ns). */
  readonly hostCpuNsPerIo: number;
  /** Fraction of the window the vCPU was busy (`hostCpuNsPerIo × iops / 1e9`): near 1 means
   * the host is the bottleneck. */
  readonly vcpuBusy: number;
  /** Wall-clock time the harness itself spent per I/O (ns; depends on the machine running it). */
  readonly harnessNsPerIo: number;
  /** Completions with an error status. */
  readonly errors: number;
  /** Host-obligation findings the controller recorded. */
  readonly findings: number;
  /** Why the row could not run (its numbers are then NaN), or null. */
  readonly error: string | null;
}

/** The controller options a row runs with: doorbell scheme plus the device-side costs. */
export function controllerOptionsFor(
  row: Pick<RowConfig, "doorbell">,
  cost: CostModel,
): Partial<ControllerOptions> {
  return {
    shadowDoorbells: row.doorbell !== "mmio",
    eventIdxPolicy: row.doorbell === "shadow-eventidx-polling" ? "polling" : "interrupt",
    doorbellLatencyNs: cost.doorbellNotifyNs,
    commandLatencyNs: cost.commandNs,
    shadowPollIntervalNs: cost.shadowPollIntervalNs,
    latency: { kind: "fixed", ns: cost.mediaReadNs, writeNs: cost.mediaWriteNs },
  };
}

/** Driver options, submitting contexts and polled slots for a row's completion mode. */
export function driverSetupFor(
  row: Pick<RowConfig, "driver" | "completion" | "doorbell" | "queues">,
): { options: Record<string, unknown>; contexts: number; polled: PolledSlots } {
  const shadowDoorbells = row.doorbell !== "mmio";
  const q = row.queues;
  if (row.driver === "spdk") {
    return { options: { ioQueues: q, shadowDoorbells }, contexts: q, polled: "all" };
  }
  switch (row.completion) {
    case "interrupt":
      return { options: { cpus: q, pollQueues: 0, shadowDoorbells }, contexts: q, polled: "none" };
    case "polled":
      // Linux keeps at least one interrupt queue (`poll_queues` ≤ nr_io_queues − 1).
      return { options: { cpus: 1, pollQueues: q, shadowDoorbells }, contexts: q, polled: "all" };
    case "hybrid":
      return { options: { cpus: q, pollQueues: 1, shadowDoorbells }, contexts: q, polled: "hot" };
  }
}

/** Sends Set Features Interrupt Coalescing (FID 08h; THR is 0's based) and waits for it. */
export function setInterruptCoalescing(driver: DriverModel, c: Coalescing): void {
  const value = InterruptCoalescing.encode({ thr: c.threshold - 1, time: c.timeUnits });
  const cdw11 = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
  let status = -1;
  const cmd = {
    admin: true,
    opcode: AdminOpcode.SET_FEATURES,
    cdw10: FeatureId.INTERRUPT_COALESCING,
    cdw11,
  };
  while (!driver.submit(cmd, (done) => (status = done.status))) driver.wait(1e9);
  for (let i = 0; status < 0 && i < 100; i++) driver.wait(1e9);
  if (status !== 0) {
    throw new DriverError(`Set Features Interrupt Coalescing: status 0x${status.toString(16)}`);
  }
}

const perIo = (n: number, ios: number) => n / ios;

/** Runs one row with a driver factory; a failure is reported in the row, not thrown. */
export function runRow(
  config: RowConfig,
  factory: DriverFactory,
  cost: CostModel,
  run: RowRunOptions,
): SweepRow {
  const base = {
    ...config,
    series: seriesKey(config),
    coalescingLabel: coalescingLabel(config.coalescing),
  };
  try {
    return { ...base, ...measure(config, factory, cost, run) };
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { ...base, ...failedMetrics(run.ios), error: message };
  }
}

type Metrics = Omit<SweepRow, keyof RowConfig | "series" | "coalescingLabel">;

function failedMetrics(ios: number): Metrics {
  const nan = NaN;
  return {
    ios,
    sqTailMmioPerIo: nan,
    cqHeadMmioPerIo: nan,
    mmioWritesPerIo: nan,
    interruptsPerIo: nan,
    interruptsHandledPerIo: nan,
    coalescedPerIo: nan,
    wakeupsPerIo: nan,
    pollsPerIo: nan,
    shadowPollsPerIo: nan,
    meanLatencyNs: nan,
    p50LatencyNs: nan,
    p99LatencyNs: nan,
    iops: nan,
    hostCpuNsPerIo: nan,
    vcpuBusy: nan,
    harnessNsPerIo: nan,
    errors: 0,
    findings: 0,
    error: null,
  };
}

function measure(
  config: RowConfig,
  factory: DriverFactory,
  cost: CostModel,
  run: RowRunOptions,
): Metrics {
  const machine = new Machine({ pollQuantumNs: cost.pollNs });
  const ctrl = new NvmeController({ ...controllerOptionsFor(config, cost), ...run.controller });
  const host = new ChargingHostPort(machine.attach(ctrl), machine, cost);
  const setup = driverSetupFor(config);
  const driver = factory(host, setup.options);
  const info = driver.bringUp();
  const shadow = config.doorbell !== "mmio";
  if (info.shadowDoorbells !== shadow) {
    throw new DriverError(
      `${config.driver}: shadow doorbells ${info.shadowDoorbells ? "on" : "off"}, ` +
        `expected ${shadow ? "on" : "off"}`,
    );
  }
  if (config.coalescing.threshold > 1 || config.coalescing.timeUnits > 0) {
    setInterruptCoalescing(driver, config.coalescing);
  }
  const findingsBefore = machine.findings.total;
  host.charging = true;
  const r = runSweepWorkload(host, driver, cost, {
    kind: config.workload,
    ios: run.ios,
    warmup: Math.max(2 * config.qd, Math.ceil(run.ios / 10)),
    queueDepth: config.qd,
    contexts: setup.contexts,
    polled: setup.polled,
    seed: run.seed,
  });
  host.charging = false;
  const ios = r.completed;
  const d = (k: "sqDoorbellWrites" | "cqDoorbellWrites" | "mmioWrites" | "interruptsDelivered") =>
    perIo(r.after[k] - r.before[k], ios);
  const events = {
    mmio: perIo(r.mmioAccesses, ios),
    interrupts: perIo(r.interruptsTaken, ios),
    wakeups: perIo(r.after.wakeups - r.before.wakeups, ios),
    polls: perIo(r.after.polls - r.before.polls, ios),
  };
  const stats = latencyStats(r.latenciesNs);
  const polling = config.doorbell === "shadow-eventidx-polling";
  const iops = r.windowNs > 0 ? (ios * 1e9) / r.windowNs : NaN;
  const hostCpu = hostCpuNsPerIo(events, cost);
  return {
    ios,
    sqTailMmioPerIo: d("sqDoorbellWrites"),
    cqHeadMmioPerIo: d("cqDoorbellWrites"),
    mmioWritesPerIo: d("mmioWrites"),
    interruptsPerIo: d("interruptsDelivered"),
    interruptsHandledPerIo: events.interrupts,
    coalescedPerIo: perIo(r.after.interruptsCoalesced - r.before.interruptsCoalesced, ios),
    wakeupsPerIo: events.wakeups,
    pollsPerIo: events.polls,
    // The polling policy re-arms its poll every interval for as long as shadow doorbells are
    // configured (controller/queue_engine.ts), so the count follows from the window length.
    shadowPollsPerIo: polling ? perIo(Math.floor(r.windowNs / cost.shadowPollIntervalNs), ios) : 0,
    meanLatencyNs: stats.mean,
    p50LatencyNs: stats.p50,
    p99LatencyNs: stats.p99,
    iops,
    hostCpuNsPerIo: hostCpu,
    vcpuBusy: (hostCpu * iops) / 1e9,
    harnessNsPerIo: r.wallNs / ios,
    errors: r.errors,
    findings: machine.findings.total - findingsBefore,
    error: r.errors > 0 ? `${r.errors} commands failed; first: ${r.firstError}` : null,
  };
}
