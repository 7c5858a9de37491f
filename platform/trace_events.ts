/**
 * Typed trace events from both sides of the machine, as one discriminated union on `type`.
 *
 * - Host events describe what QEMU cannot see: the SQE the driver wrote into memory, the CQE it
 *   consumed, and each doorbell decision (shadow value, EventIdx, whether MMIO was rung).
 * - Device events mirror QEMU 7.2's `pci_nvme_*` trace points: same names without the prefix,
 *   same argument names, so the QEMU text sink prints identical lines.
 * - Platform events are the machine's own: MSI-X messages, INTx level, DMA, findings, resets.
 *
 * Every event carries `t` (virtual ns), `side` and `fn` (PCI function index), stamped by the
 * emitter; emitters pass only the body.
 *
 * @module
 */

/** Which side of the machine emitted an event. */
export type TraceSide = "host" | "device" | "platform";

/** Fields stamped on every event by the emitter. */
export type TraceMeta = {
  /** Virtual time in nanoseconds. */
  t: number;
  /** Emitting side. */
  side: TraceSide;
  /** PCI function index (0 for the first attached function). */
  fn: number;
  /** Set on events read from QEMU's own trace log (the QEMU platform with tracing on). */
  qemu?: QemuOrigin;
};

/** Where an event read from QEMU's trace log came from, and how QEMU printed it. */
export type QemuOrigin = {
  /** The thread id QEMU printed (its main thread = its pid), or null without timestamps. */
  pid: number | null;
  /** The full trace point name, e.g. `pci_nvme_io_cmd` ("" for a line that was not one). */
  name: string;
  /** The arguments exactly as QEMU printed them (QEMU's opcode names included). */
  text: string;
  /** QEMU's own wall-clock timestamp (µs since the epoch), or null without `-msg timestamp=on`. */
  epochUs: number | null;
};

// ---------------------------------------------------------------- host

/** Host events: the driver's side of the shared-memory protocol. */
export type HostTraceBody =
  /** The driver wrote an SQE into submission queue `qid` at `slot`. `bytes` is an optional copy. */
  | {
    type: "sqe_written";
    qid: number;
    slot: number;
    opcode: number;
    cid: number;
    nsid: number;
    bytes?: Uint8Array;
  }
  /** The driver consumed the CQE at `slot` of completion queue `qid`. `status` is the 15-bit
   * status field (without the phase bit). */
  | {
    type: "cqe_consumed";
    qid: number;
    slot: number;
    cid: number;
    status: number;
    phase: number;
    sqhd?: number;
    dw0?: number;
  }
  /** A doorbell update: new `value`; `eventIdx` read from the EventIdx buffer (null without shadow
   * doorbells); `mmio` = whether the driver also wrote the MMIO doorbell. */
  | {
    type: "doorbell_decision";
    qid: number;
    isCq: boolean;
    value: number;
    eventIdx: number | null;
    mmio: boolean;
  }
  /** A host wait returned because interrupt `vector` fired (INTx: the INTX vector constant). */
  | { type: "wakeup"; vector: number }
  /** Free-form host annotation. */
  | { type: "host_note"; text: string };

// ---------------------------------------------------------------- device (QEMU 7.2 names)

/** Device events, named after QEMU 7.2's `pci_nvme_<type>` trace points with the same arguments.
 * 64-bit values are numbers (exact below 2^53); `mmio_write` splits its data into `data` (low 32
 * bits) and `dataHi`. `qemu_raw` carries any other trace point verbatim. */
export type DeviceTraceBody =
  | { type: "mmio_read"; addr: number; size: number }
  | { type: "mmio_write"; addr: number; data: number; dataHi: number; size: number }
  | { type: "mmio_doorbell_sq"; sqid: number; new_tail: number }
  | { type: "mmio_doorbell_cq"; cqid: number; new_head: number }
  | { type: "admin_cmd"; cid: number; sqid: number; opcode: number; nsid?: number }
  | { type: "io_cmd"; cid: number; nsid: number; sqid: number; opcode: number }
  | {
    type: "enqueue_req_completion";
    cid: number;
    cqid: number;
    dw0: number;
    dw1: number;
    status: number;
  }
  | { type: "irq_msix"; vector: number }
  | { type: "irq_pin" }
  | { type: "irq_masked" }
  | { type: "eventidx_sq"; sqid: number; new_eventidx: number }
  | { type: "eventidx_cq"; cqid: number; new_eventidx: number }
  | { type: "shadow_doorbell_sq"; sqid: number; new_shadow_doorbell: number }
  | { type: "shadow_doorbell_cq"; cqid: number; new_shadow_doorbell: number }
  | { type: "dbbuf_config"; dbs_addr: number; eis_addr: number }
  | { type: "map_addr"; addr: number; len: number }
  | {
    type: "map_prp";
    trans_len: number;
    len: number;
    prp1: number;
    prp2: number;
    num_prps: number;
  }
  | { type: "nvm_read"; cid: number; nsid: number; nlb: number; count: number; lba: number }
  | {
    type: "nvm_write";
    cid: number;
    verb: string;
    nsid: number;
    nlb: number;
    count: number;
    lba: number;
  }
  | { type: "create_sq"; addr: number; sqid: number; cqid: number; qsize: number; qflags: number }
  | {
    type: "create_cq";
    addr: number;
    cqid: number;
    vector: number;
    size: number;
    qflags: number;
    ien: number;
  }
  | { type: "del_sq"; qid: number }
  | { type: "del_cq"; cqid: number }
  | { type: "identify"; cid: number; cns: number; ctrlid: number; csi: number }
  | {
    type: "get_log";
    cid: number;
    lid: number;
    lsp: number;
    rae: number;
    len: number;
    off: number;
  }
  | { type: "getfeat"; cid: number; nsid: number; fid: number; sel: number; cdw11: number }
  | { type: "setfeat"; cid: number; nsid: number; fid: number; save: number; cdw11: number }
  | { type: "aer_post_cqe"; typ: number; info: number; log_page: number }
  | { type: "mmio_cfg"; data: number }
  | { type: "mmio_start_success" }
  | { type: "mmio_stopped" }
  | { type: "mmio_shutdown_set" }
  | { type: "mmio_shutdown_cleared" }
  | { type: "err_req_status"; cid: number; nsid: number; status: number; opc: number }
  | { type: "err_addr_read"; addr: number }
  | { type: "err_cfs" }
  | { type: "err_invalid_prplist_ent"; prplist: number }
  | { type: "err_invalid_opc"; opc: number }
  | { type: "err_invalid_admin_opc"; opc: number }
  | { type: "err_invalid_lba_range"; start: number; len: number; limit: number }
  | { type: "err_startfail" }
  | { type: "err_startfail_asq_misaligned"; addr: number }
  | { type: "ub_db_wr_invalid_cq"; qid: number }
  | { type: "ub_db_wr_invalid_cqhead"; qid: number; new_head: number }
  | { type: "ub_db_wr_invalid_sq"; qid: number }
  | { type: "ub_db_wr_invalid_sqtail"; qid: number; new_tail: number }
  /** Any other QEMU trace point: `name` without the `pci_nvme_` prefix, `text` = formatted args. */
  | { type: "qemu_raw"; name: string; text: string };

// ---------------------------------------------------------------- platform

/** Why a DMA was refused. */
export type DmaFaultReason = "unmapped" | "forbidden" | "range" | "bus_master";

/** Platform events: what the machine itself did. */
export type PlatformTraceBody =
  | { type: "msix_message"; vector: number; address: number; data: number }
  | { type: "msix_pending"; vector: number }
  | { type: "intx_level"; level: boolean }
  | { type: "dma_read"; addr: number; len: number }
  | { type: "dma_write"; addr: number; len: number }
  | { type: "dma_fault"; addr: number; len: number; write: boolean; reason: DmaFaultReason }
  | { type: "config_read"; offset: number; size: number; value: number }
  | { type: "config_write"; offset: number; size: number; value: number }
  | { type: "finding"; id: string; severity: string; message: string }
  | { type: "reset"; kind: string };

/** Any event body. */
export type TraceBody = HostTraceBody | DeviceTraceBody | PlatformTraceBody;

/** A stamped trace event. Narrow with `event.type`. */
export type TraceEvent = TraceBody & TraceMeta;

/** Every event type name. */
export type TraceEventType = TraceEvent["type"];

/** The event with type `K`. */
export type TraceEventOf<K extends TraceEventType> = Extract<TraceEvent, { type: K }>;
