// Namespace Management, Namespace Attachment (Base 2.1 §5.1.21, §5.1.20) and Format NVM (§5.1.10)
// through the test host: end to end with Identify, the Changed Namespace List and the Notice AER,
// on one controller and on two sharing a subsystem; every error status; and Format NVM changing
// the block size and erasing data.

import { assert, assertEquals } from "@std/assert";
import {
  Cns,
  CreateIoCq,
  CreateIoSq,
  FormatNvm,
  GetLogPage,
  Identify,
  NamespaceAttachment,
  NamespaceManagement,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { AsyncEventType, NoticeEvent } from "../spec/async_events.ts";
import { FeatureId } from "../spec/features.ts";
import { IdentifyController } from "../spec/identify_controller.ts";
import { Flbas, formatIndex, IdentifyNamespace } from "../spec/identify_namespace.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import {
  ChangedNamespaceList,
  controllerIdsOf,
  ControllerList,
  encodeControllerList,
  NamespaceList,
  nsidsOf,
} from "../spec/ns_list.ts";
import { Read, Write } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import { Machine } from "../platform/machine.ts";
import { NvmeController } from "./controller.ts";
import { NvmSubsystem, type NvmSubsystemOptions } from "./subsystem.ts";
import {
  arrivals as arrivalsOn,
  type Completion,
  exec as execOn,
  HostQueue,
  rig,
  type TestRig,
  waitReady,
} from "./_test_host.ts";

const PAGE = 4096;
const ADMIN_SIZE = 32;
const NSID_ALL = 0xffff_ffff;
const NOTICE_NS_CHANGED = AsyncEventType.NOTICE | (NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED << 8) |
  (LogPageId.CHANGED_NS << 16);

/** Controllers with CNTLIDs `cntlids` on one machine, sharing a subsystem, each enabled. */
function controllers(sub: NvmSubsystemOptions, cntlids: number[]): TestRig[] {
  const machine = new Machine();
  const subsystem = new NvmSubsystem(sub);
  return cntlids.map((cntlid) => {
    const ctrl = new NvmeController({ cntlid }, subsystem);
    const host = machine.attach(ctrl);
    host.configWrite(0x04, 2, 0x0006);
    host.setupInterrupts("msix");
    const sq = host.allocate(ADMIN_SIZE * SQE_SIZE, PAGE);
    const cq = host.allocate(ADMIN_SIZE * CQE_SIZE, PAGE);
    host.memFill(cq, ADMIN_SIZE * CQE_SIZE, 0);
    host.write32(R.AQA, ((ADMIN_SIZE - 1) << 16) | (ADMIN_SIZE - 1));
    host.write64(R.ASQ, sq);
    host.write64(R.ACQ, cq);
    host.write32(R.CC, 0x00460001);
    waitReady(host, 1);
    const admin = new HostQueue(host, 0, sq, cq, ADMIN_SIZE, ctrl.options.dstrd);
    return { machine, ctrl, host, admin };
  });
}

let nextCid = 1;
const cid = () => (nextCid = (nextCid % 0xff00) + 1);

/** Submits `sqe` on the admin queue and returns its completion (see `exec`). */
function exec(r: TestRig, sqe: Uint8Array, others: Completion[] = []): Completion {
  return execOn(r.admin, sqe, others);
}

/** Admin completions that arrive within `ns` of virtual time (see `arrivals`). */
function arrivals(r: TestRig, ns?: number): Completion[] {
  return arrivalsOn(r.admin, ns);
}

function hostData(r: TestRig, bytes: Uint8Array): number {
  const buf = r.host.allocate(PAGE, PAGE);
  r.host.memWrite(buf, bytes);
  return buf;
}

function identify(r: TestRig, cns: number, nsid = 0, cntid = 0): Uint8Array {
  const buf = r.host.allocate(PAGE, PAGE);
  const sqe = Identify.encode({
    opcode: AdminOpcode.IDENTIFY,
    cid: cid(),
    nsid,
    prp1: buf,
    cns,
    cntid,
  });
  assertEquals(exec(r, sqe).status, 0);
  const data = new Uint8Array(PAGE);
  r.host.memRead(buf, data);
  return data;
}

const nsList = (r: TestRig, cns: number, nsid = 0) =>
  nsidsOf(NamespaceList.decode(identify(r, cns, nsid)).ns);
const ctrlList = (r: TestRig, cns: number, nsid = 0, cntid = 0) =>
  controllerIdsOf(ControllerList.decode(identify(r, cns, nsid, cntid)));
const idNs = (r: TestRig, cns: number, nsid: number) =>
  IdentifyNamespace.decode(identify(r, cns, nsid));

interface CreateSpec {
  nsze: number;
  ncap?: number;
  flbas?: number;
  nmic?: number;
  dps?: number;
  csi?: number;
  sel?: number;
}

function create(r: TestRig, s: CreateSpec, others?: Completion[]): Completion {
  const data = IdentifyNamespace.encode({
    nsze: s.nsze,
    ncap: s.ncap ?? s.nsze,
    flbas: s.flbas ?? 0,
    nmic: s.nmic ?? 0,
    dps: s.dps ?? 0,
  });
  const sqe = NamespaceManagement.encode({
    opcode: AdminOpcode.NS_MANAGEMENT,
    cid: cid(),
    prp1: hostData(r, data),
    sel: s.sel ?? 0,
    csi: s.csi ?? 0,
  });
  return exec(r, sqe, others);
}

function remove(r: TestRig, nsid: number, others?: Completion[]): Completion {
  const sqe = NamespaceManagement.encode({
    opcode: AdminOpcode.NS_MANAGEMENT,
    cid: cid(),
    nsid,
    sel: 1,
  });
  return exec(r, sqe, others);
}

/** Namespace Attachment with `list` (a Controller List image, or CNTLIDs). */
function attachment(
  r: TestRig,
  sel: number,
  nsid: number,
  list: number[] | Uint8Array,
  others?: Completion[],
): Completion {
  const data = list instanceof Uint8Array ? list : encodeControllerList(list);
  const sqe = NamespaceAttachment.encode({
    opcode: AdminOpcode.NS_ATTACHMENT,
    cid: cid(),
    nsid,
    sel,
    prp1: hostData(r, data),
  });
  return exec(r, sqe, others);
}

const ATTACH = 0, DETACH = 1;

function format(
  r: TestRig,
  nsid: number,
  f: { lbaf: number; mset?: number; pi?: number; ses?: number },
) {
  return exec(
    r,
    FormatNvm.encode({
      opcode: AdminOpcode.FORMAT_NVM,
      cid: cid(),
      nsid,
      lbafl: f.lbaf & 0xf,
      lbafu: f.lbaf >>> 4,
      mset: f.mset ?? 0,
      pi: f.pi ?? 0,
      ses: f.ses ?? 0,
    }),
  );
}

function changedList(r: TestRig, others?: Completion[]): number[] {
  const buf = r.host.allocate(PAGE, PAGE);
  const sqe = GetLogPage.encode({
    opcode: AdminOpcode.GET_LOG_PAGE,
    cid: cid(),
    prp1: buf,
    lid: LogPageId.CHANGED_NS,
    numdl: PAGE / 4 - 1,
  });
  assertEquals(exec(r, sqe, others).status, 0);
  const data = new Uint8Array(PAGE);
  r.host.memRead(buf, data);
  return nsidsOf(ChangedNamespaceList.decode(data).ns);
}

function enableNotices(r: TestRig): void {
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    cid: cid(),
    fid: FeatureId.ASYNC_EVENT_CONFIG,
    cdw11: 1 << 8,
  });
  assertEquals(exec(r, sqe).status, 0);
}

function aer(r: TestRig, id: number): void {
  const sqe = new Uint8Array(SQE_SIZE);
  sqe.set([AdminOpcode.ASYNC_EVENT_REQUEST, 0, id & 0xff, id >>> 8]);
  r.admin.submit(sqe);
}

function ioQueue(r: TestRig, qid: number): HostQueue {
  const size = 8;
  const sq = r.host.allocate(size * SQE_SIZE, PAGE), cq = r.host.allocate(size * CQE_SIZE, PAGE);
  r.host.memFill(cq, size * CQE_SIZE, 0);
  const c1 = CreateIoCq.encode({
    opcode: 5,
    cid: cid(),
    prp1: cq,
    qid,
    qsize: size - 1,
    pc: 1,
    ien: 1,
    iv: qid,
  });
  assertEquals(exec(r, c1).status, 0);
  const c2 = CreateIoSq.encode({
    opcode: 1,
    cid: cid(),
    prp1: sq,
    qid,
    qsize: size - 1,
    pc: 1,
    cqid: qid,
  });
  assertEquals(exec(r, c2).status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

/** Writes one block of `fill` at LBA 0 of `nsid` and reads it back; returns the status. */
function writeBlock(r: TestRig, q: HostQueue, nsid: number, bytes: number, fill: number): number {
  const buf = hostData(r, new Uint8Array(bytes).fill(fill));
  // MPTR names a metadata page, used once a format with metadata (separate buffer) is in place.
  const mptr = BigInt(r.host.allocate(PAGE, PAGE));
  q.submit(
    Write.encode({ opcode: NvmOpcode.WRITE, cid: cid(), nsid, mptr, prp1: buf, slba: 0, nlb: 0 }),
  );
  return q.wait().status;
}

function readBlock(r: TestRig, q: HostQueue, nsid: number, bytes: number): [number, Uint8Array] {
  const buf = r.host.allocate(PAGE, PAGE);
  r.host.memFill(buf, PAGE, 0x5a);
  const mptr = BigInt(r.host.allocate(PAGE, PAGE));
  q.submit(
    Read.encode({ opcode: NvmOpcode.READ, cid: cid(), nsid, mptr, prp1: buf, slba: 0, nlb: 0 }),
  );
  const status = q.wait().status;
  const out = new Uint8Array(bytes);
  r.host.memRead(buf, out);
  return [status, out];
}

function idCtrl(r: TestRig) {
  return IdentifyController.decode(identify(r, Cns.CONTROLLER));
}

Deno.test("Namespace Management: create, attach, detach, delete end to end", () => {
  const r = rig();
  enableNotices(r);
  const before = idCtrl(r);
  assertEquals(before.tnvmcap - before.unvmcap, 1n << 30n); // the default 1 GiB namespace
  aer(r, 0xff01);
  const seen: Completion[] = [];
  // 1024 blocks of LBA format 1 (4 KiB): 4 MiB.
  const made = create(r, { nsze: 1024, flbas: 1 }, seen);
  assertEquals([made.status, made.dw0], [0, 2]);
  assertEquals(idCtrl(r).unvmcap, before.unvmcap - (4n << 20n));
  assertEquals(nsList(r, Cns.ALLOCATED_NS_LIST), [1, 2]);
  assertEquals(nsList(r, Cns.ALLOCATED_NS_LIST, 1), [2]);
  assertEquals(nsList(r, Cns.ACTIVE_NS_LIST), [1]);
  const allocated = idNs(r, Cns.ALLOCATED_NAMESPACE, 2);
  assertEquals([allocated.nsze, allocated.ncap, formatIndex(allocated.flbas)], [1024n, 1024n, 1]);
  assertEquals(idNs(r, Cns.NAMESPACE, 2).nsze, 0n); // allocated, not active: zero-filled
  assertEquals(idNs(r, Cns.ALLOCATED_NAMESPACE, 3).nsze, 0n); // not allocated: zero-filled
  assertEquals(ctrlList(r, Cns.NS_CONTROLLER_LIST, 2), []);
  assertEquals([...seen, ...arrivals(r)], []); // creating attaches nothing: no notice

  assertEquals(attachment(r, ATTACH, 2, [0], seen).status, 0);
  const notice = [...seen, ...arrivals(r)];
  assertEquals(notice.map((c) => [c.cid, c.dw0]), [[0xff01, NOTICE_NS_CHANGED]]);
  assertEquals(nsList(r, Cns.ACTIVE_NS_LIST), [1, 2]);
  assertEquals(idNs(r, Cns.NAMESPACE, 2).nsze, 1024n);
  assertEquals(ctrlList(r, Cns.NS_CONTROLLER_LIST, 2), [0]);
  assertEquals(ctrlList(r, Cns.CONTROLLER_LIST), [0]);
  assertEquals(changedList(r), [2]);
  const q = ioQueue(r, 1);
  assertEquals(writeBlock(r, q, 2, PAGE, 0x33), 0);
  assertEquals(readBlock(r, q, 2, PAGE), [0, new Uint8Array(PAGE).fill(0x33)]);

  aer(r, 0xff02);
  seen.length = 0;
  assertEquals(attachment(r, DETACH, 2, [0], seen).status, 0);
  assertEquals([...seen, ...arrivals(r)].map((c) => [c.cid, c.dw0]), [[0xff02, NOTICE_NS_CHANGED]]);
  assertEquals(nsList(r, Cns.ACTIVE_NS_LIST), [1]);
  assertEquals(ctrlList(r, Cns.NS_CONTROLLER_LIST, 2), []);
  assertEquals(readBlock(r, q, 2, PAGE)[0], Status.INVALID_FIELD); // detached: inactive
  assertEquals(changedList(r), [2]);

  assertEquals(remove(r, 2).status, 0);
  assertEquals(nsList(r, Cns.ALLOCATED_NS_LIST), [1]);
  assertEquals(idCtrl(r).unvmcap, before.unvmcap);
  // The NSID is free again.
  assertEquals(create(r, { nsze: 8 }).dw0, 2);
  assertEquals(remove(r, NSID_ALL).status, 0);
  assertEquals(nsList(r, Cns.ALLOCATED_NS_LIST), []);
  assertEquals(nsList(r, Cns.ACTIVE_NS_LIST), []);
  assertEquals(changedList(r), [1]); // deleting an attached namespace detaches it first
  assertEquals(r.machine.findings.all().length, 0);
});

Deno.test("Namespace Attachment: a shared namespace on two controllers notifies both", () => {
  const [a, b] = controllers({ namespaces: [] }, [1, 2]);
  for (const r of [a, b]) enableNotices(r);
  aer(b, 0xff03);
  const made = create(a, { nsze: 64, nmic: 1 });
  assertEquals([made.status, made.dw0], [0, 1]);
  assertEquals(attachment(a, ATTACH, 1, [1, 2]).status, 0);
  assertEquals(arrivals(b).map((c) => [c.cid, c.dw0]), [[0xff03, NOTICE_NS_CHANGED]]);
  assertEquals([changedList(a), changedList(b)], [[1], [1]]);
  assertEquals(ctrlList(b, Cns.NS_CONTROLLER_LIST, 1), [1, 2]);
  assertEquals(ctrlList(b, Cns.NS_CONTROLLER_LIST, 1, 2), [2]); // CNTID is the lower bound
  assertEquals(ctrlList(b, Cns.CONTROLLER_LIST, NSID_ALL, 2), [2]);
  assertEquals(nsList(b, Cns.ACTIVE_NS_LIST), [1]);
  assertEquals(idNs(b, Cns.NAMESPACE, 1).nmic, 1);
  // Detaching from controller 2 only, issued on controller 1.
  assertEquals(attachment(a, DETACH, 1, [2]).status, 0);
  assertEquals([nsList(a, Cns.ACTIVE_NS_LIST), nsList(b, Cns.ACTIVE_NS_LIST)], [[1], []]);
});

Deno.test("Namespace Management and Attachment: every error status, with DNR", async (t) => {
  const [a] = controllers({ maxNamespaces: 4, totalCapacityBytes: 2 ** 30 + 2 ** 20 }, [1, 2]);
  const expect = (c: Completion, status: number, what: string) =>
    assertEquals([c.status, c.dnr], [status, 1], what);
  await t.step("create", () => {
    expect(create(a, { nsze: 8, sel: 2 }), Status.INVALID_FIELD, "SEL 2");
    expect(create(a, { nsze: 0 }), Status.INVALID_FIELD, "NSZE 0");
    expect(create(a, { nsze: 8, ncap: 9 }), Status.INVALID_FIELD, "NCAP > NSZE");
    expect(create(a, { nsze: 8, nmic: 2 }), Status.INVALID_FIELD, "NMIC reserved bit");
    expect(create(a, { nsze: 8, dps: 1 }), Status.INVALID_FIELD, "protection information");
    expect(create(a, { nsze: 8, flbas: 5 }), Status.INVALID_FORMAT, "LBA format 5");
    expect(create(a, { nsze: 8, csi: 2 }), Status.IO_COMMAND_SET_NOT_SUPPORTED, "CSI 2");
    expect(create(a, { nsze: 8, ncap: 4 }), Status.THIN_PROVISIONING_NOT_SUPPORTED, "NCAP < NSZE");
    expect(create(a, { nsze: 4096 }), Status.NAMESPACE_INSUFFICIENT_CAPACITY, "2 MiB > 1 MiB free");
    for (let i = 0; i < 3; i++) assertEquals(create(a, { nsze: 8 }).status, 0);
    expect(create(a, { nsze: 8 }), Status.NAMESPACE_ID_UNAVAILABLE, "all 4 NSIDs allocated");
  });
  await t.step("delete", () => {
    expect(remove(a, 0), Status.INVALID_NAMESPACE, "NSID 0");
    expect(remove(a, 5), Status.INVALID_NAMESPACE, "NSID above NN");
    assertEquals(remove(a, 4).status, 0);
    expect(remove(a, 4), Status.INVALID_FIELD, "NSID not allocated");
  });
  await t.step("attach and detach", () => {
    const tooMany = new Uint8Array(PAGE);
    new DataView(tooMany.buffer).setUint16(0, 2048, true);
    expect(attachment(a, 2, 2, [1]), Status.INVALID_FIELD, "SEL 2");
    expect(attachment(a, ATTACH, NSID_ALL, [1]), Status.INVALID_FIELD, "NSID FFFFFFFFh");
    expect(attachment(a, ATTACH, 0, [1]), Status.INVALID_NAMESPACE, "NSID 0");
    expect(attachment(a, ATTACH, 5, [1]), Status.INVALID_NAMESPACE, "NSID above NN");
    expect(attachment(a, ATTACH, 4, [1]), Status.INVALID_FIELD, "NSID not allocated");
    expect(attachment(a, ATTACH, 2, []), Status.CONTROLLER_LIST_INVALID, "empty list");
    expect(attachment(a, ATTACH, 2, [7]), Status.CONTROLLER_LIST_INVALID, "unknown CNTLID");
    expect(attachment(a, ATTACH, 2, [1, 1]), Status.CONTROLLER_LIST_INVALID, "duplicate");
    expect(attachment(a, ATTACH, 2, tooMany), Status.CONTROLLER_LIST_INVALID, "2048 entries");
    expect(attachment(a, ATTACH, 2, [1, 2]), Status.NAMESPACE_IS_PRIVATE, "private on two");
    assertEquals(attachment(a, ATTACH, 2, [1]).status, 0);
    expect(attachment(a, ATTACH, 2, [1]), Status.NAMESPACE_ALREADY_ATTACHED, "again");
    expect(attachment(a, ATTACH, 2, [2]), Status.NAMESPACE_IS_PRIVATE, "private, second");
    expect(attachment(a, DETACH, 3, [1]), Status.NAMESPACE_NOT_ATTACHED, "detach unattached");
    expect(attachment(a, DETACH, 2, [1, 2]), Status.NAMESPACE_NOT_ATTACHED, "all or nothing");
    assertEquals(nsList(a, Cns.ACTIVE_NS_LIST), [1, 2]);
  });
  await t.step("Identify CNS 10h-13h NSID checks", () => {
    for (const [cns, nsid] of [[0x10, 0xffff_fffe], [0x11, 0], [0x11, NSID_ALL], [0x12, 5]]) {
      const c = exec(
        a,
        Identify.encode({ opcode: 6, cid: cid(), nsid, cns, prp1: hostData(a, new Uint8Array(1)) }),
      );
      expect(c, Status.INVALID_NAMESPACE, `CNS ${cns} NSID ${nsid}`);
    }
  });
});

Deno.test("Format NVM: changes the block size, erases data, checks its fields", async (t) => {
  const r = rig();
  const q = ioQueue(r, 1);
  const expect = (c: Completion, status: number, what: string) =>
    assertEquals([c.status, c.dnr], [status, 1], what);
  await t.step("format to 4 KiB: Identify shows it and the data is gone", () => {
    assertEquals(writeBlock(r, q, 1, 512, 0xee), 0);
    assertEquals(readBlock(r, q, 1, 512), [0, new Uint8Array(512).fill(0xee)]);
    assertEquals(format(r, 1, { lbaf: 1 }).status, 0);
    const ns = idNs(r, Cns.NAMESPACE, 1);
    assertEquals([formatIndex(ns.flbas), ns.nsze, ns.ncap, ns.nuse], [1, 2n ** 18n, 2n ** 18n, 0n]);
    assertEquals(ns.lbaf[1].ds, 12);
    assertEquals(readBlock(r, q, 1, PAGE), [0, new Uint8Array(PAGE)]);
  });
  await t.step("User Data Erase (SES 1) back to 512 bytes erases too", () => {
    assertEquals(writeBlock(r, q, 1, PAGE, 0x11), 0);
    assertEquals(format(r, 1, { lbaf: 0, ses: 1 }).status, 0);
    assertEquals(idNs(r, Cns.NAMESPACE, 1).nsze, 2n ** 21n);
    assertEquals(readBlock(r, q, 1, 512), [0, new Uint8Array(512)]);
  });
  await t.step("statuses", () => {
    expect(format(r, 1, { lbaf: 2 }), Status.INVALID_FORMAT, "LBA format 2");
    expect(format(r, 1, { lbaf: 16 }), Status.INVALID_FORMAT, "LBAFU");
    expect(format(r, 1, { lbaf: 0, pi: 1 }), Status.INVALID_FIELD, "PI type 1");
    expect(format(r, 1, { lbaf: 0, ses: 2 }), Status.INVALID_FIELD, "cryptographic erase");
    expect(format(r, 1, { lbaf: 0, ses: 3 }), Status.INVALID_FIELD, "reserved SES");
    expect(format(r, 0, { lbaf: 0 }), Status.INVALID_NAMESPACE, "NSID 0");
    expect(format(r, 1025, { lbaf: 0 }), Status.INVALID_NAMESPACE, "NSID above NN");
    expect(format(r, 2, { lbaf: 0 }), Status.INVALID_FIELD, "valid NSID, not attached");
    assertEquals(format(r, 1, { lbaf: 0, mset: 1 }).status, 0); // no metadata: MSET moot
  });
});

Deno.test("Format NVM: NSID FFFFFFFFh formats every attached namespace, all or nothing", () => {
  const formats = [{ ms: 0, lbads: 9 }, { ms: 0, lbads: 12 }, { ms: 8, lbads: 9 }];
  const [r] = controllers({
    lbaFormats: formats,
    namespaces: [{ nsze: 64 }, { nsze: 64 }, { nsze: 4 }],
  }, [0]);
  const q = ioQueue(r, 1);
  for (const nsid of [1, 2, 3]) assertEquals(writeBlock(r, q, nsid, 512, nsid), 0);
  // Namespace 3 is 2 KiB: it cannot hold a 4 KiB block, so nothing is formatted.
  const tooBig = format(r, NSID_ALL, { lbaf: 1 });
  assertEquals([tooBig.status, tooBig.dnr], [Status.INVALID_FORMAT, 1]);
  for (const nsid of [1, 2, 3]) {
    assertEquals(readBlock(r, q, nsid, 512), [0, new Uint8Array(512).fill(nsid)]);
  }
  // MSET = 1 (extended LBA) with a metadata format is taken and reported in FLBAS bit 4.
  assertEquals(format(r, 1, { lbaf: 2, mset: 1 }).status, 0);
  assertEquals(idNs(r, Cns.NAMESPACE, 1).flbas, 2 | (1 << Flbas.EXTENDED));
  assertEquals(format(r, NSID_ALL, { lbaf: 2 }).status, 0);
  for (const nsid of [1, 2, 3]) {
    assertEquals(formatIndex(idNs(r, Cns.NAMESPACE, nsid).flbas), 2);
    assertEquals(readBlock(r, q, nsid, 512), [0, new Uint8Array(512)]);
  }
  assert(r.machine.findings.all().length === 0);
});
