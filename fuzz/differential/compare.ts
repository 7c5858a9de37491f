/**
 * Compares two sides' records of one sequence and lists every divergence: per command the
 * completion (arrived or not), status (SCT/SC), DNR, More, DW0/DW1 when both succeeded, and the
 * data received — field by field for the structures with a layout in spec/ (Identify Controller,
 * Identify Namespace, SMART / Health log) and byte by byte past them, else as differing byte
 * ranges (every range; only the bytes shown are shortened) — and at the end the media block by
 * block, CSTS, and whether each side could run the sequence at all.
 *
 * @example
 * ```ts
 * import { compareTraces } from "./compare.ts";
 * import type { DiffCommand } from "./commands.ts";
 * const cmd: DiffCommand = { queue: "io", name: "Flush", opcode: 0, nsid: 1, cdw: [0, 0, 0, 0, 0, 0],
 *   dir: "none", bytes: 0, dptr: { offset: 0, listOffset: 0, fault: "none" } };
 * const ok = { status: 0, dnr: false, more: false, dw0: 0, dw1: 0 };
 * const d = compareTraces([cmd],
 *   { outcomes: [ok], media: new Map(), csts: 1 },
 *   { outcomes: [{ ...ok, status: 2, dnr: true }], media: new Map(), csts: 1 });
 * if (d.length !== 2 || d[0].field !== "status") throw new Error(JSON.stringify(d));
 * ```
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { IdentifyController } from "../../spec/identify_controller.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { IdentifyNamespace } from "../../spec/identify_namespace.ts";
import { SmartLog } from "../../spec/smart_log.ts";
import type { Layout } from "../../spec/struct.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { statusName } from "../../spec/status.ts";
import type { DiffCommand } from "./commands.ts";
import { describeCommand } from "./commands.ts";
import type { CommandOutcome, SequenceTrace } from "./executor.ts";

/** One difference between the two sides. */
export interface Divergence {
  /** Index of the command in the sequence (−1 for end-of-sequence state: media, CSTS). */
  readonly index: number;
  /** The command (absent for end-of-sequence state). */
  readonly command?: DiffCommand;
  /** The command as one readable line ("end of sequence" for media and CSTS). */
  readonly summary: string;
  /** What differs: "completion", "status", "dnr", "more", "dw0", "dw1", "data.<field>",
   * "data[a..b)", "media[lba]", "csts", "side" (a side could not run the sequence). */
  readonly field: string;
  /** The reference controller's value, as text. */
  readonly reference: string;
  /** The other side's (QEMU's) value, as text. */
  readonly other: string;
  /** The reference's outcome of the command. */
  readonly referenceOutcome?: CommandOutcome;
  /** The other side's outcome of the command. */
  readonly otherOutcome?: CommandOutcome;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const statusText = (s: number | null) =>
  s === null ? "no completion" : `${hex(s)} ${statusName(s)}`;

function valueText(v: unknown): string {
  if (typeof v === "bigint") return `0x${v.toString(16)}`;
  if (typeof v === "number") return hex(v);
  if (typeof v === "string") return JSON.stringify(v.replace(/[\s\0]+$/, ""));
  if (v instanceof Uint8Array) {
    return [...v].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `0x${x.toString(16)}` : x);
}

/** The layout to decode a command's data with, when there is one and the data starts at 0. */
function layoutOf(cmd: DiffCommand): Layout<unknown> | null {
  if (cmd.opcode === AdminOpcode.IDENTIFY && cmd.queue === "admin") {
    const cns = cmd.cdw[0] & 0xff;
    if (cns === Cns.CONTROLLER) return IdentifyController as Layout<unknown>;
    if (cns === Cns.NAMESPACE || cns === Cns.ALLOCATED_NAMESPACE) {
      return IdentifyNamespace as Layout<unknown>;
    }
  }
  if (cmd.opcode === AdminOpcode.GET_LOG_PAGE && cmd.queue === "admin") {
    const lid = cmd.cdw[0] & 0xff;
    const atStart = cmd.cdw[2] === 0 && cmd.cdw[3] === 0; // LPOL and LPOU
    if (lid === LogPageId.SMART && atStart) return SmartLog as Layout<unknown>;
  }
  return null;
}

/** Byte ranges where `a` and `b` differ, as `[start, end)` pairs. */
export function differingRanges(a: Uint8Array, b: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  const n = Math.max(a.length, b.length);
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const differs = i < n && a[i] !== b[i];
    if (differs && start < 0) start = i;
    if (!differs && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

/** Bytes of a data range shown in a report (every range is compared and listed). */
const SHOWN_BYTES = 32;

/** One divergence per differing byte range of `a` and `b` from byte `from` on. */
function rangeDivergences(a: Uint8Array, b: Uint8Array, from = 0): [string, string, string][] {
  return differingRanges(a.subarray(from), b.subarray(from)).map(([x, y]) => {
    const [s, e] = [x + from, y + from];
    const cut = Math.min(e, s + SHOWN_BYTES);
    return [
      `data[${hex(s)}..${hex(e)})`,
      valueText(a.subarray(s, cut)) + (cut < e ? "…" : ""),
      valueText(b.subarray(s, cut)) + (cut < e ? "…" : ""),
    ];
  });
}

function dataDivergences(
  cmd: DiffCommand,
  a: Uint8Array,
  b: Uint8Array,
): [string, string, string][] {
  const layout = layoutOf(cmd);
  const out: [string, string, string][] = [];
  if (layout && a.length >= layout.size && b.length >= layout.size) {
    const x = layout.decode(a) as Record<string, unknown>;
    const y = layout.decode(b) as Record<string, unknown>;
    for (const f of layout.fields) {
      if (f.kind === "reserved") continue;
      const [u, v] = [valueText(x[f.name]), valueText(y[f.name])];
      if (u !== v) out.push([`data.${f.name}`, u, v]);
    }
    for (const f of layout.fields) {
      if (f.kind !== "reserved") continue;
      const [u, v] = [
        a.subarray(f.offset, f.offset + f.size),
        b.subarray(f.offset, f.offset + f.size),
      ];
      if (differingRanges(u, v).length) out.push([`data.${f.name}`, valueText(u), valueText(v)]);
    }
    // A transfer longer than the structure: what follows it is compared byte by byte too.
    out.push(...rangeDivergences(a, b, layout.size));
    return out;
  }
  return rangeDivergences(a, b);
}

function outcomeDivergences(cmd: DiffCommand, x: CommandOutcome, y: CommandOutcome) {
  const out: [string, string, string][] = [];
  if ((x.status === null) !== (y.status === null)) {
    out.push(["completion", statusText(x.status), statusText(y.status)]);
    return out;
  }
  if (x.status !== y.status) out.push(["status", statusText(x.status), statusText(y.status)]);
  if (x.dnr !== y.dnr) out.push(["dnr", String(x.dnr), String(y.dnr)]);
  if (x.more !== y.more) out.push(["more", String(x.more), String(y.more)]);
  if (x.status !== 0 || y.status !== 0) return out;
  if (x.dw0 !== y.dw0) out.push(["dw0", hex(x.dw0), hex(y.dw0)]);
  if (x.dw1 !== y.dw1) out.push(["dw1", hex(x.dw1), hex(y.dw1)]);
  if (x.data && y.data) out.push(...dataDivergences(cmd, x.data, y.data));
  return out;
}

/** Every divergence between the reference's trace `ref` and the other side's `other`. */
export function compareTraces(
  commands: readonly DiffCommand[],
  ref: SequenceTrace,
  other: SequenceTrace,
): Divergence[] {
  const out: Divergence[] = [];
  const n = Math.min(ref.outcomes.length, other.outcomes.length);
  for (let i = 0; i < n; i++) {
    const x = ref.outcomes[i], y = other.outcomes[i];
    for (const [field, reference, o] of outcomeDivergences(commands[i], x, y)) {
      out.push({
        index: i,
        command: commands[i],
        summary: describeCommand(commands[i]),
        field,
        reference,
        other: o,
        referenceOutcome: x,
        otherOutcome: y,
      });
    }
  }
  const end = (field: string, reference: string, o: string) =>
    out.push({ index: -1, summary: "end of sequence", field, reference, other: o });
  // A side that could not run the sequence (its prologue failed) is a divergence of its own, even
  // when both failed: nothing was compared.
  if (ref.failure !== undefined || other.failure !== undefined) {
    end("side", ref.failure ?? "ran", other.failure ?? "ran");
    return out;
  }
  if ((ref.csts & 0b11) !== (other.csts & 0b11)) end("csts", hex(ref.csts), hex(other.csts));
  const lbas = new Set([...ref.media.keys(), ...other.media.keys()]);
  for (const lba of [...lbas].sort((p, q) => p - q)) {
    const a = ref.media.get(lba), b = other.media.get(lba);
    if (a === undefined || b === undefined) continue; // one side did not get to read it back
    if (a === null || b === null) {
      if (a !== b) {
        end(`media[${lba}]`, a ? "readable" : "read failed", b ? "readable" : "read failed");
      }
      continue;
    }
    const r = differingRanges(a, b);
    if (r.length) {
      end(
        `media[${lba}]`,
        valueText(a.subarray(r[0][0], r[0][0] + 16)),
        valueText(b.subarray(r[0][0], r[0][0] + 16)),
      );
    }
  }
  return out;
}
