/**
 * A trace sink that prints QEMU 7.2 trace-event text: device events exactly as QEMU's "log"
 * backend prints `hw/nvme/trace-events` (`pci_nvme_mmio_doorbell_sq sqid 1 new_tail 3`), host events
 * as `host_*` lines and platform events as `platform_*` lines in the same style, so a trace from the
 * in-process machine can be diffed against `qemu-system-x86_64 -trace 'pci_nvme_*'`.
 *
 * @example
 * ```ts
 * import { formatQemuTraceLine } from "./trace_qemu.ts";
 * const line = formatQemuTraceLine({
 *   type: "io_cmd", cid: 5, nsid: 1, sqid: 1, opcode: 2, t: 0, side: "device", fn: 0,
 * });
 * if (line !== "pci_nvme_io_cmd cid 5 nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'") {
 *   throw new Error(line ?? "null");
 * }
 * ```
 *
 * @module
 */

import { qemuOpcodeName } from "../spec/opcodes.ts";
import type { TraceSink } from "./trace.ts";
import type { TraceEvent, TraceEventOf, TraceEventType } from "./trace_events.ts";

const u8 = (v: number): string => String(v & 0xff);
const u16 = (v: number): string => String(v & 0xffff);
const u32 = (v: number): string => String(v >>> 0);
const u64 = (v: number): string => String(v);
const int = (v: number): string => String(v | 0);
const x8 = (v: number): string => "0x" + (v & 0xff).toString(16);
const x16 = (v: number): string => "0x" + (v & 0xffff).toString(16);
const x32 = (v: number): string => "0x" + (v >>> 0).toString(16);
const x64 = (v: number): string => "0x" + v.toString(16);
const flag = (b: boolean): string => (b ? "1" : "0");

type Formatter<K extends TraceEventType> = (e: TraceEventOf<K>) => string;

/** Argument text per event type; the line is `<prefix><name> <args>`. */
const FORMATS: { [K in TraceEventType]: Formatter<K> } = {
  // host
  sqe_written: (e) =>
    `qid ${u16(e.qid)} slot ${u32(e.slot)} opc ${x8(e.opcode)} cid ${u16(e.cid)} nsid ${
      x32(e.nsid)
    }`,
  cqe_consumed: (e) =>
    `qid ${u16(e.qid)} slot ${u32(e.slot)} cid ${u16(e.cid)} status ${x16(e.status)} phase ${
      u8(e.phase)
    }` + (e.sqhd === undefined ? "" : ` sqhd ${u16(e.sqhd)}`) +
    (e.dw0 === undefined ? "" : ` dw0 ${x32(e.dw0)}`),
  doorbell_decision: (e) =>
    `qid ${u16(e.qid)} cq ${flag(e.isCq)} value ${u32(e.value)} eventidx ${
      e.eventIdx === null ? "none" : u32(e.eventIdx)
    } mmio ${flag(e.mmio)}`,
  wakeup: (e) => `vector ${int(e.vector)}`,
  host_note: (e) => e.text,
  // device: QEMU 7.2 hw/nvme/trace-events, verbatim formats
  mmio_read: (e) => `addr ${x64(e.addr)} size ${int(e.size)}`,
  mmio_write: (e) =>
    `addr ${x64(e.addr)} data 0x${
      ((BigInt(e.dataHi >>> 0) << 32n) | BigInt(e.data >>> 0)).toString(16)
    } size ${int(e.size)}`,
  mmio_doorbell_sq: (e) => `sqid ${u16(e.sqid)} new_tail ${u16(e.new_tail)}`,
  mmio_doorbell_cq: (e) => `cqid ${u16(e.cqid)} new_head ${u16(e.new_head)}`,
  admin_cmd: (e) =>
    `cid ${u16(e.cid)} sqid ${u16(e.sqid)} opc ${x8(e.opcode)} opname '${
      qemuOpcodeName(e.opcode & 0xff, true)
    }'`,
  io_cmd: (e) =>
    `cid ${u16(e.cid)} nsid ${x32(e.nsid)} sqid ${u16(e.sqid)} opc ${x8(e.opcode)} opname '${
      qemuOpcodeName(e.opcode & 0xff, false)
    }'`,
  enqueue_req_completion: (e) =>
    `cid ${u16(e.cid)} cqid ${u16(e.cqid)} dw0 ${x32(e.dw0)} dw1 ${x32(e.dw1)} status ${
      x16(e.status)
    }`,
  irq_msix: (e) => `raising MSI-X IRQ vector ${u32(e.vector)}`,
  irq_pin: () => "pulsing IRQ pin",
  irq_masked: () => "IRQ is masked",
  eventidx_sq: (e) => `sqid ${u16(e.sqid)} new_eventidx ${u16(e.new_eventidx)}`,
  eventidx_cq: (e) => `cqid ${u16(e.cqid)} new_eventidx ${u16(e.new_eventidx)}`,
  shadow_doorbell_sq: (e) =>
    `sqid ${u16(e.sqid)} new_shadow_doorbell ${u16(e.new_shadow_doorbell)}`,
  shadow_doorbell_cq: (e) =>
    `cqid ${u16(e.cqid)} new_shadow_doorbell ${u16(e.new_shadow_doorbell)}`,
  dbbuf_config: (e) => `dbs_addr=${x64(e.dbs_addr)} eis_addr=${x64(e.eis_addr)}`,
  map_addr: (e) => `addr ${x64(e.addr)} len ${u64(e.len)}`,
  map_prp: (e) =>
    `trans_len ${u64(e.trans_len)} len ${u32(e.len)} prp1 ${x64(e.prp1)} prp2 ${
      x64(e.prp2)
    } num_prps ${int(e.num_prps)}`,
  nvm_read: (e) =>
    `cid ${u16(e.cid)} nsid ${u32(e.nsid)} nlb ${u32(e.nlb)} count ${u64(e.count)} lba ${
      x64(e.lba)
    }`,
  nvm_write: (e) =>
    `cid ${u16(e.cid)} opname '${e.verb}' nsid ${u32(e.nsid)} nlb ${u32(e.nlb)} count ${
      u64(e.count)
    } lba ${x64(e.lba)}`,
  create_sq: (e) =>
    `create submission queue, addr=${x64(e.addr)}, sqid=${u16(e.sqid)}, cqid=${
      u16(e.cqid)
    }, qsize=${u16(e.qsize)}, qflags=${u16(e.qflags)}`,
  create_cq: (e) =>
    `create completion queue, addr=${x64(e.addr)}, cqid=${u16(e.cqid)}, vector=${
      u16(e.vector)
    }, qsize=${u16(e.size)}, qflags=${u16(e.qflags)}, ien=${int(e.ien)}`,
  del_sq: (e) => `deleting submission queue sqid=${u16(e.qid)}`,
  del_cq: (e) => `deleted completion queue, cqid=${u16(e.cqid)}`,
  identify: (e) => `cid ${u16(e.cid)} cns ${x8(e.cns)} ctrlid ${u16(e.ctrlid)} csi ${x8(e.csi)}`,
  get_log: (e) =>
    `cid ${u16(e.cid)} lid ${x8(e.lid)} lsp ${x8(e.lsp)} rae ${x8(e.rae)} len ${u32(e.len)} off ${
      u64(e.off)
    }`,
  getfeat: (e) =>
    `cid ${u16(e.cid)} nsid ${x32(e.nsid)} fid ${x8(e.fid)} sel ${x8(e.sel)} cdw11 ${x32(e.cdw11)}`,
  setfeat: (e) =>
    `cid ${u16(e.cid)} nsid ${x32(e.nsid)} fid ${x8(e.fid)} save ${x8(e.save)} cdw11 ${
      x32(e.cdw11)
    }`,
  aer_post_cqe: (e) => `type ${x8(e.typ)} info ${x8(e.info)} lid ${x8(e.log_page)}`,
  mmio_cfg: (e) => `wrote MMIO, config controller config=${x64(e.data)}`,
  mmio_start_success: () => "setting controller enable bit succeeded",
  mmio_stopped: () => "cleared controller enable bit",
  mmio_shutdown_set: () => "shutdown bit set",
  mmio_shutdown_cleared: () => "shutdown bit cleared",
  err_req_status: (e) =>
    `cid ${u16(e.cid)} nsid ${u32(e.nsid)} status ${x16(e.status)} opc ${x8(e.opc)}`,
  err_addr_read: (e) => `addr ${x64(e.addr)}`,
  err_cfs: () => "controller fatal status",
  err_invalid_prplist_ent: (e) => `PRP list entry is not page aligned: ${x64(e.prplist)}`,
  err_invalid_opc: (e) => `invalid opcode ${x8(e.opc)}`,
  err_invalid_admin_opc: (e) => `invalid admin opcode ${x8(e.opc)}`,
  err_invalid_lba_range: (e) =>
    `Invalid LBA start=${u64(e.start)} len=${u64(e.len)} limit=${u64(e.limit)}`,
  err_startfail: () => "setting controller enable bit failed",
  err_startfail_asq_misaligned: (e) =>
    "nvme_start_ctrl failed because the admin submission queue address is misaligned: " +
    x64(e.addr),
  ub_db_wr_invalid_cq: (e) =>
    `completion queue doorbell write for nonexistent queue, cqid=${u32(e.qid)}, ignoring`,
  ub_db_wr_invalid_cqhead: (e) =>
    `completion queue doorbell write value beyond queue size, cqid=${u32(e.qid)}, new_head=${
      u16(e.new_head)
    }, ignoring`,
  ub_db_wr_invalid_sq: (e) =>
    `submission queue doorbell write for nonexistent queue, sqid=${u32(e.qid)}, ignoring`,
  // QEMU 7.2 really prints "new_head" for the SQ tail here.
  ub_db_wr_invalid_sqtail: (e) =>
    `submission queue doorbell write value beyond queue size, sqid=${u32(e.qid)}, new_head=${
      u16(e.new_tail)
    }, ignoring`,
  qemu_raw: (e) => e.text,
  // platform
  msix_message: (e) => `vector ${u32(e.vector)} addr ${x64(e.address)} data ${x32(e.data)}`,
  msix_pending: (e) => `vector ${u32(e.vector)}`,
  intx_level: (e) => `level ${flag(e.level)}`,
  dma_read: (e) => `addr ${x64(e.addr)} len ${u64(e.len)}`,
  dma_write: (e) => `addr ${x64(e.addr)} len ${u64(e.len)}`,
  dma_fault: (e) =>
    `addr ${x64(e.addr)} len ${u64(e.len)} write ${flag(e.write)} reason ${e.reason}`,
  config_read: (e) => `offset ${x16(e.offset)} size ${int(e.size)} value ${x32(e.value)}`,
  config_write: (e) => `offset ${x16(e.offset)} size ${int(e.size)} value ${x32(e.value)}`,
  finding: (e) => `id ${e.id} severity ${e.severity} message '${e.message}'`,
  reset: (e) => `kind ${e.kind}`,
};

/** Options of the QEMU text format. */
export interface QemuTraceOptions {
  /** Print host events as `host_*` lines (default true). */
  readonly host?: boolean;
  /** Print platform events as `platform_*` lines (default true). */
  readonly platform?: boolean;
  /** Prefix lines like QEMU's `-msg timestamp=on`: `<pid>@<sec>.<usec>:` from virtual time. */
  readonly timestamps?: boolean;
  /** Thread id printed with timestamps (default 0; events from QEMU's log keep QEMU's). */
  readonly pid?: number;
}

const NS_PER_US = 1_000;
const US_PER_S = 1_000_000;

/** The trace point name of an event: `pci_nvme_*`, `host_*` or `platform_*`. */
export function qemuTraceName(event: TraceEvent): string {
  if (event.qemu) return event.qemu.name;
  switch (event.side) {
    case "device":
      return event.type === "qemu_raw"
        ? `pci_nvme_${event.name}`
        : `pci_nvme_${
          event.type === "nvm_read" ? "read" : event.type === "nvm_write" ? "write" : event.type
        }`;
    case "host":
      return event.type === "host_note" ? "host_note" : `host_${event.type}`;
    case "platform":
      return `platform_${event.type}`;
  }
}

/** Formats one event as a line (no newline), or null when the options exclude its side. */
export function formatQemuTraceLine(
  event: TraceEvent,
  options: QemuTraceOptions = {},
): string | null {
  if (event.side === "host" && options.host === false) return null;
  if (event.side === "platform" && options.platform === false) return null;
  // An event read from QEMU's own log prints as QEMU printed it, under QEMU's thread id.
  const q = event.qemu;
  const args = q ? q.text : (FORMATS[event.type] as Formatter<TraceEventType>)(event as never);
  const name = q ? q.name : qemuTraceName(event);
  let prefix = "";
  if (options.timestamps) {
    const us = Math.floor(event.t / NS_PER_US);
    const sec = Math.floor(us / US_PER_S);
    const pid = q?.pid ?? options.pid ?? 0;
    prefix = `${pid}@${sec}.${String(us - sec * US_PER_S).padStart(6, "0")}:`;
  }
  if (name === "") return `${prefix}${args}`;
  return args === "" ? `${prefix}${name}` : `${prefix}${name} ${args}`;
}

/** A sink collecting QEMU-format lines (and optionally passing each to `onLine`). */
export class QemuTraceSink implements TraceSink {
  /** Lines collected so far. */
  readonly lines: string[] = [];
  readonly #options: QemuTraceOptions;
  readonly #onLine: ((line: string) => void) | undefined;

  /** Creates the sink; `onLine` receives each line as it is produced (e.g. to write a file). */
  constructor(options: QemuTraceOptions = {}, onLine?: (line: string) => void) {
    this.#options = options;
    this.#onLine = onLine;
  }

  /** Formats and stores one event. */
  write(event: TraceEvent): void {
    const line = formatQemuTraceLine(event, this.#options);
    if (line === null) return;
    this.lines.push(line);
    this.#onLine?.(line);
  }

  /** All lines joined with newlines (with a trailing newline when non-empty). */
  text(): string {
    return this.lines.length === 0 ? "" : this.lines.join("\n") + "\n";
  }

  /** Forgets the collected lines. */
  clear(): void {
    this.lines.length = 0;
  }
}
