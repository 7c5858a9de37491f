// `trace`: run one small scenario (bring-up, Identify, one read or write, shutdown) through a
// driver model against the reference controller, or QEMU's emulated NVMe over qtest, and print
// both sides of the protocol: QEMU-style trace lines, an aligned timeline, or Perfetto JSON.
// Latency can be injected above the driver (`--host-delay`, a block-layer delay before submission)
// or in the reference controller's media (`--device-delay`), so the trace shows where time goes.
// On QEMU the device side is QEMU's own `pci_nvme_*` trace, merged in causal order with the host's
// events (see platform/qtest/qemu_trace_bridge.ts).

import { NvmeController } from "../controller/controller.ts";
import { BlockDevice } from "../driver/block_device.ts";
import { DriverError, type DriverModel } from "../driver/model.ts";
import { BUILTIN_DRIVERS, resolveDriver } from "../driver/registry.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { qemuAvailable } from "../platform/qtest/available.ts";
import { startQemu } from "../platform/qtest/machine.ts";
import { MemoryTraceSink } from "../platform/trace.ts";
import type { TraceEvent } from "../platform/trace_events.ts";
import { renderPerfetto } from "../platform/trace_perfetto.ts";
import { formatQemuTraceLine } from "../platform/trace_qemu.ts";
import { renderTimeline } from "../platform/trace_timeline.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { Cns } from "../spec/admin_commands.ts";
import { IDENTIFY_DATA_SIZE } from "../spec/identify_controller.ts";
import { chooseFormat, parseFlags, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import {
  parseScenarioFile,
  runScenarioSteps,
  type ScenarioFile,
  ScenarioFileError,
} from "./trace_scenario.ts";

/** Scenarios: what runs while the trace is recorded. */
const SCENARIOS = ["bringup", "identify", "read", "write", "shutdown"] as const;
/** A built-in scenario or a scenario file (cli/trace_scenario.ts). */
type Scenario = typeof SCENARIOS[number] | ScenarioFile;

/** Reads and parses `--scenario FILE`; every problem is one usage line. */
function loadScenarioFile(path: string): ScenarioFile {
  let text;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new UsageError(`trace: cannot read scenario file ${path}: ${(e as Error).message}`);
  }
  try {
    return parseScenarioFile(text, path);
  } catch (e) {
    if (e instanceof ScenarioFileError) throw new UsageError(`trace: ${e.message}`);
    throw e;
  }
}

/** Targets: the device the scenario runs against. */
const TARGETS = ["reference", "qemu"] as const;
type Target = typeof TARGETS[number];

/** Output formats. */
const FORMATS: Readonly<Record<string, (events: readonly TraceEvent[]) => string>> = {
  qemu: (events) =>
    events.map((e) => formatQemuTraceLine(e, { timestamps: true })).filter((l) => l !== null)
      .join("\n") + "\n",
  timeline: renderTimeline,
  perfetto: (events) => renderPerfetto(events) + "\n",
};

/** Help text for `trace`. */
export const TRACE_HELP = `Trace one scenario through a driver model and a controller.

Usage:
  deno task trace [options]

Options:
  --scenario S      bringup | identify | read | write | shutdown (default: read), or a
                    scenario file FILE.json: {"description": "…", "traceBringup": false,
                    "steps": [{"op": "write", "lba": 8, "blocks": 2, "fua": true},
                    {"op": "read", "lba": 8}, {"op": "flush"}, …]}; ops: read, write,
                    write-zeroes, deallocate, flush, identify (cns, nsid), sleep (ns), reset,
                    shutdown. A failing step is traced as a note and the run goes on
  --driver D        ${Object.keys(BUILTIN_DRIVERS).join(" | ")} | ./module.ts (default: linux)
  --target T        reference  the reference controller in virtual time (default)
                    qemu       QEMU's emulated NVMe (qemu-system-x86_64 -device nvme, 7.2+) over
                               qtest in wall-clock time, with QEMU's own trace
                               (-trace 'pci_nvme_*') merged in: pci_nvme_* lines are QEMU's,
                               under QEMU's pid; host_* lines are the driver's
  --format F        qemu      QEMU trace-event lines (pci_nvme_* names) plus host_* lines for
                              what QEMU cannot show: the SQE written, the doorbell decision,
                              the CQE consumed (default)
                    timeline  aligned text in virtual time, per queue
                    perfetto  Chrome/Perfetto JSON: a track per side and queue, commands as
                              slices from submission to completion (open in ui.perfetto.dev)
  --out FILE        write the trace to FILE instead of stdout
  --lba N           LBA of the read or write (default 0)
  --host-delay NS   block-layer delay before the command is submitted (virtual ns, default 0)
  --device-delay NS media latency of the reference controller (virtual ns, default 0)
  -h, --help        this help

Examples:
  deno task trace --scenario read --format timeline
  deno task trace --scenario write --device-delay 20000 --format perfetto --out write.json
  deno task trace --scenario bringup --driver spdk --format qemu | grep -E 'host_|create_'
  deno task trace --scenario read --target qemu --format qemu
  deno task trace --scenario ./write-then-read.json --format timeline
  deno task trace --scenario write --target qemu --format perfetto --out qemu-write.json
`;

function nonNegative(name: string, v: unknown): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) {
    throw new UsageError(`trace: --${name} must be a whole number ≥ 0, got "${v}"`);
  }
  return n;
}

/** Runs the command: returns the trace text (stdout) or an exit code after writing `--out`. */
export async function runTrace(argv: readonly string[], io: CliIo): Promise<number | string> {
  const args = parseFlags("trace", argv, {
    string: ["scenario", "driver", "format", "out", "lba", "host-delay", "device-delay", "target"],
  });
  if (args.help) return TRACE_HELP;
  if (args._.length > 0) throw new UsageError(`trace: unexpected argument "${args._[0]}"`);
  const scenarioArg = String(args.scenario ?? "read");
  let scenario: Scenario;
  if ((SCENARIOS as readonly string[]).includes(scenarioArg)) {
    scenario = scenarioArg as Scenario;
  } else if (/[\\/]|\.json$/.test(scenarioArg)) {
    scenario = loadScenarioFile(scenarioArg);
  } else {
    throw new UsageError(
      `trace: unknown scenario "${scenarioArg}"; use ${SCENARIOS.join(", ")} or a FILE.json`,
    );
  }
  const render = chooseFormat("trace", args.format, "qemu", FORMATS);
  const lba = nonNegative("lba", args.lba);
  const hostDelay = nonNegative("host-delay", args["host-delay"]);
  const deviceDelay = nonNegative("device-delay", args["device-delay"]);
  const target = String(args.target ?? "reference") as Target;
  if (!TARGETS.includes(target)) {
    throw new UsageError(`trace: unknown target "${target}"; use ${TARGETS.join(", ")}`);
  }
  if (target === "qemu") {
    if (deviceDelay > 0) {
      throw new UsageError("trace: --device-delay needs --target reference (QEMU has its own)");
    }
    const available = qemuAvailable();
    if (!available.ok) throw new UsageError(`trace: --target qemu: ${available.reason}`);
  }
  let driverSpec;
  try {
    driverSpec = await resolveDriver(String(args.driver ?? "linux"));
  } catch (e) {
    if (e instanceof DriverError) throw new UsageError(`trace: ${e.message}`);
    throw e;
  }
  let events: TraceEvent[];
  if (target === "qemu") {
    try {
      events = recordScenarioOnQemu(scenario, driverSpec.factory, { lba, hostDelay, deviceDelay });
    } catch (e) {
      // QEMU failing to start or the driver failing on it: one line, not a stack trace.
      io.stderr(`nvme-harness: trace: --target qemu: ${e instanceof Error ? e.message : e}\n`);
      return 1;
    }
  } else {
    events = recordScenario(scenario, driverSpec.factory, { lba, hostDelay, deviceDelay });
  }
  const text = render(events);
  if (args.out === undefined) return text;
  try {
    Deno.writeTextFileSync(String(args.out), text);
  } catch (e) {
    io.stderr(`nvme-harness: trace: cannot write ${args.out}: ${(e as Error).message}\n`);
    io.stdout(text);
    return 1;
  }
  io.stdout(`trace: ${events.length} events written to ${args.out}\n`);
  return 0;
}

/** Options of {@linkcode recordScenario}. */
export interface ScenarioOptions {
  /** LBA of the read or write. */
  readonly lba: number;
  /** Host-side delay before submission (ns). */
  readonly hostDelay: number;
  /** Media latency (ns). */
  readonly deviceDelay: number;
}

/** Runs `scenario` and returns the events recorded while it ran (both sides). */
export function recordScenario(
  scenario: Scenario,
  factory: (host: HostPort) => DriverModel,
  o: ScenarioOptions,
): TraceEvent[] {
  const machine = new Machine();
  const host = machine.attach(
    new NvmeController({
      latency: o.deviceDelay > 0 ? { kind: "fixed", ns: o.deviceDelay } : { kind: "none" },
    }),
  );
  const sink = new MemoryTraceSink();
  runScenario(scenario, host, factory(host), o, () => machine.trace.addSink(sink));
  return [...sink.events];
}

/** Serial number of the QEMU controller the trace runs against. */
const QEMU_SERIAL = "nvme-trace";

/**
 * Runs `scenario` on a fresh QEMU (`--target qemu`) with QEMU's `pci_nvme_*` trace on, and returns
 * the host's events and QEMU's, merged in causal order (QEMU's carry `qemu`: its pid and text).
 * Throws when QEMU cannot start; `o.deviceDelay` is ignored (QEMU's media has its own latency).
 */
export function recordScenarioOnQemu(
  scenario: Scenario,
  factory: (host: HostPort) => DriverModel,
  o: ScenarioOptions,
): TraceEvent[] {
  const m = startQemu({ serial: QEMU_SERIAL, trace: { events: ["pci_nvme_*"] } });
  const sink = new MemoryTraceSink();
  try {
    const host = m.host;
    runScenario(scenario, host, factory(host), o, () => {
      host.drainQemuTrace(); // lines of the machine's start and earlier steps are not wanted
      host.traceHub.addSink(sink);
    });
    host.poll(); // QEMU's last lines (bottom halves after the final access)
    host.traceHub.removeSink(sink);
    // Wall-clock time since QEMU started means little here: count from the first event instead.
    const t0 = sink.events[0]?.t ?? 0;
    for (const e of sink.events) e.t -= t0;
    return [...sink.events];
  } finally {
    m.close();
  }
}

/** The scenario's steps; `startTracing` is called where the recorded part begins. */
function runScenario(
  scenario: Scenario,
  host: HostPort,
  driver: DriverModel,
  o: ScenarioOptions,
  startTracing: () => void,
): void {
  if (scenario === "bringup") {
    startTracing();
    driver.bringUp();
    return;
  }
  if (typeof scenario === "object") {
    if (scenario.traceBringup) startTracing();
    driver.bringUp();
    const disk = new BlockDevice(host, driver);
    if (!scenario.traceBringup) startTracing();
    runScenarioSteps(scenario, host, driver, disk);
    return;
  }
  driver.bringUp();
  const disk = new BlockDevice(host, driver);
  const buf = host.allocate(IDENTIFY_DATA_SIZE, IDENTIFY_DATA_SIZE);
  const block = new Uint8Array(disk.blockSize).fill(0xa5);
  startTracing();
  if (o.hostDelay > 0) {
    host.trace.emit({ type: "host_note", text: `block layer: request waits ${o.hostDelay} ns` });
    host.sleep(o.hostDelay);
  }
  switch (scenario) {
    case "identify":
      disk.exec({
        admin: true,
        opcode: AdminOpcode.IDENTIFY,
        cdw10: Cns.CONTROLLER,
        data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
      });
      break;
    case "read":
      disk.read(o.lba, 1);
      break;
    case "write":
      disk.write(o.lba, block);
      break;
    case "shutdown":
      driver.shutdown();
      break;
  }
}
