import { assert, assertEquals } from "@std/assert";
import { formatQemuTraceLine } from "../trace_qemu.ts";
import type { TraceEvent } from "../trace_events.ts";
import { parseQemuLogLine, typedQemuTracePoints } from "./qemu_trace_log.ts";

/** Lines QEMU 7.2.22 (Debian) wrote with `-trace 'pci_nvme_*' -msg timestamp=on` while the
 * Linux-like driver brought the controller up, wrote, read and shut down. */
const REAL_7_2 = `
5601@1795358671.689844:pci_nvme_mmio_read addr 0x0 size 4
5601@1795358671.707518:pci_nvme_mmio_write addr 0x14 data 0x0 size 4
5601@1795358671.707522:pci_nvme_mmio_cfg wrote MMIO, config controller config=0x0
5601@1795358671.714705:pci_nvme_mmio_start_success setting controller enable bit succeeded
5601@1795358671.715483:pci_nvme_mmio_doorbell_sq sqid 0 new_tail 1
5601@1795358671.715699:pci_nvme_admin_cmd cid 0 sqid 0 opc 0x6 opname 'NVME_ADM_CMD_IDENTIFY'
5601@1795358671.715704:pci_nvme_identify cid 0 cns 0x1 ctrlid 0 csi 0x0
5601@1795358671.715709:pci_nvme_map_prp trans_len 4096 len 4096 prp1 0x202000 prp2 0x0 num_prps 2
5601@1795358671.715712:pci_nvme_map_addr addr 0x202000 len 4096
5601@1795358671.715715:pci_nvme_enqueue_req_completion cid 0 cqid 0 dw0 0x0 dw1 0x0 status 0x0
5601@1795358671.716268:pci_nvme_irq_msix raising MSI-X IRQ vector 0
5601@1795358671.717068:pci_nvme_mmio_doorbell_cq cqid 0 new_head 1
5601@1795358671.718011:pci_nvme_setfeat cid 4096 nsid 0x0 fid 0x7 save 0x0 cdw11 0x30003
5601@1795358671.719949:pci_nvme_create_cq create completion queue, addr=0x215000, cqid=1, vector=1, qsize=1023, qflags=3, ien=1
5601@1795358671.720855:pci_nvme_create_sq create submission queue, addr=0x205000, sqid=1, cqid=1, qsize=1023, qflags=1
5601@1795358671.727420:pci_nvme_dbbuf_config dbs_addr=0x203000 eis_addr=0x204000
5601@1795358671.727424:pci_nvme_eventidx_sq sqid 0 new_eventidx 11
5601@1795358671.727426:pci_nvme_shadow_doorbell_sq sqid 0 new_shadow_doorbell 11
5601@1795358671.727430:pci_nvme_shadow_doorbell_cq cqid 0 new_shadow_doorbell 10
5601@1795358671.733769:pci_nvme_io_cmd cid 0 nsid 0x1 sqid 1 opc 0x1 opname 'NVME_NVM_CMD_WRITE'
5601@1795358671.733773:pci_nvme_write cid 0 opname 'NVME_NVM_CMD_WRITE' nsid 1 nlb 8 count 4096 lba 0x3
5601@1795358671.735934:pci_nvme_read cid 4096 nsid 1 nlb 8 count 4096 lba 0x3
5601@1795358671.737492:pci_nvme_ub_db_wr_invalid_sq submission queue doorbell write for nonexistent queue, sqid=9, ignoring
5601@1795358671.737508:pci_nvme_aer_post_cqe type 0x0 info 0x0 lid 0x1
5601@1795358671.739427:pci_nvme_del_sq deleting submission queue sqid=4
5601@1795358671.740542:pci_nvme_del_cq deleted completion queue, cqid=4
5601@1795358671.741727:pci_nvme_mmio_shutdown_set shutdown bit set
`.trim().split("\n");

/** Trace points of the same run that have no typed event. */
const REAL_UNTYPED = `
5601@1795358671.685005:pci_nvme_pci_reset PCI Function Level Reset
5601@1795358671.714074:pci_nvme_mmio_aqattr wrote MMIO, admin queue attributes=0x1f001f
5601@1795358671.718013:pci_nvme_setfeat_numq requested cq_count=4 sq_count=4, responding with cq_count=64 sq_count=64
5601@1795358671.734693:pci_nvme_rw_cb cid 0 blk ''
5601@1795358671.738051:pci_nvme_ub_db_wr_misaligned doorbell write not 32-bit aligned, offset=0x1002, ignoring
`.trim().split("\n");

Deno.test("QEMU trace log: real 7.2 lines become typed events that print back identically", () => {
  for (const line of REAL_7_2) {
    const l = parseQemuLogLine(line);
    assertEquals(l.pid, 5601, line);
    assert(l.epochUs !== null && l.epochUs > 1_795_358_671_000_000, line);
    assert(l.event.type !== "qemu_raw", `no typed event for ${line}`);
    // The typed event, printed by our own QEMU-format printer, is QEMU's line again: the fields
    // were read correctly (opcode names come from our table here, not from QEMU's text).
    const ev = { ...l.event, t: 0, side: "device", fn: 0 } as TraceEvent;
    assertEquals(formatQemuTraceLine(ev), line.replace(/^\d+@\d+\.\d+:/, ""));
  }
});

Deno.test("QEMU trace log: fields by QEMU's argument names", () => {
  const io = parseQemuLogLine(REAL_7_2[19]);
  assertEquals(io.name, "pci_nvme_io_cmd");
  assertEquals(io.fields, { cid: 0, nsid: 1, sqid: 1, opcode: 1, opname: "NVME_NVM_CMD_WRITE" });
  assertEquals(io.event, { type: "io_cmd", cid: 0, nsid: 1, sqid: 1, opcode: 1 });
  const cq = parseQemuLogLine(REAL_7_2[13]).event;
  assertEquals(cq, {
    type: "create_cq",
    addr: 0x215000,
    cqid: 1,
    vector: 1,
    size: 1023,
    qflags: 3,
    ien: 1,
  });
  assertEquals(parseQemuLogLine(REAL_7_2[21]).event.type, "nvm_read");
  assertEquals(parseQemuLogLine(REAL_7_2[22]).event, { type: "ub_db_wr_invalid_sq", qid: 9 });
  assertEquals(parseQemuLogLine(REAL_7_2[0]).epochUs, 1795358671689844);
});

Deno.test("QEMU trace log: 64-bit MMIO data splits into dwords; too-large values stay raw", () => {
  const w = parseQemuLogLine("pci_nvme_mmio_write addr 0x28 data 0x100201000 size 8");
  assertEquals(w.pid, null);
  assertEquals(w.epochUs, null);
  assertEquals(w.event, { type: "mmio_write", addr: 0x28, data: 0x201000, dataHi: 1, size: 8 });
  const big = parseQemuLogLine("pci_nvme_map_addr addr 0xffffffffffffffff len 8");
  assertEquals(big.fields.addr, 0xffff_ffff_ffff_ffffn);
  assertEquals(big.event, { type: "qemu_raw", name: "map_addr", text: big.text });
});

Deno.test("QEMU trace log: unknown lines are kept whole, with key/value fields", () => {
  for (const line of REAL_UNTYPED) {
    const l = parseQemuLogLine(line);
    assertEquals(l.event.type, "qemu_raw", line);
    assertEquals(`${l.name} ${l.text}`, line.replace(/^\d+@\d+\.\d+:/, ""));
  }
  const numq = parseQemuLogLine(REAL_UNTYPED[2]);
  assertEquals(numq.fields, { cq_count: 64, sq_count: 64 });
  assertEquals(parseQemuLogLine(REAL_UNTYPED[4]).fields, { offset: 0x1002 });
  // A line that is no trace point at all (another message in the -D file) and a partial line.
  for (const odd of ["qemu-system-x86_64: terminating on signal 15", "5601@17953586"]) {
    const l = parseQemuLogLine(odd);
    assertEquals([l.name, l.event.type, l.raw], ["", "qemu_raw", odd]);
    assertEquals(l.text, odd);
  }
  // Another subsystem's trace point keeps its full name.
  const other = parseQemuLogLine("memory_region_ops_read cpu 0 mr 0x55 addr 0x1c value 0x1 size 4");
  assertEquals(other.name, "memory_region_ops_read");
  assertEquals(other.fields.addr, 0x1c);
});

Deno.test("QEMU trace log: the typed trace points cover those the trace command needs", () => {
  const typed = new Set(typedQemuTracePoints());
  for (
    const p of [
      "mmio_doorbell_sq",
      "mmio_doorbell_cq",
      "mmio_read",
      "mmio_write",
      "admin_cmd",
      "io_cmd",
      "read",
      "write",
      "enqueue_req_completion",
      "irq_msix",
      "irq_pin",
      "create_sq",
      "create_cq",
      "shadow_doorbell_sq",
      "shadow_doorbell_cq",
      "eventidx_sq",
      "eventidx_cq",
      "err_req_status",
      "err_invalid_opc",
    ]
  ) assert(typed.has(p), p);
});
