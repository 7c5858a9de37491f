/**
 * The host obligations the reference controller checks, as data: each rule has an id, the spec
 * section that states it, and what the controller does after recording the finding. This table is
 * what the README's "host obligations" list is generated from, so the two cannot drift.
 *
 * @example
 * ```ts
 * import { HOST_RULES } from "./rules.ts";
 * if (HOST_RULES.doorbellBeforeReady.id !== "doorbell.before_ready") throw new Error();
 * ```
 *
 * @module
 */

import type { FindingRule } from "../platform/findings.ts";

/** A host obligation: the finding rule plus what the controller does when it is broken. */
export interface HostRule extends FindingRule {
  /** The controller's reaction, as the spec allows it. */
  readonly reaction: string;
}

function rule(id: string, section: string, summary: string, reaction: string): HostRule {
  return Object.freeze({ id, side: "host", severity: "error", section, summary, reaction });
}

/** Every host obligation the reference controller checks. */
export const HOST_RULES = {
  /** A doorbell written while CSTS.RDY is 0. */
  doorbellBeforeReady: rule(
    "doorbell.before_ready",
    "Base 2.1 §3.5.1 (controller initialization: doorbells only after CSTS.RDY = 1)",
    "a doorbell was written while the controller was not ready",
    "ignore the write",
  ),
  /** A doorbell for a queue that does not exist. */
  doorbellInvalidQueue: rule(
    "doorbell.invalid_queue",
    "Base 2.1 §5.1.2 (Write to Invalid Doorbell Register)",
    "a doorbell was written for a queue that does not exist",
    "ignore the write; Error AER 'Write to Invalid Doorbell Register' if one is outstanding",
  ),
  /** An SQ tail doorbell value at or beyond the queue size. */
  sqTailOutOfRange: rule(
    "doorbell.sq_tail_range",
    "Base 2.1 §5.1.2 (Invalid Doorbell Write Value)",
    "an SQ tail doorbell value was not smaller than the queue size",
    "ignore the write; Error AER 'Invalid Doorbell Write Value'",
  ),
  /** An SQ tail that adds more entries than the queue has free slots. */
  sqOverrun: rule(
    "doorbell.sq_overrun",
    "Base 2.1 §3.3.1.5 (Full Queue: the host must not submit to a full queue)",
    "an SQ tail doorbell moved the tail past unconsumed entries (queue overrun)",
    "ignore the write; Error AER 'Invalid Doorbell Write Value'",
  ),
  /** A CQ head doorbell value at or beyond the queue size. */
  cqHeadOutOfRange: rule(
    "doorbell.cq_head_range",
    "Base 2.1 §5.1.2 (Invalid Doorbell Write Value)",
    "a CQ head doorbell value was not smaller than the queue size",
    "ignore the write; Error AER 'Invalid Doorbell Write Value'",
  ),
  /** A CQ head that releases entries the controller has not posted. */
  cqHeadAhead: rule(
    "doorbell.cq_head_ahead",
    "Base 2.1 §3.3.1.2 (the host consumes only posted entries)",
    "a CQ head doorbell released entries the controller had not posted",
    "ignore the write; Error AER 'Invalid Doorbell Write Value'",
  ),
  /** A CID reused while a command with that CID is outstanding on the same SQ. */
  cidReused: rule(
    "command.cid_reused",
    "Base 2.1 §4.1.1 (Figure 91 CID: unique among outstanding commands of the SQ)",
    "a command identifier was reused while a command with it was outstanding on that SQ",
    "complete the new command with Command ID Conflict",
  ),
  /** A PRP or SGL data pointer that breaks the layout rules. */
  dataPointer: rule(
    "data_pointer.invalid",
    "Base 2.1 §4.3.1 (PRP entries and lists) and §4.3.2 (SGL descriptors)",
    "a command's PRP or SGL data pointer broke the layout rules (offsets, descriptor types, lengths)",
    "complete the command with the matching status (PRP Offset Invalid, an SGL status)",
  ),
  /** A queue base address that is zero or not aligned to the memory page size. */
  queueBase: rule(
    "queue.base_alignment",
    "Base 2.1 §5.2.1 / §5.2.2 (PRP Entry 1: a contiguous queue starts on a page boundary)",
    "an I/O queue was created at an address that is zero or not memory-page aligned",
    "fail the create with PRP Offset Invalid",
  ),
  /** CC fields other than EN/SHN changed while enabled. */
  ccChangedWhileEnabled: rule(
    "cc.changed_while_enabled",
    "Base 2.1 §3.1.4.5 (CC fields are changed only while CC.EN = 0)",
    "a CC field that may not change while enabled was changed",
    "keep the old value of those fields",
  ),
  /** EN set again before CSTS.RDY returned to 0. */
  reenableBeforeReadyClear: rule(
    "cc.reenable_before_rdy_clear",
    "Base 2.1 §3.5.1 (the host waits for CSTS.RDY = 0 before setting CC.EN = 1)",
    "CC.EN was set while CSTS.RDY was still 1 from the previous enable",
    "finish the reset, then enable",
  ),
  /** CC.EN set with settings the controller cannot run with. */
  enableRefused: rule(
    "controller.enable_refused",
    "Base 2.1 §3.5.1 (initialization: AQA/ASQ/ACQ and CC.MPS/CSS/AMS/IOSQES/IOCQES valid)",
    "CC.EN was set with invalid admin queue or CC settings",
    "set CSTS.CFS (the host must reset the controller)",
  ),
  /** A register written with a width the register does not accept. */
  registerWidth: rule(
    "register.width",
    "Base 2.1 §3.1.4 (register access widths)",
    "a 32-bit register was accessed with a 64-bit access",
    "ignore the write (reads return the register value)",
  ),
  /** A read-only register written. */
  readOnlyWrite: rule(
    "register.read_only",
    "Base 2.1 §3.1.4 (read-only properties)",
    "a read-only register was written",
    "ignore the write",
  ),
  /** No Keep Alive within KATO (only when Identify KAS is non-zero, the `kas` option). */
  keepAliveTimeout: rule(
    "keep_alive.timeout",
    "Base 2.1 §3.9 (Keep Alive: the host sends Keep Alive within KATO)",
    "the Keep Alive Timer expired: no Keep Alive command arrived within KATO",
    "set CSTS.CFS (the host must reset the controller)",
  ),
} as const;

/** Findings the controller records about itself (device side). */
export const DEVICE_RULES = {
  /** The controller entered Controller Fatal Status for an internal failure. */
  fatalStatus: Object.freeze({
    id: "controller.fatal_status",
    side: "device",
    severity: "error",
    section: "Base 2.1 §9 (error reporting and recovery: Controller Fatal Status)",
    summary: "the controller set CSTS.CFS: it could not fetch a command or post a completion",
  }) as FindingRule,
} as const;

/** The rules as a list, in the order above. */
export const HOST_RULE_LIST: readonly HostRule[] = Object.values(HOST_RULES);

/** The rules as a Markdown table (id, section, what the controller does), for the README. */
export function hostRulesMarkdown(): string {
  const rows = HOST_RULE_LIST.map((r) =>
    `| \`${r.id}\` | ${r.summary} | ${r.section} | ${r.reaction} |`
  );
  return ["| finding | rule broken | spec | controller then |", "|---|---|---|---|", ...rows].join(
    "\n",
  );
}
