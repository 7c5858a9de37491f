/**
 * Parses the lines QEMU's "log" trace backend writes (`-trace 'pci_nvme_*' -D file`): the optional
 * `<tid>@<sec>.<usec>:` prefix QEMU 7.2 adds only with `-msg timestamp=on` (gettimeofday, i.e.
 * wall-clock epoch time), the trace point name, and the arguments. The `pci_nvme_*` trace points
 * of QEMU 7.2's `hw/nvme/trace-events` (formats as compiled into Debian's 7.2.22 binary, see
 * `reference/qemu-nvme.md` §9) become the typed device events of `trace_events.ts`, so the
 * timeline and Perfetto renderers treat QEMU's events like the reference controller's. Every
 * other line is kept as a `qemu_raw` event with its text verbatim and any `key value` /
 * `key=value` pairs as fields: nothing is dropped.
 *
 * @example
 * ```ts
 * import { parseQemuLogLine } from "./qemu_trace_log.ts";
 * const l = parseQemuLogLine(
 *   "4242@1700000000.000123:pci_nvme_io_cmd cid 5 nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'",
 * );
 * if (l.pid !== 4242 || l.epochUs !== 1700000000000123 || l.fields.opname !== "NVME_NVM_CMD_READ") {
 *   throw new Error(JSON.stringify(l));
 * }
 * if (l.event.type !== "io_cmd" || l.event.opcode !== 2) throw new Error(l.event.type);
 * ```
 *
 * @module
 */

import type { DeviceTraceBody } from "../trace_events.ts";

/** The prefix of every QEMU NVMe trace point. */
export const QEMU_NVME_TRACE_PREFIX = "pci_nvme_";

/** A field value: a number (exact), a bigint (64-bit values above 2^53) or a string. */
export type QemuTraceValue = number | bigint | string;

/** One parsed line of QEMU's trace log. */
export interface QemuLogLine {
  /** The line as QEMU wrote it (without the newline). */
  readonly raw: string;
  /** Thread id from the `-msg timestamp=on` prefix (QEMU's main thread = its pid), else null. */
  readonly pid: number | null;
  /** Wall-clock µs since the epoch from the prefix (gettimeofday), else null. */
  readonly epochUs: number | null;
  /** Full trace point name (`pci_nvme_io_cmd`); "" for a line that is not a trace point. */
  readonly name: string;
  /** Arguments as printed (everything after the name and one space); the whole line when the
   * line is not a trace point. */
  readonly text: string;
  /** Arguments by name (QEMU's argument names for known trace points, else `key value` pairs). */
  readonly fields: Readonly<Record<string, QemuTraceValue>>;
  /** The typed device event (`qemu_raw` when there is no typed form). */
  readonly event: DeviceTraceBody;
}

type Spec = {
  /** Device event type (default: the trace point name without the prefix). */
  readonly type?: string;
  /** Argument names, in format order (QEMU's names; those of the event body). */
  readonly args: readonly string[];
  /** Argument text as QEMU 7.2 prints it, with `%u %d %lu %x %lx %s` conversions. */
  readonly fmt: string;
};

/** QEMU 7.2 `pci_nvme_*` trace points with a typed event (names without the prefix). */
const SPECS: Readonly<Record<string, Spec>> = {
  irq_msix: { args: ["vector"], fmt: "raising MSI-X IRQ vector %u" },
  irq_pin: { args: [], fmt: "pulsing IRQ pin" },
  irq_masked: { args: [], fmt: "IRQ is masked" },
  dbbuf_config: { args: ["dbs_addr", "eis_addr"], fmt: "dbs_addr=0x%lx eis_addr=0x%lx" },
  map_addr: { args: ["addr", "len"], fmt: "addr 0x%lx len %lu" },
  map_prp: {
    args: ["trans_len", "len", "prp1", "prp2", "num_prps"],
    fmt: "trans_len %lu len %u prp1 0x%lx prp2 0x%lx num_prps %d",
  },
  io_cmd: {
    args: ["cid", "nsid", "sqid", "opcode", "opname"],
    fmt: "cid %u nsid 0x%x sqid %u opc 0x%x opname '%s'",
  },
  admin_cmd: {
    args: ["cid", "sqid", "opcode", "opname"],
    fmt: "cid %u sqid %u opc 0x%x opname '%s'",
  },
  read: {
    type: "nvm_read",
    args: ["cid", "nsid", "nlb", "count", "lba"],
    fmt: "cid %u nsid %u nlb %u count %lu lba 0x%lx",
  },
  write: {
    type: "nvm_write",
    args: ["cid", "verb", "nsid", "nlb", "count", "lba"],
    fmt: "cid %u opname '%s' nsid %u nlb %u count %lu lba 0x%lx",
  },
  create_sq: {
    args: ["addr", "sqid", "cqid", "qsize", "qflags"],
    fmt: "create submission queue, addr=0x%lx, sqid=%u, cqid=%u, qsize=%u, qflags=%u",
  },
  create_cq: {
    args: ["addr", "cqid", "vector", "size", "qflags", "ien"],
    fmt: "create completion queue, addr=0x%lx, cqid=%u, vector=%u, qsize=%u, qflags=%u, ien=%d",
  },
  del_sq: { args: ["qid"], fmt: "deleting submission queue sqid=%u" },
  del_cq: { args: ["cqid"], fmt: "deleted completion queue, cqid=%u" },
  identify: { args: ["cid", "cns", "ctrlid", "csi"], fmt: "cid %u cns 0x%x ctrlid %u csi 0x%x" },
  get_log: {
    args: ["cid", "lid", "lsp", "rae", "len", "off"],
    fmt: "cid %u lid 0x%x lsp 0x%x rae 0x%x len %u off %lu",
  },
  getfeat: {
    args: ["cid", "nsid", "fid", "sel", "cdw11"],
    fmt: "cid %u nsid 0x%x fid 0x%x sel 0x%x cdw11 0x%x",
  },
  setfeat: {
    args: ["cid", "nsid", "fid", "save", "cdw11"],
    fmt: "cid %u nsid 0x%x fid 0x%x save 0x%x cdw11 0x%x",
  },
  aer_post_cqe: { args: ["typ", "info", "log_page"], fmt: "type 0x%x info 0x%x lid 0x%x" },
  enqueue_req_completion: {
    args: ["cid", "cqid", "dw0", "dw1", "status"],
    fmt: "cid %u cqid %u dw0 0x%x dw1 0x%x status 0x%x",
  },
  eventidx_sq: { args: ["sqid", "new_eventidx"], fmt: "sqid %u new_eventidx %u" },
  eventidx_cq: { args: ["cqid", "new_eventidx"], fmt: "cqid %u new_eventidx %u" },
  mmio_read: { args: ["addr", "size"], fmt: "addr 0x%lx size %d" },
  mmio_write: { args: ["addr", "data", "size"], fmt: "addr 0x%lx data 0x%lx size %d" },
  mmio_doorbell_cq: { args: ["cqid", "new_head"], fmt: "cqid %u new_head %u" },
  mmio_doorbell_sq: { args: ["sqid", "new_tail"], fmt: "sqid %u new_tail %u" },
  mmio_cfg: { args: ["data"], fmt: "wrote MMIO, config controller config=0x%lx" },
  mmio_start_success: { args: [], fmt: "setting controller enable bit succeeded" },
  mmio_stopped: { args: [], fmt: "cleared controller enable bit" },
  mmio_shutdown_set: { args: [], fmt: "shutdown bit set" },
  mmio_shutdown_cleared: { args: [], fmt: "shutdown bit cleared" },
  shadow_doorbell_cq: {
    args: ["cqid", "new_shadow_doorbell"],
    fmt: "cqid %u new_shadow_doorbell %u",
  },
  shadow_doorbell_sq: {
    args: ["sqid", "new_shadow_doorbell"],
    fmt: "sqid %u new_shadow_doorbell %u",
  },
  err_req_status: {
    args: ["cid", "nsid", "status", "opc"],
    fmt: "cid %u nsid %u status 0x%x opc 0x%x",
  },
  err_addr_read: { args: ["addr"], fmt: "addr 0x%lx" },
  err_cfs: { args: [], fmt: "controller fatal status" },
  err_invalid_prplist_ent: { args: ["prplist"], fmt: "PRP list entry is not page aligned: 0x%lx" },
  err_invalid_opc: { args: ["opc"], fmt: "invalid opcode 0x%x" },
  err_invalid_admin_opc: { args: ["opc"], fmt: "invalid admin opcode 0x%x" },
  err_invalid_lba_range: {
    args: ["start", "len", "limit"],
    fmt: "Invalid LBA start=%lu len=%lu limit=%lu",
  },
  err_startfail: { args: [], fmt: "setting controller enable bit failed" },
  err_startfail_asq_misaligned: {
    args: ["addr"],
    fmt: "nvme_start_ctrl failed because the admin submission queue address is misaligned: 0x%lx",
  },
  ub_db_wr_invalid_cq: {
    args: ["qid"],
    fmt: "completion queue doorbell write for nonexistent queue, cqid=%u, ignoring",
  },
  ub_db_wr_invalid_cqhead: {
    args: ["qid", "new_head"],
    fmt: "completion queue doorbell write value beyond queue size, cqid=%u, new_head=%u, ignoring",
  },
  ub_db_wr_invalid_sq: {
    args: ["qid"],
    fmt: "submission queue doorbell write for nonexistent queue, sqid=%u, ignoring",
  },
  // QEMU 7.2 prints the new SQ tail under the label "new_head".
  ub_db_wr_invalid_sqtail: {
    args: ["qid", "new_tail"],
    fmt: "submission queue doorbell write value beyond queue size, sqid=%u, new_head=%u, ignoring",
  },
};

/** Fields that are printed but are not part of the typed event body. */
const NOT_IN_BODY = new Set(["opname"]);

type Conv = "dec" | "hex" | "str";
type Compiled = { readonly re: RegExp; readonly convs: readonly Conv[]; readonly spec: Spec };

function compile(spec: Spec): Compiled {
  const convs: Conv[] = [];
  let re = "^";
  for (const part of spec.fmt.split(/(%l?[udxs])/)) {
    if (part === "%s") {
      convs.push("str");
      re += "(.*?)";
    } else if (/^%l?[ud]$/.test(part)) {
      convs.push("dec");
      re += "(-?\\d+)";
    } else if (/^%l?x$/.test(part)) {
      convs.push("hex");
      re += "([0-9a-f]+)";
    } else {
      re += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  if (convs.length !== spec.args.length) throw new Error(`trace spec ${spec.fmt}: arity`);
  return { re: new RegExp(re + "$"), convs, spec };
}

const COMPILED = new Map(Object.entries(SPECS).map(([k, s]) => [k, compile(s)]));

/** `<tid>@<sec>.<usec>:` as QEMU 7.2's log backend prints it with `-msg timestamp=on`. */
const PREFIX = /^(\d+)@(\d+)\.(\d{6}):/;
/** A trace point name: lower-case identifier followed by a space or the end of the line. */
const NAME = /^([a-z][a-z0-9_]*)(?: (.*))?$/;
/** `key value` / `key=value` pairs in lines without a typed spec. */
const PAIRS = /(?:^|[\s,(])([A-Za-z_]\w*)(?:=| )(0x[0-9a-fA-F]+|-?\d+|'[^']*')(?=$|[\s,)])/g;
const US_PER_S = 1_000_000;

function num(text: string, conv: "dec" | "hex"): number | bigint {
  const big = BigInt(conv === "hex" ? "0x" + text : text);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

function genericFields(text: string): Record<string, QemuTraceValue> {
  const out: Record<string, QemuTraceValue> = {};
  for (const m of text.matchAll(PAIRS)) {
    const v = m[2];
    out[m[1]] = v.startsWith("'")
      ? v.slice(1, -1)
      : num(v.startsWith("0x") ? v.slice(2) : v, v.startsWith("0x") ? "hex" : "dec");
  }
  return out;
}

/** The typed body for a known trace point, or null when a value does not fit a number. */
function typedBody(
  short: string,
  spec: Spec,
  fields: Record<string, QemuTraceValue>,
): DeviceTraceBody | null {
  const body: Record<string, unknown> = { type: spec.type ?? short };
  for (const a of spec.args) {
    if (NOT_IN_BODY.has(a)) continue;
    const v = fields[a];
    if (typeof v === "bigint") {
      if (short !== "mmio_write" || a !== "data") return null;
    }
    body[a] = v;
  }
  if (short === "mmio_write") {
    // 64-bit data split into dwords like the in-process machine's mmio_write event.
    const data = BigInt(fields.data as number | bigint);
    body.data = Number(data & 0xffff_ffffn);
    body.dataHi = Number((data >> 32n) & 0xffff_ffffn);
  }
  return body as DeviceTraceBody;
}

/** Parses one line of QEMU's trace log. Never throws; unknown lines come back as `qemu_raw`. */
export function parseQemuLogLine(line: string): QemuLogLine {
  const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
  let rest = raw;
  let pid: number | null = null;
  let epochUs: number | null = null;
  const p = PREFIX.exec(rest);
  if (p) {
    pid = Number(p[1]);
    epochUs = Number(p[2]) * US_PER_S + Number(p[3]);
    rest = rest.slice(p[0].length);
  }
  const n = NAME.exec(rest);
  if (!n) {
    // Not a trace point (e.g. a message QEMU logged to the same file): kept whole.
    return {
      raw,
      pid,
      epochUs,
      name: "",
      text: rest,
      fields: genericFields(rest),
      event: { type: "qemu_raw", name: "", text: rest },
    };
  }
  const name = n[1];
  const text = n[2] ?? "";
  const short = name.startsWith(QEMU_NVME_TRACE_PREFIX)
    ? name.slice(QEMU_NVME_TRACE_PREFIX.length)
    : null;
  const c = short === null ? undefined : COMPILED.get(short);
  const m = c?.re.exec(text);
  if (c && m && short !== null) {
    const fields: Record<string, QemuTraceValue> = {};
    c.spec.args.forEach((a, i) => {
      const v = m[i + 1];
      const conv = c.convs[i];
      fields[a] = conv === "str" ? v : num(v, conv);
    });
    const event = typedBody(short, c.spec, fields) ??
      { type: "qemu_raw" as const, name: short, text };
    return { raw, pid, epochUs, name, text, fields, event };
  }
  return {
    raw,
    pid,
    epochUs,
    name,
    text,
    fields: genericFields(text),
    event: { type: "qemu_raw", name: short ?? name, text },
  };
}

/** The trace points (without the prefix) that parse into typed events. */
export function typedQemuTracePoints(): string[] {
  return Object.keys(SPECS);
}
