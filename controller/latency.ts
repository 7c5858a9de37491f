/**
 * The media latency model of the reference controller: how long (in virtual nanoseconds) a data
 * command spends "in the media" before it completes, and the no-op I/O mode for latency studies.
 *
 * - `none` (the default): media work takes no virtual time.
 * - `fixed`: every data command takes `ns` (optionally `writeNs` for writes).
 * - `per-byte`: `baseNs + bytes × nsPerByte` (optionally separate write constants).
 *
 * With `noopIo` set, I/O commands complete successfully without touching the media (no data is
 * moved or stored); the latency model still applies, so a study measures the queueing, doorbell
 * and interrupt path alone.
 *
 * @example
 * ```ts
 * import { mediaLatencyNs, parseLatencyModel } from "./latency.ts";
 * const model = parseLatencyModel("per-byte:2000+0.25");
 * if (mediaLatencyNs(model, 4096, false) !== 3024) throw new Error("2 µs + 4096 × 0.25 ns");
 * ```
 *
 * @module
 */

/** No media latency: completions are posted as soon as the command is processed. */
export interface NoLatency {
  /** Model kind. */
  readonly kind: "none";
}

/** The same latency for every data command, whatever its size. */
export interface FixedLatency {
  /** Model kind. */
  readonly kind: "fixed";
  /** Nanoseconds per command (reads, and writes unless `writeNs` is given). */
  readonly ns: number;
  /** Nanoseconds per write command (default `ns`). */
  readonly writeNs?: number;
}

/** A base latency plus a cost per byte transferred. */
export interface PerByteLatency {
  /** Model kind. */
  readonly kind: "per-byte";
  /** Nanoseconds per command before any byte moves. */
  readonly baseNs: number;
  /** Nanoseconds per byte transferred (may be fractional). */
  readonly nsPerByte: number;
  /** Base nanoseconds of a write (default `baseNs`). */
  readonly writeBaseNs?: number;
  /** Nanoseconds per byte written (default `nsPerByte`). */
  readonly writeNsPerByte?: number;
}

/** A selectable media latency model. */
export type LatencyModel = NoLatency | FixedLatency | PerByteLatency;

/** The latency options of a controller's media. */
export interface LatencyOptions {
  /** The media latency model (default `{ kind: "none" }`). */
  readonly model: LatencyModel;
  /**
   * No-op I/O mode (default false): Read, Write, Write Zeroes, Compare, Flush and Dataset
   * Management complete with Successful Completion without touching the media.
   */
  readonly noopIo: boolean;
}

/** The default model: no media latency. */
export const DEFAULT_LATENCY_MODEL: LatencyModel = Object.freeze({ kind: "none" });

/** The default latency options: no latency, real I/O. */
export const DEFAULT_LATENCY_OPTIONS: LatencyOptions = Object.freeze({
  model: DEFAULT_LATENCY_MODEL,
  noopIo: false,
});

/** Thrown for a latency model with a negative or non-finite constant, or an unknown spelling. */
export class LatencyModelError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LatencyModelError";
  }
}

function checkConstant(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
    throw new LatencyModelError(`latency model: ${name} is ${v}; use a finite number ≥ 0`);
  }
}

/** Validates a model, throwing {@linkcode LatencyModelError}; returns it for chaining. */
export function validateLatencyModel(model: LatencyModel): LatencyModel {
  switch (model.kind) {
    case "none":
      return model;
    case "fixed":
      checkConstant("ns", model.ns);
      checkConstant("writeNs", model.writeNs);
      return model;
    case "per-byte":
      checkConstant("baseNs", model.baseNs);
      checkConstant("nsPerByte", model.nsPerByte);
      checkConstant("writeBaseNs", model.writeBaseNs);
      checkConstant("writeNsPerByte", model.writeNsPerByte);
      return model;
    default:
      throw new LatencyModelError(
        `latency model kind ${(model as { kind: unknown }).kind}: use none, fixed or per-byte`,
      );
  }
}

/**
 * The media latency in whole virtual nanoseconds (rounded to nearest) of a command moving
 * `bytes` bytes; `isWrite` selects the write constants where the model has them. Pure.
 */
export function mediaLatencyNs(model: LatencyModel, bytes: number, isWrite: boolean): number {
  switch (model.kind) {
    case "none":
      return 0;
    case "fixed":
      return Math.round(isWrite ? model.writeNs ?? model.ns : model.ns);
    case "per-byte": {
      const base = isWrite ? model.writeBaseNs ?? model.baseNs : model.baseNs;
      const perByte = isWrite ? model.writeNsPerByte ?? model.nsPerByte : model.nsPerByte;
      return Math.round(base + bytes * perByte);
    }
  }
}

/**
 * Parses the command-line spelling of a model: `none`, `fixed:<ns>`, `fixed:<read ns>/<write
 * ns>`, `per-byte:<baseNs>+<nsPerByte>`, or `per-byte:<base>+<perByte>/<write base>+<write
 * perByte>`. Throws {@linkcode LatencyModelError} naming the accepted forms.
 */
export function parseLatencyModel(text: string): LatencyModel {
  const bad = () =>
    new LatencyModelError(
      `latency model "${text}": use none, fixed:<ns>[/<write ns>] or ` +
        "per-byte:<base ns>+<ns per byte>[/<write base>+<write ns per byte>]",
    );
  const num = (s: string): number => {
    if (!/^\d+(\.\d+)?$/.test(s)) throw bad();
    return Number(s);
  };
  const [kind, rest, extra] = text.trim().split(":");
  if (extra !== undefined) throw bad();
  if (kind === "none" && rest === undefined) return DEFAULT_LATENCY_MODEL;
  if (rest === undefined) throw bad();
  const [read, write, more] = rest.split("/");
  if (more !== undefined) throw bad();
  if (kind === "fixed") {
    return validateLatencyModel({
      kind: "fixed",
      ns: num(read),
      ...(write === undefined ? {} : { writeNs: num(write) }),
    });
  }
  if (kind === "per-byte") {
    const pair = (s: string): [number, number] => {
      const parts = s.split("+");
      if (parts.length !== 2) throw bad();
      return [num(parts[0]), num(parts[1])];
    };
    const [baseNs, nsPerByte] = pair(read);
    const w = write === undefined ? undefined : pair(write);
    return validateLatencyModel({
      kind: "per-byte",
      baseNs,
      nsPerByte,
      ...(w === undefined ? {} : { writeBaseNs: w[0], writeNsPerByte: w[1] }),
    });
  }
  throw bad();
}
