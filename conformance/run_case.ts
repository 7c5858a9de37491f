/**
 * Runs one case against a target: opens a fresh session, gates on capabilities, runs the body,
 * classifies the outcome (pass, fail, skip; deviation when the target's registry lists it) and
 * always closes the session.
 *
 * @example
 * ```ts
 * import { runCase } from "./run_case.ts";
 * import { referenceTarget } from "./target.ts";
 * import { probeTarget } from "./run_case.ts";
 * const target = referenceTarget();
 * const caps = probeTarget(target);
 * const r = runCase(target, caps, {
 *   id: "example.vs.major", title: "VS major ≥ 1", section: "Base 2.1 §3.1.4.2",
 *   run: (ctx) => ctx.check(ctx.host.read32(8) >>> 16 >= 1, "major"),
 * });
 * if (r.status !== "pass") throw new Error(r.message);
 * ```
 *
 * @module
 */

import { type Capabilities, missingCapability, probeCapabilities } from "./capabilities.ts";
import { CaseFailure, CaseSkip, type ConformanceCase, makeContext } from "./case.ts";
import { RawController } from "./raw_host.ts";
import type { Target } from "./target.ts";

/** How a case ended. `deviation`: it failed and the target's registry explains why. */
export type CaseStatus = "pass" | "fail" | "skip" | "deviation";

/** One case's result. */
export interface CaseResult {
  /** Case id. */
  readonly id: string;
  /** Case title. */
  readonly title: string;
  /** Spec section. */
  readonly section: string;
  /** Outcome. */
  readonly status: CaseStatus;
  /** Why it failed or was skipped, notes, or the deviation's reason; "" when none. */
  readonly message: string;
  /** Wall-clock duration of the case in milliseconds (harness speed, not target timing). */
  readonly durationMs: number;
}

/** Probes a target once (a session of its own) for the capabilities cases gate on. */
export function probeTarget(target: Target): Capabilities {
  const session = target.open();
  try {
    return probeCapabilities(session.host);
  } finally {
    session.close();
  }
}

/** Runs `c` on a fresh session of `target`. Never throws for a case failure; an exception that
 * is not a {@linkcode CaseFailure} is a failure too, reported with its message. */
export function runCase(target: Target, caps: Capabilities, c: ConformanceCase): CaseResult {
  const started = performance.now();
  const base = { id: c.id, title: c.title, section: c.section };
  const done = (status: CaseStatus, message: string): CaseResult => ({
    ...base,
    status,
    message,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const missing = missingCapability(caps, c.needs);
  if (missing !== null) return done("skip", missing);
  const notes: string[] = [];
  const session = target.open();
  let status: CaseStatus = "pass";
  let message = "";
  try {
    const ctrl = new RawController(session.host);
    c.run(makeContext(session, caps, ctrl, notes));
  } catch (e) {
    if (e instanceof CaseSkip) {
      status = "skip";
      message = e.message;
    } else {
      status = "fail";
      message = e instanceof CaseFailure
        ? e.message
        : `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
  } finally {
    session.close();
  }
  const deviation = target.deviations?.[c.id];
  if (deviation) {
    if (status === "fail") {
      status = "deviation";
      message = `${deviation.reason} [observed: ${message}]`;
    } else if (status === "pass") {
      // A registered deviation that no longer reproduces is news: report it, do not hide it.
      status = "fail";
      message = `registered deviation did not reproduce (case passed): ${deviation.reason}`;
    }
  }
  if (notes.length) message = message ? `${message}; ${notes.join("; ")}` : notes.join("; ");
  return done(status, message);
}
