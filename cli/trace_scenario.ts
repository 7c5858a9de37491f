// Scenario files for `trace --scenario FILE`: a JSON list of block-layer and admin steps run
// through the driver after bring-up, so a person can trace exactly the sequence they care about
// (a write then a read of the same LBA, a flush, a reset in the middle) without writing code.

import type { BlockDevice } from "../driver/block_device.ts";
import { IoError } from "../driver/block_device.ts";
import { DriverError, type DriverModel } from "../driver/model.ts";
import type { HostPort } from "../platform/ports.ts";
import { Cns } from "../spec/admin_commands.ts";
import { IDENTIFY_DATA_SIZE } from "../spec/identify_controller.ts";
import { AdminOpcode } from "../spec/opcodes.ts";

/** One step of a scenario file; LBAs and block counts are in the namespace's block size. */
export type ScenarioStep =
  | { readonly op: "read"; readonly lba: number; readonly blocks: number }
  | {
    readonly op: "write";
    readonly lba: number;
    readonly blocks: number;
    readonly pattern: number;
    readonly fua: boolean;
  }
  | { readonly op: "write-zeroes" | "deallocate"; readonly lba: number; readonly blocks: number }
  | { readonly op: "flush" | "reset" | "shutdown" }
  | { readonly op: "identify"; readonly cns: number; readonly nsid: number }
  | { readonly op: "sleep"; readonly ns: number };

/** The fields each operation takes besides `op`. */
const STEP_FIELDS: Readonly<Record<ScenarioStep["op"], readonly string[]>> = {
  read: ["lba", "blocks"],
  write: ["lba", "blocks", "pattern", "fua"],
  "write-zeroes": ["lba", "blocks"],
  deallocate: ["lba", "blocks"],
  flush: [],
  identify: ["cns", "nsid"],
  sleep: ["ns"],
  reset: [],
  shutdown: [],
};

/** A parsed scenario file. */
export interface ScenarioFile {
  /** Shown as the first host note of the trace. */
  readonly description: string;
  /** Record the bring-up too (default false: tracing starts after it). */
  readonly traceBringup: boolean;
  /** The steps, in order. */
  readonly steps: readonly ScenarioStep[];
}

/** A scenario file that cannot be used; the message names the file and the step. */
export class ScenarioFileError extends Error {
  /** `name`: the file, for the message. */
  constructor(name: string, message: string) {
    super(`${name}: ${message}`);
    this.name = "ScenarioFileError";
  }
}

/** Most blocks one step may move: a trace is for reading, and the buffer is allocated per step. */
export const MAX_STEP_BLOCKS = 256;

/** The operations a step may name, with the fields each takes (for messages). */
export const SCENARIO_OPS: Readonly<Record<ScenarioStep["op"], string>> = {
  read: "lba, blocks (default 1)",
  write: "lba, blocks (default 1), pattern (byte 0-255, default 165), fua (default false)",
  "write-zeroes": "lba, blocks (default 1)",
  deallocate: "lba, blocks (default 1)",
  flush: "",
  identify: "cns (default 1, controller), nsid (default 0)",
  sleep: "ns",
  reset: "",
  shutdown: "",
};

/**
 * Parses a scenario file's text: `{"description"?, "traceBringup"?, "steps": [{"op": …}, …]}`.
 * Throws {@linkcode ScenarioFileError} with the step number and field on any mistake.
 *
 * @example
 * ```ts
 * import { parseScenarioFile } from "./trace_scenario.ts";
 * const s = parseScenarioFile('{"steps": [{"op": "write", "lba": 8}, {"op": "read", "lba": 8}]}', "x.json");
 * if (s.steps.length !== 2 || s.steps[0].op !== "write") throw new Error();
 * ```
 */
export function parseScenarioFile(text: string, name: string): ScenarioFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioFileError(name, `not JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc) || !Array.isArray(doc.steps) || doc.steps.length === 0) {
    throw new ScenarioFileError(name, 'expected {"steps": [{"op": "read", "lba": 0}, …]}');
  }
  const description = doc.description === undefined ? "" : String(doc.description);
  const traceBringup = doc.traceBringup === true;
  const steps = doc.steps.map((raw: unknown, i: number) =>
    parseStep(raw, `${name}: step ${i + 1}`)
  );
  return { description, traceBringup, steps };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseStep(raw: unknown, where: string): ScenarioStep {
  if (!isObject(raw) || typeof raw.op !== "string" || !(raw.op in SCENARIO_OPS)) {
    throw new ScenarioFileError(
      where,
      `"op" must be one of ${Object.keys(SCENARIO_OPS).join(", ")}`,
    );
  }
  const op = raw.op as ScenarioStep["op"];
  const unknown = Object.keys(raw).find((k) => k !== "op" && !STEP_FIELDS[op].includes(k));
  if (unknown !== undefined) {
    throw new ScenarioFileError(
      where,
      `${op}: unknown field "${unknown}" (fields: ${SCENARIO_OPS[op] || "none"})`,
    );
  }
  const int = (field: string, fallback: number | null, max = Number.MAX_SAFE_INTEGER, min = 0) => {
    const v = raw[field] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new ScenarioFileError(
        where,
        `${op}: "${field}" must be a whole number ${min}..${max} (fields: ${SCENARIO_OPS[op]})`,
      );
    }
    return v;
  };
  const blocks = () => int("blocks", 1, MAX_STEP_BLOCKS, 1);
  switch (op) {
    case "read":
    case "write-zeroes":
    case "deallocate":
      return { op, lba: int("lba", null), blocks: blocks() };
    case "write":
      return {
        op,
        lba: int("lba", null),
        blocks: blocks(),
        pattern: int("pattern", 0xa5, 0xff),
        fua: raw.fua === true,
      };
    case "identify":
      return { op, cns: int("cns", Cns.CONTROLLER, 0xff), nsid: int("nsid", 0, 0xffff_ffff) };
    case "sleep":
      return { op, ns: int("ns", null) };
    default:
      return { op } as ScenarioStep;
  }
}

/**
 * Runs the steps through `disk` (its driver already brought up). A step that fails is traced as
 * a host note and the run goes on: the trace of a failing command is often the point.
 */
export function runScenarioSteps(
  file: ScenarioFile,
  host: HostPort,
  driver: DriverModel,
  disk: BlockDevice,
): void {
  const note = (text: string) => host.trace.emit({ type: "host_note", text });
  if (file.description) note(`scenario: ${file.description}`);
  const buf = host.allocate(IDENTIFY_DATA_SIZE, IDENTIFY_DATA_SIZE);
  file.steps.forEach((step, i) => {
    try {
      runStep(step, host, driver, disk, buf);
    } catch (e) {
      if (!(e instanceof IoError || e instanceof DriverError)) throw e;
      note(`step ${i + 1} (${step.op}) failed: ${e.message}`);
    }
  });
}

function runStep(
  step: ScenarioStep,
  host: HostPort,
  driver: DriverModel,
  disk: BlockDevice,
  buf: number,
): void {
  switch (step.op) {
    case "read":
      disk.read(step.lba, step.blocks);
      return;
    case "write":
      disk.write(
        step.lba,
        new Uint8Array(step.blocks * disk.blockSize).fill(step.pattern),
        { fua: step.fua },
      );
      return;
    case "write-zeroes":
      disk.writeZeroes(step.lba, step.blocks);
      return;
    case "deallocate":
      disk.deallocate(step.lba, step.blocks);
      return;
    case "flush":
      disk.flush();
      return;
    case "identify": {
      const c = disk.exec({
        admin: true,
        opcode: AdminOpcode.IDENTIFY,
        nsid: step.nsid,
        cdw10: step.cns,
        data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
      });
      if (c.status !== 0 || c.hostError) throw new IoError(`Identify CNS ${step.cns}`, c);
      return;
    }
    case "sleep":
      host.sleep(step.ns);
      return;
    case "reset":
      driver.reset();
      return;
    case "shutdown":
      driver.shutdown();
      return;
  }
}
