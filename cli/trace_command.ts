// `trace`: run one small scenario (bring-up, Identify, one read or write, shutdown) through a
// driver model against the reference controller and print both sides of the protocol: QEMU-style
// trace lines, an aligned timeline, or Perfetto JSON. Latency can be injected above the driver
// (`--host-delay`, a block-layer delay before submission) or in the media (`--device-delay`), so
// the trace shows where time goes.

import { NvmeController } from "../controller/controller.ts";
import { BlockDevice } from "../driver/block_device.ts";
import { DriverError, type DriverModel } from "../driver/model.ts";
import { BUILTIN_DRIVERS, resolveDriver } from "../driver/registry.ts";
import { Machine } from "../platform/machine.ts";
import { MemoryTraceSink } from "../platform/trace.ts";
import type { TraceEvent } from "../platform/trace_events.ts";
import { renderPerfetto } from "../platform/trace_perfetto.ts";
import { formatQemuTraceLine } from "../platform/trace_qemu.ts";
import { renderTimeline } from "../platform/trace_timeline.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { Cns } from "../spec/admin_commands.ts";
import { IDENTIFY_DATA_SIZE } from "../spec/identify_controller.ts";
import { parseFlags, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";

/** Scenarios: what runs while the trace is recorded. */
const SCENARIOS = ["bringup", "identify", "read", "write", "shutdown"] as const;
type Scenario = typeof SCENARIOS[number];

/** Output formats. */
const FORMATS: Readonly<Record<string, (events: readonly TraceEvent[]) => string>> = {
  qemu: (events) =>
    events.map((e) => formatQemuTraceLine(e, { timestamps: true })).filter((l) => l !== null)
      .join("\n") + "\n",
  timeline: renderTimeline,
  perfetto: (events) => renderPerfetto(events) + "\n",
};

/** Help text for `trace`. */
export const TRACE_HELP = `Trace one scenario through a driver model and the reference controller.

Usage:
  deno task trace [options]

Options:
  --scenario S      bringup | identify | read | write | shutdown (default: read)
  --driver D        ${Object.keys(BUILTIN_DRIVERS).join(" | ")} | ./module.ts (default: linux)
  --format F        qemu      QEMU trace-event lines (pci_nvme_* names) plus host_* lines for
                              what QEMU cannot show: the SQE written, the doorbell decision,
                              the CQE consumed (default)
                    timeline  aligned text in virtual time, per queue
                    perfetto  Chrome/Perfetto JSON: a track per side and queue, commands as
                              slices from submission to completion (open in ui.perfetto.dev)
  --out FILE        write the trace to FILE instead of stdout
  --lba N           LBA of the read or write (default 0)
  --host-delay NS   block-layer delay before the command is submitted (virtual ns, default 0)
  --device-delay NS media latency of the controller (virtual ns, default 0)
  -h, --help        this help

Examples:
  deno task trace --scenario read --format timeline
  deno task trace --scenario write --device-delay 20000 --format perfetto --out write.json
  deno task trace --scenario bringup --driver spdk --format qemu | grep -E 'host_|create_'
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
    string: ["scenario", "driver", "format", "out", "lba", "host-delay", "device-delay"],
  });
  if (args.help) return TRACE_HELP;
  if (args._.length > 0) throw new UsageError(`trace: unexpected argument "${args._[0]}"`);
  const scenario = String(args.scenario ?? "read") as Scenario;
  if (!SCENARIOS.includes(scenario)) {
    throw new UsageError(`trace: unknown scenario "${scenario}"; use ${SCENARIOS.join(", ")}`);
  }
  const format = String(args.format ?? "qemu");
  const render = FORMATS[format];
  if (!render) {
    throw new UsageError(
      `trace: unknown format "${format}"; use ${Object.keys(FORMATS).join(", ")}`,
    );
  }
  const lba = nonNegative("lba", args.lba);
  const hostDelay = nonNegative("host-delay", args["host-delay"]);
  const deviceDelay = nonNegative("device-delay", args["device-delay"]);
  let driverSpec;
  try {
    driverSpec = await resolveDriver(String(args.driver ?? "linux"));
  } catch (e) {
    if (e instanceof DriverError) throw new UsageError(`trace: ${e.message}`);
    throw e;
  }
  const events = recordScenario(scenario, driverSpec.factory, { lba, hostDelay, deviceDelay });
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
  factory: (host: import("../platform/ports.ts").HostPort) => DriverModel,
  o: ScenarioOptions,
): TraceEvent[] {
  const machine = new Machine();
  const host = machine.attach(
    new NvmeController({
      latency: o.deviceDelay > 0 ? { kind: "fixed", ns: o.deviceDelay } : { kind: "none" },
    }),
  );
  const sink = new MemoryTraceSink();
  const driver = factory(host);
  if (scenario === "bringup") {
    machine.trace.addSink(sink);
    driver.bringUp();
    return [...sink.events];
  }
  driver.bringUp();
  const disk = new BlockDevice(host, driver);
  const buf = host.allocate(IDENTIFY_DATA_SIZE, IDENTIFY_DATA_SIZE);
  const block = new Uint8Array(disk.blockSize).fill(0xa5);
  machine.trace.addSink(sink);
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
  return [...sink.events];
}
