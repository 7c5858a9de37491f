import { assert, assertEquals } from "@std/assert";
import {
  CreateIoCq,
  CreateIoSq,
  DeleteIoCq,
  GetFeatures,
  Identify,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { IdentifyController } from "../spec/identify_controller.ts";
import { IdentifyNamespace } from "../spec/identify_namespace.ts";
import { Read, Write } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { Status } from "../spec/status.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import { HostQueue, rig, type TestRig, waitReady } from "./_test_host.ts";

function identifyController(r: TestRig): ReturnType<typeof IdentifyController.decode> {
  const buf = r.host.allocate(4096, 4096);
  r.admin.submit(Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: 1, prp1: buf, cns: 1 }));
  const c = r.admin.wait();
  assertEquals(c.status, 0);
  const data = new Uint8Array(4096);
  r.host.memRead(buf, data);
  return IdentifyController.decode(data);
}

/** Creates I/O queue pair `qid` with `size` entries on vector `qid`; returns the host side. */
function createQueuePair(r: TestRig, qid: number, size: number): HostQueue {
  const sq = r.host.allocate(size * 64, 4096), cq = r.host.allocate(size * 16, 4096);
  r.host.memFill(cq, size * 16, 0);
  r.admin.submit(
    CreateIoCq.encode({
      opcode: AdminOpcode.CREATE_IO_CQ,
      cid: 10,
      prp1: cq,
      qid,
      qsize: size - 1,
      pc: 1,
      ien: 1,
      iv: qid,
    }),
  );
  assertEquals(r.admin.wait().status, 0);
  r.admin.submit(
    CreateIoSq.encode({
      opcode: AdminOpcode.CREATE_IO_SQ,
      cid: 11,
      prp1: sq,
      qid,
      qsize: size - 1,
      pc: 1,
      cqid: qid,
    }),
  );
  assertEquals(r.admin.wait().status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

Deno.test("controller: enable, Identify Controller, CAP and VS", () => {
  const r = rig();
  const cap = r.host.read64(R.CAP);
  assertEquals(Number(cap & 0xffffn), 2047);
  assertEquals(r.host.read32(R.VS), 0x00020100);
  const id = identifyController(r);
  assertEquals(id.sn, "NVMEHARNESS0001");
  assertEquals(id.ver, 0x00020100);
  assertEquals([id.sqes, id.cqes, id.mdts, id.nn], [0x66, 0x44, 7, 1024]);
  assertEquals(r.machine.findings.all().length, 0);
});

Deno.test("controller: invalid enable settings set CFS and record a finding", () => {
  const r = rig({}, { enable: false });
  r.host.write32(R.AQA, 0); // 1-entry admin queues are invalid
  r.host.write32(R.CC, 0x00460001);
  const csts = waitReady(r.host, 1);
  assertEquals(csts & 2, 2);
  assert(r.machine.findings.all().some((f) => f.id === "controller.enable_refused"));
});

Deno.test("controller: I/O queue creation statuses (Base 2.1 §5.2.1/§5.2.2/§5.2.3)", async (t) => {
  const r = rig();
  const base = r.host.allocate(4096, 4096);
  const send = (sqe: Uint8Array) => {
    r.admin.submit(sqe);
    return r.admin.wait();
  };
  await t.step("CQ with QID 0 → Invalid Queue Identifier", () => {
    const c = send(CreateIoCq.encode({ opcode: 5, cid: 2, prp1: base, qid: 0, qsize: 15, pc: 1 }));
    assertEquals([c.status, c.dnr], [Status.INVALID_QUEUE_IDENTIFIER, 1]);
  });
  await t.step("CQ size above MQES → Invalid Queue Size", () => {
    const c = send(
      CreateIoCq.encode({ opcode: 5, cid: 3, prp1: base, qid: 1, qsize: 2048, pc: 1 }),
    );
    assertEquals(c.status, Status.INVALID_QUEUE_SIZE);
  });
  await t.step("CQ with an offset base → PRP Offset Invalid", () => {
    const c = send(
      CreateIoCq.encode({ opcode: 5, cid: 4, prp1: base + 64, qid: 1, qsize: 15, pc: 1 }),
    );
    assertEquals(c.status, Status.PRP_OFFSET_INVALID);
  });
  await t.step("CQ vector beyond the MSI-X table → Invalid Interrupt Vector", () => {
    const c = send(
      CreateIoCq.encode({
        opcode: 5,
        cid: 5,
        prp1: base,
        qid: 1,
        qsize: 15,
        pc: 1,
        ien: 1,
        iv: 65,
      }),
    );
    assertEquals(c.status, Status.INVALID_INTERRUPT_VECTOR);
  });
  await t.step("SQ on a missing CQ → Completion Queue Invalid", () => {
    const c = send(
      CreateIoSq.encode({ opcode: 1, cid: 6, prp1: base, qid: 1, qsize: 15, pc: 1, cqid: 9 }),
    );
    assertEquals(c.status, Status.COMPLETION_QUEUE_INVALID);
  });
  await t.step("CQ still in use → Invalid Queue Deletion", () => {
    createQueuePair(r, 1, 16);
    const c = send(DeleteIoCq.encode({ opcode: 4, cid: 7, qid: 1 }));
    assertEquals(c.status, Status.INVALID_QUEUE_DELETION);
  });
  await t.step("unknown admin opcode → Invalid Command Opcode, controller alive", () => {
    const c = send(new Uint8Array([0x7f, 0, 8, 0, ...new Array(60).fill(0)]));
    assertEquals([c.status, c.cid, c.dnr], [Status.INVALID_OPCODE, 8, 1]);
    assertEquals(identifyController(r).vid, 0x1b36);
  });
});

Deno.test("controller: write then read returns the data; Identify Namespace matches", () => {
  const r = rig();
  const q = createQueuePair(r, 1, 8);
  const idns = r.host.allocate(4096, 4096);
  r.admin.submit(Identify.encode({ opcode: 6, cid: 3, nsid: 1, prp1: idns, cns: 0 }));
  assertEquals(r.admin.wait().status, 0);
  const nsData = new Uint8Array(4096);
  r.host.memRead(idns, nsData);
  const ns = IdentifyNamespace.decode(nsData);
  assertEquals(ns.lbaf[ns.flbas & 0xf].ds, 9);
  // 3 blocks at an unaligned (dword) offset crossing a page: PRP1 with offset + PRP2.
  const buf = r.host.allocate(8192, 4096) + 3072;
  const data = new Uint8Array(1536).map((_, i) => (i * 7 + 1) & 0xff);
  r.host.memWrite(buf, data);
  q.submit(
    Write.encode({
      opcode: NvmOpcode.WRITE,
      cid: 1,
      nsid: 1,
      prp1: buf,
      prp2: buf - 3072 + 4096,
      slba: 100,
      nlb: 2,
    }),
  );
  assertEquals(q.wait().status, 0);
  const out = r.host.allocate(4096, 4096);
  q.submit(Read.encode({ opcode: NvmOpcode.READ, cid: 2, nsid: 1, prp1: out, slba: 100, nlb: 2 }));
  const c = q.wait();
  assertEquals([c.status, c.sqid, c.cid], [0, 1, 2]);
  const back = new Uint8Array(1536);
  r.host.memRead(out, back);
  assertEquals(back, data);
  // Out of range and inactive namespace.
  q.submit(Read.encode({ opcode: 2, cid: 3, nsid: 1, prp1: out, slba: 2_097_151, nlb: 1 }));
  assertEquals(q.wait().status, Status.LBA_OUT_OF_RANGE);
  // NSID 2 is valid (≤ NN) but not attached: Invalid Field; NSID 0 is not valid at all.
  q.submit(Read.encode({ opcode: 2, cid: 4, nsid: 2, prp1: out, slba: 0, nlb: 0 }));
  assertEquals(q.wait().status, Status.INVALID_FIELD);
  q.submit(Read.encode({ opcode: 2, cid: 5, nsid: 0, prp1: out, slba: 0, nlb: 0 }));
  assertEquals(q.wait().status, Status.INVALID_NAMESPACE);
  assertEquals(r.machine.findings.all().length, 0);
});

Deno.test("controller: a full CQ holds completions back instead of overwriting", () => {
  const r = rig();
  const q = createQueuePair(r, 1, 4); // 3 usable slots
  // Submit 3 flushes, never release the CQ: all three complete.
  for (let cid = 0; cid < 3; cid++) {
    q.submit(new Uint8Array([0, 0, cid, 0, 1, ...new Array(59).fill(0)]));
  }
  r.host.sleep(100_000);
  const seen = [q.take(), q.take(), q.take(), q.take()];
  assertEquals(seen.map((c) => c?.cid ?? null), [0, 1, 2, null]);
  // Submit 2 more without releasing: the CQ is full, so nothing new is posted...
  for (let cid = 3; cid < 5; cid++) {
    q.submit(new Uint8Array([0, 0, cid, 0, 1, ...new Array(59).fill(0)]));
  }
  r.host.sleep(100_000);
  assertEquals(q.take(), null);
  // ...until the host releases the entries it consumed.
  q.release();
  r.host.sleep(100_000);
  assertEquals([q.take()?.cid, q.take()?.cid], [3, 4]);
});

Deno.test("controller: doorbell obligations are findings; Number of Queues is granted", () => {
  const r = rig({}, { enable: false });
  r.host.write32(sqTailDoorbell(0, 0), 1); // before RDY
  r.host.write32(R.CC, 0x00460001);
  waitReady(r.host, 1);
  r.host.write32(sqTailDoorbell(5, 0), 1); // queue does not exist
  r.host.write32(sqTailDoorbell(0, 0), 40); // beyond the 32-entry admin SQ
  r.host.write32(cqHeadDoorbell(0, 0), 3); // releases entries never posted
  r.host.sleep(10_000);
  const ids = r.machine.findings.all().map((f) => f.id);
  assertEquals(ids, [
    "doorbell.before_ready",
    "doorbell.invalid_queue",
    "doorbell.sq_tail_range",
    "doorbell.cq_head_ahead",
  ]);
  // Number of Queues then Get Features returns what was granted.
  r.admin.submit(
    SetFeatures.encode({ opcode: AdminOpcode.SET_FEATURES, cid: 1, fid: 7, cdw11: 0x00ff00ff }),
  );
  const granted = r.admin.wait();
  assertEquals([granted.status, granted.dw0], [0, 0x003f003f]);
  r.admin.submit(GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, cid: 2, fid: 7 }));
  assertEquals(r.admin.wait().dw0, 0x003f003f);
});

Deno.test("controller: a CID reused while outstanding is Command ID Conflict and a finding", () => {
  const r = rig();
  // An AER stays outstanding, so its CID is in use on the admin SQ until an event arrives.
  r.admin.submit(
    new Uint8Array([AdminOpcode.ASYNC_EVENT_REQUEST, 0, 0x42, 0, ...new Array(60).fill(0)]),
  );
  r.admin.submit(GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, cid: 0x42, fid: 7 }));
  const c = r.admin.wait();
  assertEquals([c.cid, c.status, c.dnr], [0x42, Status.CID_CONFLICT, 1]);
  assertEquals(r.machine.findings.all().map((f) => f.id), ["command.cid_reused"]);
  // The first user of the CID is untouched: a free CID still works.
  r.admin.submit(GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, cid: 0x43, fid: 7 }));
  assertEquals(r.admin.wait().status, 0);
});

Deno.test("controller: a malformed PRP on an admin transfer gets DNR and a finding, as on I/O", () => {
  const r = rig();
  const buf = r.host.allocate(8192, 4096);
  // PRP1 bits 1:0 set (Base 2.1 §4.3.1): PRP Offset Invalid, not retryable.
  r.admin.submit(Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: 1, prp1: buf + 2, cns: 1 }));
  const c = r.admin.wait();
  assertEquals([c.status, c.dnr], [Status.PRP_OFFSET_INVALID, 1]);
  assertEquals(r.machine.findings.all().map((f) => f.id), ["data_pointer.invalid"]);
});
