/**
 * Every conformance case the suite has, grouped, in a stable order (the order reports list them
 * in), and the filter that selects some of them: an exact id, an id prefix, or `/regex/flags`.
 *
 * @example Select one group
 * ```ts
 * import { ALL_CASES, selectCases } from "./registry.ts";
 * if (ALL_CASES.some((c) => c.id.startsWith("registers."))) {
 *   const picked = selectCases("registers.");
 *   if (!picked.every((c) => c.id.startsWith("registers."))) throw new Error("prefix");
 * }
 * ```
 *
 * @module
 */

import { CaseDefinitionError, type ConformanceCase } from "./case.ts";
import { CASES as ADMIN_QUEUE } from "./cases/admin_queue.ts";
import { CASES as ASYNC_EVENTS } from "./cases/async_events.ts";
import { CASES as DATA_POINTERS } from "./cases/data_pointers.ts";
import { CASES as DOORBELLS } from "./cases/doorbells.ts";
import { CASES as FEATURES } from "./cases/features.ts";
import { CASES as IDENTIFY } from "./cases/identify.ts";
import { CASES as INTEGRITY } from "./cases/integrity.ts";
import { CASES as INTERRUPTS } from "./cases/interrupts.ts";
import { CASES as IO_QUEUES } from "./cases/io_queues.ts";
import { CASES as LOG_PAGES } from "./cases/log_pages.ts";
import { CASES as NVM } from "./cases/nvm.ts";
import { CASES as REGISTERS } from "./cases/registers.ts";
import { CASES as RESET } from "./cases/reset.ts";
import { CASES as SHADOW_DOORBELLS } from "./cases/shadow_doorbells.ts";
import { CASES as REGISTERS_ACCESS } from "./cases/registers_access.ts";
import { CASES as RESET_SHUTDOWN } from "./cases/reset_shutdown.ts";
import { CASES as IO_QUEUES_ERRORS } from "./cases/io_queues_errors.ts";
import { CASES as IDENTIFY_NAMESPACES } from "./cases/identify_namespaces.ts";
import { CASES as FEATURES_SELECT } from "./cases/features_select.ts";
import { CASES as LOG_PAGES_EVENTS } from "./cases/log_pages_events.ts";
import { CASES as NVM_ERRORS } from "./cases/nvm_errors.ts";
import { CASES as DATA_POINTERS_SGL } from "./cases/data_pointers_sgl.ts";
import { caseGroup } from "./runner.ts";

/** One case file's cases, under the file's name. */
export interface CaseGroup {
  /** The file name without `.ts`, e.g. `io_queues`. */
  readonly file: string;
  /** Its cases, in the file's order. */
  readonly cases: readonly ConformanceCase[];
}

/** The case files in suite order: registers and reset first (everything else relies on them),
 * then queues, admin commands, I/O, data pointers, doorbells, interrupts, and integrity last. */
export const CASE_GROUPS: readonly CaseGroup[] = Object.freeze([
  { file: "registers", cases: REGISTERS },
  { file: "registers_access", cases: REGISTERS_ACCESS },
  { file: "reset", cases: RESET },
  { file: "reset_shutdown", cases: RESET_SHUTDOWN },
  { file: "admin_queue", cases: ADMIN_QUEUE },
  { file: "io_queues", cases: IO_QUEUES },
  { file: "io_queues_errors", cases: IO_QUEUES_ERRORS },
  { file: "identify", cases: IDENTIFY },
  { file: "identify_namespaces", cases: IDENTIFY_NAMESPACES },
  { file: "features", cases: FEATURES },
  { file: "features_select", cases: FEATURES_SELECT },
  { file: "log_pages", cases: LOG_PAGES },
  { file: "log_pages_events", cases: LOG_PAGES_EVENTS },
  { file: "async_events", cases: ASYNC_EVENTS },
  { file: "nvm", cases: NVM },
  { file: "nvm_errors", cases: NVM_ERRORS },
  { file: "data_pointers", cases: DATA_POINTERS },
  { file: "data_pointers_sgl", cases: DATA_POINTERS_SGL },
  { file: "doorbells", cases: DOORBELLS },
  { file: "shadow_doorbells", cases: SHADOW_DOORBELLS },
  { file: "interrupts", cases: INTERRUPTS },
  { file: "integrity", cases: INTEGRITY },
]);

/** Throws {@linkcode CaseDefinitionError} when two cases share an id (the report and `--filter`
 * address cases by id, so ids must be unique across every group). Returns `cases` frozen. */
export function assertUniqueIds(cases: readonly ConformanceCase[]): readonly ConformanceCase[] {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new CaseDefinitionError(`case id "${c.id}" is defined twice`);
    seen.add(c.id);
  }
  return Object.freeze([...cases]);
}

/** Every device case (those that run against any target), in {@linkcode CASE_GROUPS} order. */
export const ALL_CASES: readonly ConformanceCase[] = assertUniqueIds(
  CASE_GROUPS.flatMap((g) => g.cases),
);

/** A `--filter` that is malformed or selects nothing. */
export class CaseFilterError extends Error {
  /** Creates the error; the message says what to try instead. */
  constructor(message: string) {
    super(message);
    this.name = "CaseFilterError";
  }
}

/** Parses a filter: `/body/flags` is a regular expression tested against ids; anything else is
 * an exact id or an id prefix. Throws {@linkcode CaseFilterError} for a bad expression. */
export function parseCaseFilter(filter: string): (id: string) => boolean {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(filter);
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(regex[1], regex[2]);
    } catch (e) {
      throw new CaseFilterError(
        `bad filter regex ${filter}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return (id) => {
      re.lastIndex = 0; // a /g or /y flag would otherwise make test() stateful
      return re.test(id);
    };
  }
  return (id) => id.startsWith(filter);
}

/**
 * Selects cases by `filter`:
 * - an exact id selects that case alone (even when other ids extend it);
 * - otherwise a prefix selects every id starting with it (`io-queues.`, `io-queues.create`);
 * - `/regex/` (optionally with flags, `/wrap/i`) selects ids the expression matches.
 *
 * Order is kept. Throws {@linkcode CaseFilterError} for a bad regex or when nothing matches.
 */
export function selectCases(
  filter: string,
  cases: readonly ConformanceCase[] = ALL_CASES,
): readonly ConformanceCase[] {
  if (filter === "") throw new CaseFilterError("empty filter; give an id, a prefix or /regex/");
  const exact = cases.find((c) => c.id === filter);
  if (exact) return [exact];
  const match = parseCaseFilter(filter);
  const picked = cases.filter((c) => match(c.id));
  if (picked.length === 0) {
    const groups = [...new Set(cases.map((c) => caseGroup(c.id)))].join(", ");
    throw new CaseFilterError(
      `filter "${filter}" selects no case (groups: ${groups || "none"}); try --list`,
    );
  }
  return picked;
}
