/**
 * Seeded-bug mutants of the reference controller, as data: each breaks one spec rule on purpose,
 * so the conformance suite can be shown to catch it (`conformance/mutants_test.ts`). A mutant is
 * switched on with the `mutants` option, e.g.
 * `new NvmeController({ mutants: ["cq-phase-not-inverted"] })`; with none on (the default) the
 * controller is the reference.
 *
 * Each mutant is implemented as one cheap check where the rule is applied, against a boolean
 * computed once from the options ({@linkcode mutantFlags}), so the command path costs a branch on a
 * constant when no mutant is on. `catches` lists the case ids (or id prefixes ending in `.`) that
 * must fail with the mutant on; `options` are controller options the mutant needs to be visible
 * (a doorbell-stride bug shows only with CAP.DSTRD ≠ 0).
 *
 * @example
 * ```ts
 * import { MUTANTS, mutantFlags } from "./mutants.ts";
 * const flags = mutantFlags(["cq-phase-not-inverted"]);
 * if (!flags["cq-phase-not-inverted"] || flags["write-data-dropped"]) throw new Error();
 * if (MUTANTS.length < 16) throw new Error("at least 16 mutants");
 * ```
 *
 * @module
 */

import type { ControllerOptions } from "./options.ts";

/** One seeded bug. */
export interface MutantInfo {
  /** Kebab-case id, used in the `mutants` option and reports. */
  readonly id: string;
  /** The bug, in one line. */
  readonly description: string;
  /** The spec rule it breaks. */
  readonly section: string;
  /** Conformance case ids, or id prefixes ending in `.`, that must fail with the mutant on. */
  readonly catches: readonly string[];
  /** Controller options under which the bug is visible (default: none needed). */
  readonly options?: Readonly<Partial<Omit<ControllerOptions, "mutants">>>;
}

/** Every mutant, grouped roughly by the case group that catches it. */
export const MUTANTS = [
  {
    id: "aqa-reserved-bits-kept",
    description: "AQA, ASQ and ACQ store their reserved bits, which then read back as written",
    section: "Base 2.1 §3.1.4.8–§3.1.4.10",
    catches: [
      "registers.aqa.reserved-zero",
      "registers.asq.reserved-low-bits",
      "registers.acq.reserved-low-bits",
    ],
  },
  {
    id: "rdy-without-enable",
    description: "a CC write that leaves EN = 0 sets CSTS.RDY anyway",
    section: "Base 2.1 §3.1.4.5 (CC.EN), §3.1.4.6 (CSTS.RDY)",
    catches: ["reset.enable.no-ready-before-enable", "registers.cc.readback"],
  },
  {
    id: "rdy-never-clears",
    description: "CC.EN 1→0 resets the controller but CSTS.RDY stays 1",
    section: "Base 2.1 §3.7.2",
    catches: ["reset.disable.ready-clears", "reset.reset."],
  },
  {
    id: "shutdown-never-completes",
    description: "shutdown processing never reports CSTS.SHST = 10b (stays 01b)",
    section: "Base 2.1 §3.6.1",
    catches: ["reset.shutdown.normal", "reset.shutdown.abrupt", "reset.shutdown.with-disable"],
  },
  {
    id: "cq-phase-not-inverted",
    description: "the CQ phase tag is not inverted when the CQ tail wraps to slot 0",
    section: "Base 2.1 §4.2.4 (Phase Tag)",
    catches: ["admin-queue.wrap.", "io-queues.wrap.", "integrity.wrap."],
  },
  {
    id: "admin-cq-wrap-early",
    description: "the admin CQ wraps one slot early: its last slot is never written",
    section: "Base 2.1 §3.3.1",
    catches: ["admin-queue.wrap."],
  },
  {
    id: "cqe-sq-head-off-by-one",
    description: "CQE SQ Head Pointer is one past the SQ head",
    section: "Base 2.1 §4.2.1 (SQHD)",
    catches: [
      "admin-queue.batch.sq-head",
      "io-queues.shared-cq.sqid-and-head",
      "admin-queue.wrap.",
    ],
  },
  {
    id: "cqe-sqid-is-cqid",
    description: "CQE SQ Identifier carries the CQ's identifier instead of the SQ's",
    section: "Base 2.1 §4.2.1 (SQID)",
    catches: ["io-queues.shared-cq.sqid-and-head"],
  },
  {
    id: "cq-overwrite-when-full",
    description: "completions are posted even when the CQ is full, overwriting unconsumed entries",
    section: "Base 2.1 §3.3.1.5 (Full Queue)",
    catches: ["admin-queue.cq-full.not-overrun", "doorbell.cq-head.releases-full-queue"],
  },
  {
    id: "create-sq-invalid-qid-status",
    description:
      "Create I/O SQ with an invalid QID returns Invalid Field, not Invalid Queue Identifier",
    section: "Base 2.1 §5.2.2",
    catches: [
      "io-queues.create-sq.qid-zero",
      "io-queues.create-sq.qid-above-granted",
      "io-queues.create-sq.qid-in-use",
    ],
  },
  {
    id: "identify-ver-mismatch",
    description: "Identify Controller VER reports a minor version one above VS",
    section: "Base 2.1 §5.1.13.2.1 (VER)",
    catches: ["identify.controller.ver-matches-vs", "registers.vs.identify-ver"],
  },
  {
    id: "features-current-is-default",
    description: "Get Features with SEL = current returns the default, not the value set",
    section: "Base 2.1 §5.1.11 (SEL)",
    catches: [
      "features.arbitration.round-trip",
      "features.interrupt-coalescing.round-trip",
      "features.write-atomicity.round-trip",
      "features.select.default-unchanged-by-set",
      "features.number-of-queues.get-after-set",
    ],
  },
  {
    id: "log-page-offset-ignored",
    description: "Get Log Page ignores the Log Page Offset and always returns the page from byte 0",
    section: "Base 2.1 §5.1.12 (LPOL/LPOU)",
    catches: ["log-page.offset."],
  },
  {
    id: "aer-limit-not-enforced",
    description: "more than AERL + 1 Asynchronous Event Requests are accepted",
    section: "Base 2.1 §5.1.2",
    catches: ["aer.limit.aerl-exceeded"],
  },
  {
    id: "mdts-not-enforced",
    description: "Read and Write larger than MDTS are executed instead of refused",
    section: "Base 2.1 §5.1.13.2.1 (MDTS)",
    catches: ["nvm.mdts.exceeded", "nvm.mdts.exceeded-write"],
  },
  {
    id: "lba-range-unchecked",
    description: "a command beyond the namespace completes successfully (doing nothing)",
    section: "NVM CS 1.1 §3.3 (LBA Out of Range)",
    catches: [
      "nvm.lba-range.write-past-end",
      "nvm.lba-range.read-past-end",
      "nvm.lba-range.slba-wraps",
      "nvm.lba-range.write-zeroes",
      "nvm.lba-range.dsm",
      "nvm.lba-range.verify",
    ],
  },
  {
    id: "write-data-dropped",
    description: "Write completes successfully but never stores its data",
    section: "NVM CS 1.1 §3.3.6",
    catches: ["nvm.write-read.", "nvm.compare.match", "integrity."],
  },
  {
    id: "compare-always-succeeds",
    description: "Compare reports success even when the data differ",
    section: "NVM CS 1.1 §3.3.1",
    catches: ["nvm.compare.miscompare"],
  },
  {
    id: "flush-not-durable",
    description: "Flush completes without making cached data durable",
    section: "Base 2.1 §7.2",
    catches: ["integrity.power-loss.flushed", "integrity.power-loss.unflushed"],
  },
  {
    id: "dnr-never-set",
    description: "every completion is posted with Do Not Retry clear, even for errors a retry " +
      "repeats",
    section: "Base 2.1 §4.2.3 (Status Field, DNR)",
    catches: ["nvm.status.dnr-on-invalid"],
  },
  {
    id: "prp1-offset-ignored",
    description: "the data transfer starts at PRP1's page base, ignoring its offset",
    section: "Base 2.1 §4.3.1",
    catches: ["data-pointer.prp1.", "identify.data.prp1-offset"],
  },
  {
    id: "sq-tail-wraps-silently",
    description:
      "an SQ tail doorbell at or past the queue size is taken modulo the size, not refused",
    section: "Base 2.1 §5.1.2 (Invalid Doorbell Write Value)",
    catches: ["doorbell.sq-tail.beyond-size", "aer.error.sq-tail-out-of-range"],
  },
  {
    id: "cq-head-unchecked",
    description:
      "a CQ head doorbell at or past the queue size, or past the posted entries, is applied " +
      "(modulo the size) without a finding or an asynchronous event",
    section: "Base 2.1 §5.1.2 (Invalid Doorbell Write Value), §3.3.1.2",
    catches: [
      "doorbell.cq-head.beyond-size",
      "doorbell.cq-head.past-tail",
      "aer.error.cq-head-out-of-range",
    ],
  },
  {
    id: "doorbell-stride-ignored",
    description: "doorbells are decoded with a 4-byte stride whatever CAP.DSTRD says",
    section: "Base 2.1 §3.1.4.1 (CAP.DSTRD), PCIe Transport 1.1 §3.1.2",
    catches: ["doorbell.stride.second-queue"],
    // Invisible at DSTRD 0; the case catches it at any DSTRD ≥ 1 (conformance/mutants_test.ts
    // checks 1 to 3). DSTRD 2 is where CQ 0's head doorbell lands on SQ 2's tail.
    options: { dstrd: 2 },
  },
  {
    id: "event-idx-never-updated",
    description: "with shadow doorbells the controller never writes EventIdx",
    section: "Base 2.1 §5.2.5 (Doorbell Buffer Config)",
    // Only the SQ side shows it: the controller re-reads shadow CQ heads before every post, and
    // event-idx.maintained accepts a controller that picks up shadow-only tails by itself.
    catches: ["shadow-doorbell.event-idx.sq-need-event"],
  },
  {
    id: "msix-vector-ignored",
    description: "every completion interrupt is sent on MSI-X vector 0, whatever the CQ's IV",
    section: "PCIe Transport 1.1 §3.2, Base 2.1 §5.2.1 (IV)",
    catches: [
      "interrupt.msix.io-cq-vector",
      "interrupt.msix.per-queue-vector",
      "interrupt.msix.vector-mask",
    ],
  },
] as const satisfies readonly MutantInfo[];

/** A mutant's id. */
export type MutantId = typeof MUTANTS[number]["id"];

/** Which mutants are on, one boolean per id (all false for the reference). */
export type MutantFlags = { readonly [K in MutantId]: boolean };

/** All mutant ids, in {@linkcode MUTANTS} order. */
export const MUTANT_IDS: readonly MutantId[] = MUTANTS.map((m) => m.id);

/** Thrown for a mutant id that does not exist. */
export class UnknownMutantError extends RangeError {
  /** Creates the error; the message lists the known ids. */
  constructor(id: string) {
    super(`unknown mutant "${id}": use one of ${MUTANT_IDS.join(", ")}`);
    this.name = "UnknownMutantError";
  }
}

/** The mutant with `id`; throws {@linkcode UnknownMutantError} when there is none. */
export function mutantInfo(id: string): MutantInfo {
  const m = MUTANTS.find((x) => x.id === id);
  if (!m) throw new UnknownMutantError(id);
  return m;
}

/** The flags for `ids` (computed once per controller); throws for an unknown id. */
export function mutantFlags(ids: readonly string[] = []): MutantFlags {
  const flags = Object.fromEntries(MUTANT_IDS.map((id) => [id, false])) as Record<
    MutantId,
    boolean
  >;
  for (const id of ids) flags[mutantInfo(id).id as MutantId] = true;
  return Object.freeze(flags);
}

/** The mutants as a Markdown table (id, seeded bug, rule broken, catching cases), for the README. */
export function mutantsMarkdown(): string {
  const rows = MUTANTS.map((m: MutantInfo) => {
    const cases = m.catches.map((c) => `\`${c.endsWith(".") ? `${c}*` : c}\``).join(", ");
    const opts = Object.entries(m.options ?? {}).map(([k, v]) => `\`${k}: ${v}\``).join(", ");
    const needs = opts ? ` (shown with option ${opts})` : "";
    return `| \`${m.id}\` | ${m.description}${needs} | ${m.section} | ${cases} |`;
  });
  return ["| mutant | seeded bug | rule broken | caught by |", "|---|---|---|---|", ...rows].join(
    "\n",
  );
}
