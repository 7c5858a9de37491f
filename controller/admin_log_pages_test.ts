// Get Log Page (Base 2.1 §5.1.12) through the test host: each page's content, the NUMD / LPO / RAE
// semantics, the asynchronous event masking a page read clears, and Commands Supported and
// Effects checked against what the controller actually accepts.

import { assert, assertEquals } from "@std/assert";
import {
  CreateIoCq,
  CreateIoSq,
  GetLogPage,
  Identify,
  NamespaceAttachment,
  NamespaceManagement,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { AsyncEventType, NoticeEvent } from "../spec/async_events.ts";
import { CmdEffects, CommandsSupportedEffectsLog } from "../spec/cmd_effects_log.ts";
import { ERROR_LOG_ENTRY_SIZE, ErrorInformationLogEntry } from "../spec/error_log.ts";
import { FirmwareSlotLog } from "../spec/fw_slot_log.ts";
import { IdentifyController, Lpa, Oacs, testBit } from "../spec/identify_controller.ts";
import { IdentifyNamespace } from "../spec/identify_namespace.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { ChangedNamespaceList, encodeControllerList, nsidsOf } from "../spec/ns_list.ts";
import { Read, Write } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { SmartLog } from "../spec/smart_log.ts";
import { Status } from "../spec/status.ts";
import { FeatureId } from "../spec/features.ts";
import {
  arrivals as arrivalsOn,
  type Completion,
  exec as execOn,
  HostQueue,
  rig,
  type TestRig,
} from "./_test_host.ts";

const PAGE = 4096;
const FILL = 0xaa;
const AEC_NS_ATTR = 1 << 8;
const NSID_ALL = 0xffff_ffff;

/** Submits `sqe` on the admin queue and returns its completion (see `exec`). */
function exec(r: TestRig, sqe: Uint8Array, others: Completion[] = []): Completion {
  return execOn(r.admin, sqe, others);
}

/** Admin completions that arrive within `ns` of virtual time (see `arrivals`). */
function arrivals(r: TestRig, ns?: number): Completion[] {
  return arrivalsOn(r.admin, ns);
}

let nextCid = 1;
const cid = () => (nextCid = (nextCid % 0xff00) + 1);

interface LogRead {
  lid: number;
  bytes: number;
  offset?: number;
  rae?: boolean;
  nsid?: number;
  ot?: boolean;
  csi?: number;
}

/** Get Log Page into a FILL-ed buffer of `bytes + PAGE`; returns the completion and the bytes. */
function readLog(r: TestRig, q: LogRead, others?: Completion[]): [Completion, Uint8Array] {
  const span = Math.ceil(q.bytes / PAGE) * PAGE + PAGE;
  const buf = r.host.allocate(span, PAGE);
  r.host.memFill(buf, span, FILL);
  const numd = q.bytes / 4 - 1, offset = q.offset ?? 0;
  const sqe = GetLogPage.encode({
    opcode: AdminOpcode.GET_LOG_PAGE,
    cid: cid(),
    nsid: q.nsid ?? 0,
    prp1: buf,
    prp2: q.bytes > 2 * PAGE ? 0 : buf + PAGE, // up to two pages: PRP2 is the second page
    lid: q.lid,
    rae: q.rae ? 1 : 0,
    numdl: numd & 0xffff,
    numdu: Math.floor(numd / 0x10000),
    lpol: offset % 2 ** 32,
    lpou: Math.floor(offset / 2 ** 32),
    ot: q.ot ? 1 : 0,
    csi: q.csi ?? 0,
  });
  const c = exec(r, sqe, others);
  const data = new Uint8Array(span);
  r.host.memRead(buf, data);
  return [c, data];
}

function identify(r: TestRig, cns: number, nsid = 0): Uint8Array {
  const buf = r.host.allocate(PAGE, PAGE);
  const c = exec(
    r,
    Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: cid(), nsid, prp1: buf, cns }),
  );
  assertEquals(c.status, 0);
  const data = new Uint8Array(PAGE);
  r.host.memRead(buf, data);
  return data;
}

function createIoQueue(r: TestRig, qid: number, size: number): HostQueue {
  const sq = r.host.allocate(size * 64, PAGE), cq = r.host.allocate(size * 16, PAGE);
  r.host.memFill(cq, size * 16, 0);
  const cqe = CreateIoCq.encode({
    opcode: AdminOpcode.CREATE_IO_CQ,
    cid: cid(),
    prp1: cq,
    qid,
    qsize: size - 1,
    pc: 1,
    ien: 1,
    iv: qid,
  });
  assertEquals(exec(r, cqe).status, 0);
  const sqe = CreateIoSq.encode({
    opcode: AdminOpcode.CREATE_IO_SQ,
    cid: cid(),
    prp1: sq,
    qid,
    qsize: size - 1,
    pc: 1,
    cqid: qid,
  });
  assertEquals(exec(r, sqe).status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

function enableNamespaceNotices(r: TestRig): void {
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    cid: cid(),
    fid: FeatureId.ASYNC_EVENT_CONFIG,
    cdw11: AEC_NS_ATTR,
  });
  assertEquals(exec(r, sqe).status, 0);
}

function aer(r: TestRig, id: number): void {
  const sqe = new Uint8Array(64);
  sqe.set([AdminOpcode.ASYNC_EVENT_REQUEST, 0, id & 0xff, id >>> 8]);
  r.admin.submit(sqe);
}

/** Creates a 1 MiB namespace of 512-byte blocks (NSID returned) and attaches it to CNTLID 0. */
function createAndAttach(r: TestRig, others: Completion[]): number {
  const data = r.host.allocate(PAGE, PAGE);
  r.host.memWrite(data, IdentifyNamespace.encode({ nsze: 2048n, ncap: 2048n }));
  const mgmt = NamespaceManagement.encode({
    opcode: AdminOpcode.NS_MANAGEMENT,
    cid: cid(),
    prp1: data,
  });
  const created = exec(r, mgmt, others);
  assertEquals(created.status, 0);
  r.host.memWrite(data, encodeControllerList([0]));
  const attach = NamespaceAttachment.encode({
    opcode: AdminOpcode.NS_ATTACHMENT,
    cid: cid(),
    nsid: created.dw0,
    prp1: data,
  });
  assertEquals(exec(r, attach, others).status, 0);
  return created.dw0;
}

function detach(r: TestRig, nsid: number, others: Completion[]): void {
  const data = r.host.allocate(PAGE, PAGE);
  r.host.memWrite(data, encodeControllerList([0]));
  const sqe = NamespaceAttachment.encode({
    opcode: AdminOpcode.NS_ATTACHMENT,
    cid: cid(),
    nsid,
    prp1: data,
    sel: 1,
  });
  assertEquals(exec(r, sqe, others).status, 0);
}

const NOTICE_NS_CHANGED = AsyncEventType.NOTICE | (NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED << 8) |
  (LogPageId.CHANGED_NS << 16);

Deno.test("Get Log Page: Identify Controller advertises LPA, ELPE and OACS", () => {
  const r = rig();
  const id = IdentifyController.decode(identify(r, 1));
  assert(testBit(id.lpa, Lpa.CMD_EFFECTS) && testBit(id.lpa, Lpa.EXTENDED));
  assert(testBit(id.lpa, Lpa.MISC_LOGS)); // admin_log_support_test.ts reads those pages
  assert(!testBit(id.lpa, Lpa.SMART_PER_NS));
  assert(testBit(id.oacs, Oacs.NS_MGMT) && testBit(id.oacs, Oacs.FORMAT));
  assertEquals(id.elpe, 63);
});

Deno.test("Get Log Page: Error Information records failed admin commands, newest first", () => {
  const r = rig();
  const [empty, blank] = readLog(r, { lid: LogPageId.ERROR, bytes: 64 * ERROR_LOG_ENTRY_SIZE });
  assertEquals(empty.status, 0);
  assert(blank.subarray(0, 64 * ERROR_LOG_ENTRY_SIZE).every((b) => b === 0));
  const bad = exec(
    r,
    Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: 0x321, nsid: 7, cns: 0x7f }),
  );
  assertEquals(bad.status, Status.INVALID_FIELD);
  const badLog = readLog(r, { lid: 0xc0, bytes: 64 })[0];
  assertEquals([badLog.status, badLog.dnr], [Status.INVALID_LOG_PAGE, 1]);
  const [c, data] = readLog(r, { lid: LogPageId.ERROR, bytes: 3 * ERROR_LOG_ENTRY_SIZE });
  assertEquals(c.status, 0);
  const newest = ErrorInformationLogEntry.decode(data, 0);
  const older = ErrorInformationLogEntry.decode(data, ERROR_LOG_ENTRY_SIZE);
  assertEquals(newest.error_count, 2n);
  assertEquals(newest.opcode, AdminOpcode.GET_LOG_PAGE);
  assertEquals(older.error_count, 1n);
  assertEquals(
    [older.sqid, older.cmdid, older.nsid, older.opcode, older.parm_error_location],
    [0, 0x321, 7, AdminOpcode.IDENTIFY, 0xffff],
  );
  // Status field: bits 15:1 the CQE status (DNR set), bit 0 the phase tag (first pass: 1).
  assertEquals(older.status_field, ((Status.INVALID_FIELD | (1 << 14)) << 1) | 1);
  assertEquals(older.log_page_version, 1);
  assertEquals(ErrorInformationLogEntry.decode(data, 2 * ERROR_LOG_ENTRY_SIZE).error_count, 0n);
  const smart = SmartLog.decode(readLog(r, { lid: LogPageId.SMART, bytes: 512 })[1]);
  assertEquals(smart.num_err_log_entries, 2n);
  // 70 more errors: the ring keeps the newest ELPE + 1 = 64, newest first; the count goes on.
  for (let i = 0; i < 70; i++) {
    exec(r, Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: cid(), cns: 0x7f }));
  }
  const ring = readLog(r, { lid: LogPageId.ERROR, bytes: 64 * ERROR_LOG_ENTRY_SIZE })[1];
  const counts = Array.from(
    { length: 64 },
    (_, i) => ErrorInformationLogEntry.decode(ring, i * ERROR_LOG_ENTRY_SIZE).error_count,
  );
  assertEquals(counts, Array.from({ length: 64 }, (_, i) => BigInt(72 - i)));
});

Deno.test("Get Log Page: SMART / Health is controller-wide with documented constants", () => {
  const r = rig();
  const q = createIoQueue(r, 1, 8);
  const buf = r.host.allocate(PAGE, PAGE);
  for (let i = 0; i < 2; i++) {
    q.submit(Write.encode({ opcode: NvmOpcode.WRITE, cid: 10 + i, nsid: 1, prp1: buf, slba: i }));
    assertEquals(q.wait().status, 0);
  }
  for (let i = 0; i < 3; i++) {
    q.submit(Read.encode({ opcode: NvmOpcode.READ, cid: 20 + i, nsid: 1, prp1: buf, slba: i }));
    assertEquals(q.wait().status, 0);
  }
  for (const nsid of [0, NSID_ALL]) {
    const [c, data] = readLog(r, { lid: LogPageId.SMART, bytes: 512, nsid });
    assertEquals(c.status, 0);
    const s = SmartLog.decode(data);
    assertEquals(
      [s.critical_warning, s.temperature, s.avail_spare, s.spare_thresh, s.percent_used],
      [0, 0x143, 100, 10, 0],
    );
    assertEquals([s.host_reads, s.host_writes, s.power_cycles], [3n, 2n, 1n]);
    assertEquals([s.unsafe_shutdowns, s.media_errors], [0n, 0n]);
  }
  // LPA bit 0 is clear: no per-namespace SMART page.
  const perNs = readLog(r, { lid: LogPageId.SMART, bytes: 512, nsid: 1 })[0];
  assertEquals([perNs.status, perNs.dnr], [Status.INVALID_FIELD, 1]);
});

Deno.test("Get Log Page: Firmware Slot Information reports slot 1 active", () => {
  const r = rig({ firmware: "FW42" });
  const [c, data] = readLog(r, { lid: LogPageId.FW_SLOT, bytes: 512 });
  assertEquals(c.status, 0);
  const fw = FirmwareSlotLog.decode(data);
  assertEquals([fw.afi, fw.frs1.trim(), fw.frs2], [1, "FW42", ""]);
});

Deno.test("Get Log Page: NUMD and LPO select a window, zero-filled, exactly NUMD + 1 dwords", async (t) => {
  const r = rig({ firmware: "ABCDEFGH" });
  const fw = FirmwareSlotLog.encode({ afi: 1, frs1: "ABCDEFGH" });
  await t.step("more than the page: the page, then zeros, nothing past NUMD + 1 dwords", () => {
    const [c, data] = readLog(r, { lid: LogPageId.FW_SLOT, bytes: PAGE });
    assertEquals(c.status, 0);
    assertEquals(data.subarray(0, 512), fw);
    assert(data.subarray(512, PAGE).every((b) => b === 0));
    assert(data.subarray(PAGE).every((b) => b === FILL));
  });
  await t.step("an offset inside the page", () => {
    const [c, data] = readLog(r, { lid: LogPageId.FW_SLOT, bytes: 8, offset: 8 });
    assertEquals(c.status, 0);
    assertEquals(new TextDecoder().decode(data.subarray(0, 8)), "ABCDEFGH");
    assert(data.subarray(8).every((b) => b === FILL));
  });
  await t.step("a window running off the end of the page", () => {
    const [c, data] = readLog(r, { lid: LogPageId.FW_SLOT, bytes: 16, offset: 4 });
    assertEquals(c.status, 0);
    assertEquals(data.subarray(0, 16), fw.subarray(4, 20));
    const [tail, end] = readLog(r, { lid: LogPageId.FW_SLOT, bytes: 16, offset: 508 });
    assertEquals(tail.status, 0);
    assertEquals([...end.subarray(0, 16)], new Array(16).fill(0));
  });
  await t.step("past 4 KiB: two pages, the second all zeros", () => {
    const [c, data] = readLog(r, { lid: LogPageId.CMD_EFFECTS, bytes: 2 * PAGE });
    assertEquals(c.status, 0);
    assert(data.subarray(PAGE, 2 * PAGE).every((b) => b === 0));
    assert(data.subarray(2 * PAGE).every((b) => b === FILL));
  });
  await t.step("bad offsets, offset type and sizes are Invalid Field", () => {
    const cases: LogRead[] = [
      { lid: LogPageId.FW_SLOT, bytes: 8, offset: 2 }, // not dword aligned
      { lid: LogPageId.FW_SLOT, bytes: 8, offset: 512 }, // at the page size
      { lid: LogPageId.FW_SLOT, bytes: 8, offset: 2 ** 32 }, // LPOU
      { lid: LogPageId.FW_SLOT, bytes: 8, ot: true }, // index offsets not supported
      { lid: LogPageId.CMD_EFFECTS, bytes: 8, csi: 2 }, // not the NVM command set
      { lid: LogPageId.FW_SLOT, bytes: 128 * PAGE + 4 }, // above MDTS (2^7 × 4 KiB)
    ];
    for (const q of cases) {
      const c = readLog(r, q)[0];
      assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1], JSON.stringify(q));
    }
  });
  await t.step("unknown or unimplemented LIDs are Invalid Log Page", () => {
    for (const lid of [LogPageId.TELEMETRY_HOST, LogPageId.DEVICE_SELF_TEST, 0x7f, 0xc0]) {
      const c = readLog(r, { lid, bytes: 512 })[0];
      assertEquals([c.status, c.dnr], [Status.INVALID_LOG_PAGE, 1], `LID ${lid}`);
    }
  });
});

Deno.test("Get Log Page: Changed Namespace List and RAE gate the Notice AER", () => {
  const r = rig();
  enableNamespaceNotices(r);
  const seen: Completion[] = [];
  aer(r, 0xffa1);
  const nsid = createAndAttach(r, seen);
  const first = [...seen, ...arrivals(r)];
  assertEquals(first.map((c) => [c.cid, c.status, c.dw0]), [[0xffa1, 0, NOTICE_NS_CHANGED]]);
  // The Notice type is now masked: a second change queues its event behind the mask.
  aer(r, 0xffa2);
  seen.length = 0;
  detach(r, nsid, seen);
  assertEquals([...seen, ...arrivals(r)], []);
  const changed = (data: Uint8Array) => nsidsOf(ChangedNamespaceList.decode(data).ns);
  for (let i = 0; i < 2; i++) { // RAE = 1: list retained, event not cleared
    const [c, data] = readLog(r, { lid: LogPageId.CHANGED_NS, bytes: PAGE, rae: true }, seen);
    assertEquals([c.status, changed(data)], [0, [nsid]]);
    assertEquals([...seen, ...arrivals(r)], []);
  }
  // RAE = 0: the list is returned and cleared, and the held event goes to the outstanding AER.
  const [c, data] = readLog(r, { lid: LogPageId.CHANGED_NS, bytes: PAGE }, seen);
  assertEquals([c.status, changed(data)], [0, [nsid]]);
  const released = [...seen, ...arrivals(r)];
  assertEquals(released.map((e) => [e.cid, e.dw0]), [[0xffa2, NOTICE_NS_CHANGED]]);
  const [again, empty] = readLog(r, { lid: LogPageId.CHANGED_NS, bytes: PAGE });
  assertEquals([again.status, changed(empty)], [0, []]);
});

Deno.test("Get Log Page: Commands Supported and Effects lists exactly what is accepted", () => {
  const r = rig();
  const [c, data] = readLog(r, { lid: LogPageId.CMD_EFFECTS, bytes: PAGE });
  assertEquals(c.status, 0);
  const log = CommandsSupportedEffectsLog.decode(data);
  const has = (entry: number, bit: number) => ((entry >>> bit) & 1) === 1;
  const supported = (table: readonly number[]) =>
    table.flatMap((e, op) => has(e, CmdEffects.CSUPP) ? [op] : []);
  for (
    const op of [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x15, 0x18, 0x80]
  ) {
    assert(supported(log.acs).includes(op), `admin opcode ${op}`);
  }
  for (const op of [0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x09, 0x0c]) {
    assert(supported(log.iocs).includes(op), `I/O opcode ${op}`);
  }
  assert(has(log.iocs[NvmOpcode.WRITE], CmdEffects.LBCC));
  assert(!has(log.iocs[NvmOpcode.READ], CmdEffects.LBCC));
  const format = log.acs[AdminOpcode.FORMAT_NVM];
  assert(has(format, CmdEffects.LBCC) && has(format, CmdEffects.NCC));
  assert(has(log.acs[AdminOpcode.NS_MANAGEMENT], CmdEffects.NIC));
  assert(has(log.acs[AdminOpcode.NS_ATTACHMENT], CmdEffects.NIC));
  assert(!has(log.acs[AdminOpcode.IDENTIFY], CmdEffects.LBCC));

  // Behavioural cross-check: every opcode is Invalid Command Opcode exactly when CSUPP is clear.
  // NSID 0 and zeroed data make every supported command fail some other check (or succeed
  // harmlessly); AER (held until an event) and Doorbell Buffer Config are left out.
  const zero = r.host.allocate(2 * PAGE, PAGE);
  r.host.memFill(zero, 2 * PAGE, 0);
  const q = createIoQueue(r, 1, 4);
  for (let op = 0; op < 256; op++) {
    q.submit(new Uint8Array([op, 0, 1, 0, ...new Array(60).fill(0)]));
    const io = q.wait();
    assertEquals(
      io.status === Status.INVALID_OPCODE,
      !has(log.iocs[op], CmdEffects.CSUPP),
      `I/O ${op}`,
    );
  }
  const prps = new Uint8Array(16);
  new DataView(prps.buffer).setBigUint64(0, BigInt(zero), true);
  new DataView(prps.buffer).setBigUint64(8, BigInt(zero + PAGE), true);
  for (let op = 0; op < 256; op++) {
    if (op === AdminOpcode.ASYNC_EVENT_REQUEST || op === AdminOpcode.DOORBELL_BUFFER_CONFIG) {
      continue;
    }
    const sqe = new Uint8Array(64);
    sqe.set([op, 0, 0x77, 0]);
    sqe.set(prps, 24);
    const admin = exec(r, sqe);
    assertEquals(
      admin.status === Status.INVALID_OPCODE,
      !has(log.acs[op], CmdEffects.CSUPP),
      `admin ${op}`,
    );
  }
});
