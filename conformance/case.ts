/**
 * What a conformance case is: data (id, title, spec section, needed capabilities) plus a body
 * written against {@linkcode HostPort} only, through a {@linkcode CaseContext}. The same case runs
 * against every target; a case that needs something the target does not advertise is skipped with
 * the reason.
 *
 * @example A case
 * ```ts
 * import { type CaseContext, defineCases } from "./case.ts";
 * import { RegisterOffset } from "../spec/registers.ts";
 * export const CASES = defineCases([{
 *   id: "registers.vs.readable",
 *   title: "VS reads a version of at least 1.0",
 *   section: "Base 2.1 §3.1.4.2",
 *   run(ctx: CaseContext) {
 *     const vs = ctx.host.read32(RegisterOffset.VS);
 *     ctx.check(vs >>> 16 >= 1, `VS major ${vs >>> 16} < 1`);
 *   },
 * }]);
 * ```
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import { statusName } from "../spec/status.ts";
import type { Capabilities, CapabilityId } from "./capabilities.ts";
import type { Completion, RawController } from "./raw_host.ts";
import type { TargetSession } from "./target.ts";

/** One conformance case. */
export interface ConformanceCase {
  /** `group.test.case`, lower case, e.g. `admin-queue.wrap.size-2`. */
  readonly id: string;
  /** One line a person reads in a report. */
  readonly title: string;
  /** The spec section the case checks, e.g. `Base 2.1 §3.1.4.5`. */
  readonly section: string;
  /** Capabilities the target must advertise; otherwise the case is skipped with the reason. */
  readonly needs?: readonly CapabilityId[];
  /** The body: throws {@linkcode CaseFailure} (via `ctx.check`/`ctx.fail`) to fail. */
  readonly run: (ctx: CaseContext) => void;
}

/** What a case body gets. */
export interface CaseContext {
  /** The target's host port, fresh for this case (controller in its power-on state). */
  readonly host: HostPort;
  /** What the target advertises (probed once per run). */
  readonly caps: Capabilities;
  /** A raw host over `host`: registers, admin queue, I/O queues, commands. */
  readonly ctrl: RawController;
  /** The session: `powerLoss()` / `functionLevelReset()` when the target supports them. */
  readonly session: TargetSession;
  /** Fails the case unless `condition` holds. */
  check(condition: unknown, message: string): asserts condition;
  /** Fails the case. */
  fail(message: string): never;
  /** Skips the case at run time (e.g. a value the case needs is absent). */
  skip(reason: string): never;
  /** Fails unless the completion's status (`SCT << 8 | SC`) is one of `allowed`. */
  expectStatus(c: Completion, allowed: number | readonly number[], what: string): void;
  /** Adds a line to the case's report message (kept even when it passes). */
  note(message: string): void;
}

/** Thrown by a case body to fail. */
export class CaseFailure extends Error {
  /** Creates the failure. */
  constructor(message: string) {
    super(message);
    this.name = "CaseFailure";
  }
}

/** Thrown by a case body to skip. */
export class CaseSkip extends Error {
  /** Creates the skip with its reason. */
  constructor(reason: string) {
    super(reason);
    this.name = "CaseSkip";
  }
}

/** Case ids: dot-separated lower-case words with digits and dashes, at least three parts. */
export const CASE_ID_PATTERN: RegExp = /^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/;
/** A section citation names a spec and a section: `Base 2.1 §…`, `NVM CS 1.1 §…`, `PCIe 1.1 §…`. */
export const SECTION_PATTERN: RegExp = /^(Base 2\.1|NVM CS 1\.1|PCIe Transport 1\.1) §\d+(\.\d+)*/;

/** Thrown when a case table is malformed (a bug in the suite, not in a target). */
export class CaseDefinitionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CaseDefinitionError";
  }
}

/** Validates and freezes a case table: ids well-formed and unique, sections cited. */
export function defineCases(cases: readonly ConformanceCase[]): readonly ConformanceCase[] {
  const seen = new Set<string>();
  for (const c of cases) {
    if (!CASE_ID_PATTERN.test(c.id)) {
      throw new CaseDefinitionError(`case id "${c.id}" is not group.test.case`);
    }
    if (seen.has(c.id)) throw new CaseDefinitionError(`duplicate case id "${c.id}"`);
    seen.add(c.id);
    if (!SECTION_PATTERN.test(c.section)) {
      throw new CaseDefinitionError(`case ${c.id}: section "${c.section}" cites no spec section`);
    }
  }
  return Object.freeze([...cases]);
}

/** Formats a status for messages: `0x0002 Invalid Field in Command`. */
export function describeStatus(status: number): string {
  return `0x${status.toString(16).padStart(4, "0")} ${statusName(status)}`;
}

/** Builds the context a case body gets. `notes` collects `note()` lines. */
export function makeContext(
  session: TargetSession,
  caps: Capabilities,
  ctrl: RawController,
  notes: string[],
): CaseContext {
  return {
    host: session.host,
    session,
    caps,
    ctrl,
    check(condition: unknown, message: string): asserts condition {
      if (!condition) throw new CaseFailure(message);
    },
    fail(message: string): never {
      throw new CaseFailure(message);
    },
    skip(reason: string): never {
      throw new CaseSkip(reason);
    },
    expectStatus(c: Completion, allowed: number | readonly number[], what: string): void {
      const set = typeof allowed === "number" ? [allowed] : allowed;
      if (set.includes(c.status)) return;
      throw new CaseFailure(
        `${what}: status ${describeStatus(c.status)}, expected ${
          set.map(describeStatus).join(" or ")
        }`,
      );
    },
    note(message: string): void {
      notes.push(message);
    },
  };
}
