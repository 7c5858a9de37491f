/**
 * A readable, aligned text timeline of a trace in virtual time: one line per event with the time
 * in microseconds, the side, the queue it concerns, and a short description — both sides of the
 * shared-memory protocol on one page (the SQE the driver wrote, the doorbell decision, the
 * controller fetching and completing, the interrupt, the CQE the driver consumed). Device events
 * read from QEMU's own trace log (the QEMU platform) show `qemu` as their side.
 *
 * @example
 * ```ts
 * import { renderTimeline } from "./trace_timeline.ts";
 * const text = renderTimeline([
 *   { t: 1000, side: "host", fn: 0, type: "sqe_written", qid: 1, slot: 0, opcode: 2, cid: 0, nsid: 1 },
 *   { t: 1500, side: "device", fn: 0, type: "mmio_doorbell_sq", sqid: 1, new_tail: 1 },
 * ]);
 * if (!text.includes("Q1") || !text.includes("SQE -> slot 0")) throw new Error(text);
 * ```
 *
 * @module
 */

import { opcodeInfo } from "../spec/opcodes.ts";
import { formatQemuTraceLine } from "./trace_qemu.ts";
import type { TraceEvent } from "./trace_events.ts";

/** The queue an event concerns, or null. */
export function eventQueue(e: TraceEvent): number | null {
  const r = e as unknown as Record<string, unknown>;
  for (const k of ["qid", "sqid", "cqid"]) if (typeof r[k] === "number") return r[k] as number;
  return null;
}

const hex = (n: number, w = 4) => `0x${n.toString(16).padStart(w, "0")}`;

/** The command's name: admin opcodes on queue 0, NVM opcodes elsewhere. */
function opcodeName(qid: number, opcode: number): string {
  return opcodeInfo(opcode, qid === 0)?.name ?? `opcode ${hex(opcode, 2)}`;
}

/** A short description of one event. */
export function describeEvent(e: TraceEvent): string {
  switch (e.type) {
    case "sqe_written":
      return `SQE -> slot ${e.slot}: ${opcodeName(e.qid, e.opcode)} cid ${
        hex(e.cid)
      } nsid ${e.nsid}`;
    case "cqe_consumed":
      return `CQE <- slot ${e.slot}: cid ${hex(e.cid)} status ${
        hex(e.status, 3)
      } phase ${e.phase}` +
        (e.sqhd === undefined ? "" : ` sqhd ${e.sqhd}`);
    case "doorbell_decision":
      return `${e.isCq ? "CQ head" : "SQ tail"} = ${e.value}` +
        (e.eventIdx === null
          ? " (MMIO)"
          : ` shadow, EventIdx ${e.eventIdx}: ${e.mmio ? "MMIO needed" : "MMIO skipped"}`);
    case "wakeup":
      return `wake-up on vector ${e.vector}`;
    case "host_note":
      return e.text;
    case "mmio_doorbell_sq":
      return `SQ tail doorbell MMIO: tail ${e.new_tail}`;
    case "mmio_doorbell_cq":
      return `CQ head doorbell MMIO: head ${e.new_head}`;
    case "io_cmd":
      return `fetched ${opcodeName(e.sqid, e.opcode)} cid ${hex(e.cid)} nsid ${e.nsid}`;
    case "admin_cmd":
      return `fetched ${opcodeName(0, e.opcode)} cid ${hex(e.cid)}`;
    case "enqueue_req_completion":
      return `CQE posted: cid ${hex(e.cid)} status ${hex(e.status, 3)}`;
    case "irq_msix":
      return `MSI-X vector ${e.vector}`;
    default: {
      const line = formatQemuTraceLine(e, { host: true, platform: true }) ?? e.type;
      return line.replace(/^pci_nvme_|^host_|^platform_/, "");
    }
  }
}

/** The side column: `qemu` for device events read from QEMU's own trace log. */
export function sideLabel(e: TraceEvent): string {
  return e.qemu ? "qemu" : e.side;
}

/** Renders events as an aligned timeline (one line each, time-ordered as given). */
export function renderTimeline(events: readonly TraceEvent[]): string {
  const lines = ["    time (µs)  side      queue  event"];
  for (const e of events) {
    const q = eventQueue(e);
    const time = (e.t / 1000).toFixed(3).padStart(13);
    lines.push(
      `${time}  ${sideLabel(e).padEnd(8)}  ${(q === null ? "-" : `Q${q}`).padEnd(5)}  ${
        describeEvent(e)
      }`,
    );
  }
  return lines.join("\n") + "\n";
}
