/**
 * The shape of a registered differential deviation class and the small predicates the registry
 * (`deviations_admin.ts`, `deviations_io.ts`) is written with.
 *
 * @example
 * ```ts
 * import { fieldIs } from "./deviation_types.ts";
 * if (!fieldIs({ index: 0, summary: "", field: "dnr", reference: "true", other: "false" }, "status", "dnr")) {
 *   throw new Error();
 * }
 * ```
 *
 * @module
 */

import type { Divergence } from "./compare.ts";

/** Who departs from the spec, if anyone. */
export type DeviationKind =
  /** QEMU 7.2 departs from the spec (or from a "should"). */
  | "qemu"
  /** Either answer is compliant: optional features, implementation data, check order. */
  | "both-allowed"
  /** The reference controller is wrong: registered so runs stay usable until controller/ is
   * fixed; reports list these apart. */
  | "reference";

/** One registered class of divergence. */
export interface DifferentialDeviation {
  /** Kebab-case id, counted in reports. */
  readonly id: string;
  /** What differs and why, in one or two sentences. */
  readonly reason: string;
  /** How it was seen (this fuzzer's observation) and where it comes from (QEMU source). */
  readonly evidence: string;
  /** The spec section that decides it. */
  readonly section: string;
  /** Who departs from the spec. */
  readonly kind: DeviationKind;
  /** Conformance deviation ids registering the same behaviour (conformance/qemu_deviations.ts). */
  readonly conformance: readonly string[];
  /** Whether `d` belongs to this class; `ctx` carries the shared geometry (a predicate that
   * needs it does not match without it). */
  readonly matches: (d: Divergence, ctx?: MatchContext) => boolean;
}

/** What a predicate may need besides the divergence: the geometry both sides share. */
export interface MatchContext {
  /** Logical block size of NSID 1 in bytes. */
  readonly blockSize: number;
}

/** Where QEMU facts are summarised. */
export const QEMU_NOTES = "reference/qemu-nvme.md";

/** An admin command with `opcode`. */
export function admin(d: Divergence, opcode: number): boolean {
  return d.command?.queue === "admin" && d.command.opcode === opcode;
}

/** An I/O command with `opcode`. */
export function io(d: Divergence, opcode: number): boolean {
  return d.command?.queue === "io" && d.command.opcode === opcode;
}

/** CDW10 bits 7:0 (FID, CNS, LID). */
export function low8(d: Divergence): number {
  return (d.command?.cdw[0] ?? 0) & 0xff;
}

/** The differing field is one of `fields`. */
export function fieldIs(d: Divergence, ...fields: string[]): boolean {
  return fields.includes(d.field);
}

/** The reference's status. */
export function refStatus(d: Divergence): number | null | undefined {
  return d.referenceOutcome?.status;
}

/** The other side's status. */
export function otherStatus(d: Divergence): number | null | undefined {
  return d.otherOutcome?.status;
}

/** The field is the status or DNR. */
export function statusOrDnr(d: Divergence): boolean {
  return d.field === "status" || d.field === "dnr";
}

/** The field is part of the data. */
export function isData(d: Divergence): boolean {
  return d.field.startsWith("data");
}

/** The byte range `[start, end)` of a `data[0xS..0xE)` divergence, or null for other fields. */
export function dataRange(d: Divergence): [number, number] | null {
  const m = /^data\[0x([0-9a-f]+)\.\.0x([0-9a-f]+)\)$/.exec(d.field);
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16)] : null;
}

/** Get Log Page offset in bytes (CDW12 LPOL, CDW13 LPOU). */
export function logOffset(d: Divergence): number {
  const c = d.command;
  return c ? (c.cdw[2] >>> 0) + (c.cdw[3] >>> 0) * 2 ** 32 : 0;
}

/** Both sides failed the command, with different statuses (or DNR). */
export function bothFailed(d: Divergence): boolean {
  const [a, b] = [refStatus(d), otherStatus(d)];
  return statusOrDnr(d) && !!a && !!b;
}

/** A class from its parts (positional, so the registry reads as a table). */
export function deviation(
  id: string,
  kind: DeviationKind,
  section: string,
  conformance: readonly string[],
  reason: string,
  evidence: string,
  matches: DifferentialDeviation["matches"],
): DifferentialDeviation {
  return { id, kind, section, conformance, reason, evidence, matches };
}
