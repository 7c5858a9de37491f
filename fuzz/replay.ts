/**
 * Replay files: a failed property written as JSON — property, driver, seed, fast-check path (and
 * `replayPath` for model-based properties), controller options (mutants), the error and the
 * shrunk counterexample as readable steps — so that `deno task fuzz --replay FILE` re-runs exactly
 * that case. fast-check regenerates the case from seed + path; the steps are for people.
 *
 * @example
 * ```ts
 * import { parseReplay, replayRecord } from "./replay.ts";
 * const record = replayRecord({
 *   property: "need-event", section: "Base 2.1 §5.2.5", status: "fail", seed: 7, runs: 3,
 *   shrinks: 2, interrupted: false, path: "2:0", replayPath: null, counterexample: "[[0,0,1]]",
 *   steps: ["need_event(eventIdx=0, new=0, old=1)"], error: "PropertyViolation: …", durationMs: 1,
 * }, { driver: "linux" });
 * const back = parseReplay(JSON.stringify(record), "inline");
 * if (back.path !== "2:0" || back.seed !== 7) throw new Error();
 * ```
 *
 * @module
 */

import type { ControllerOptions } from "../controller/options.ts";
import type { PropertyResult } from "./runner.ts";

/** Format tag of a replay file. */
export const REPLAY_FORMAT = "nvme-harness-fuzz-replay/1";

/** What a replay file holds. */
export interface ReplayRecord {
  /** Always {@linkcode REPLAY_FORMAT}. */
  readonly format: typeof REPLAY_FORMAT;
  /** Property name. */
  readonly property: string;
  /** Driver the property ran (`--driver` value), or null for pure properties. */
  readonly driver: string | null;
  /** Driver options passed to the factory. */
  readonly driverOptions: Readonly<Record<string, unknown>>;
  /** Controller options laid over the property's own (mutants). */
  readonly controller: Readonly<Partial<ControllerOptions>>;
  /** fast-check seed. */
  readonly seed: number;
  /** fast-check path of the shrunk counterexample. */
  readonly path: string;
  /** fast-check `replayPath` (model-based properties), or null. */
  readonly replayPath: string | null;
  /** The violation. */
  readonly error: string;
  /** The counterexample as readable steps. */
  readonly steps: readonly string[];
  /** The counterexample as fast-check renders it. */
  readonly counterexample: string;
}

/** A replay file that cannot be used. */
export class ReplayFileError extends Error {
  /** Creates the error; the message names the file and what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ReplayFileError";
  }
}

/** Where it ran: the driver spec and options, and controller overrides. */
export interface ReplayContext {
  /** `--driver` value, or null/undefined for pure properties. */
  readonly driver?: string | null;
  /** Driver options. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  /** Controller overrides. */
  readonly controller?: Readonly<Partial<ControllerOptions>>;
}

/** The record for a failed result. */
export function replayRecord(result: PropertyResult, where: ReplayContext): ReplayRecord {
  if (result.status !== "fail" || result.path === null) {
    throw new ReplayFileError(`${result.property} did not fail: nothing to replay`);
  }
  return {
    format: REPLAY_FORMAT,
    property: result.property,
    driver: where.driver ?? null,
    driverOptions: where.driverOptions ?? {},
    controller: where.controller ?? {},
    seed: result.seed,
    path: result.path,
    replayPath: result.replayPath,
    error: result.error,
    steps: result.steps,
    counterexample: result.counterexample ?? "",
  };
}

/** A file name for a record: `<property>-seed<seed>.json`. */
export function replayFileName(record: ReplayRecord): string {
  return `${record.property}-seed${record.seed >>> 0}.json`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and validates replay JSON; `source` names it in errors. */
export function parseReplay(text: string, source: string): ReplayRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ReplayFileError(`${source} is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (!isObject(v) || v.format !== REPLAY_FORMAT) {
    throw new ReplayFileError(`${source} is not a replay file (format "${REPLAY_FORMAT}")`);
  }
  const need = (name: string, ok: boolean) => {
    if (!ok) {
      throw new ReplayFileError(`${source}: field "${name}" is missing or has the wrong type`);
    }
  };
  need("property", typeof v.property === "string");
  need("driver", v.driver === null || typeof v.driver === "string");
  need("driverOptions", isObject(v.driverOptions));
  need("controller", isObject(v.controller));
  need("seed", Number.isInteger(v.seed));
  need("path", typeof v.path === "string" && /^\d+(:\d+)*$/.test(v.path as string));
  need("replayPath", v.replayPath === null || typeof v.replayPath === "string");
  need(
    "steps",
    Array.isArray(v.steps) && (v.steps as unknown[]).every((s) => typeof s === "string"),
  );
  need("error", typeof v.error === "string");
  need("counterexample", typeof v.counterexample === "string");
  return v as unknown as ReplayRecord;
}

/** Writes `record` into directory `dir` (created if needed); returns the file's path. */
export function writeReplay(dir: string, record: ReplayRecord): string {
  Deno.mkdirSync(dir, { recursive: true });
  const path = `${dir.replace(/\/+$/, "")}/${replayFileName(record)}`;
  Deno.writeTextFileSync(path, JSON.stringify(record, null, 2) + "\n");
  return path;
}

/** Where {@linkcode saveReplay} reports. */
export interface ReplaySink {
  /** Normal output. */
  stdout(text: string): void;
  /** Error output. */
  stderr(text: string): void;
}

/**
 * Writes `record` into `dir` and prints the replay command; when the file cannot be written, says
 * so on stderr and prints the record itself on stdout (nothing is lost). False on that failure.
 */
export function saveReplay(dir: string, record: ReplayRecord, sink: ReplaySink): boolean {
  try {
    sink.stdout(`  replay: deno task fuzz --replay ${writeReplay(dir, record)}\n`);
    return true;
  } catch (e) {
    sink.stderr(
      `nvme-harness: fuzz: cannot write replay file into ${dir}: ${
        e instanceof Error ? e.message.split("\n")[0] : e
      }\n`,
    );
    sink.stdout(`  replay record: ${JSON.stringify(record)}\n`);
    return false;
  }
}

/** Reads and validates the replay file at `path`. */
export function readReplay(path: string): ReplayRecord {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new ReplayFileError(
      `cannot read replay file ${path}: ${e instanceof Error ? e.message : e}`,
    );
  }
  return parseReplay(text, path);
}
