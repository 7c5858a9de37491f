// Abort (Base 2.1 §5.1.1) end to end through the test host: an outstanding AER and an I/O command
// held by the latency model are aborted (Command Abort Requested, then the Abort with DW0 bit 0
// = 0); a completed, unknown or not-yet-fetched command is not (DW0 bit 0 = 1); an admin command
// that already took effect is not; more than ACL + 1 outstanding Aborts fail with Abort Command
// Limit Exceeded.

import { assertEquals } from "@std/assert";
import {
  Abort,
  AsyncEventRequest,
  CreateIoCq,
  CreateIoSq,
  Identify,
} from "../spec/admin_commands.ts";
import { IdentifyController } from "../spec/identify_controller.ts";
import { Read } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { Status } from "../spec/status.ts";
import { type Completion, exec, HostQueue, rig, type TestRig } from "./_test_host.ts";

const PAGE = 4096;
const NOT_ABORTED = 1;
const ABORTED = 0;
/** Identify CNS 01h: the Identify Controller data structure. */
const CNS_CONTROLLER = 1;

function abortSqe(cid: number, sqid: number, target: number): Uint8Array {
  return Abort.encode({ opcode: AdminOpcode.ABORT, cid, sqid, abort_cid: target });
}

function ioPair(r: TestRig, qid: number, size: number): HostQueue {
  const sq = r.host.allocate(size * 64, PAGE), cq = r.host.allocate(size * 16, PAGE);
  r.host.memFill(cq, size * 16, 0);
  const c = exec(
    r.admin,
    CreateIoCq.encode({ opcode: 5, cid: 1, prp1: cq, qid, qsize: size - 1, pc: 1, ien: 1, iv: 1 }),
  );
  assertEquals(c.status, 0);
  const s = exec(
    r.admin,
    CreateIoSq.encode({ opcode: 1, cid: 2, prp1: sq, qid, qsize: size - 1, pc: 1, cqid: qid }),
  );
  assertEquals(s.status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

function read(r: TestRig, cid: number): Uint8Array {
  const buf = r.host.allocate(PAGE, PAGE);
  return Read.encode({ opcode: NvmOpcode.READ, cid, nsid: 1, prp1: buf, slba: 0, nlb: 7 });
}

Deno.test("Abort of an outstanding AER: the AER completes with Abort Requested, then the Abort", () => {
  const r = rig();
  r.admin.submit(AsyncEventRequest.encode({ opcode: AdminOpcode.ASYNC_EVENT_REQUEST, cid: 40 }));
  r.host.sleep(5_000);
  assertEquals(r.ctrl.events.outstanding, 1);
  const others: Completion[] = [];
  const c = exec(r.admin, abortSqe(41, 0, 40), others);
  assertEquals([c.status, c.dw0 & 1], [0, ABORTED]);
  assertEquals(others.map((o) => [o.cid, o.status, o.dnr]), [[40, Status.ABORT_REQUESTED, 0]]);
  assertEquals(r.ctrl.events.outstanding, 0, "the AER is no longer outstanding");
  assertEquals(r.ctrl.sqs[0]!.outstanding.has(40), false);
  // A second Abort of the same CID finds nothing.
  assertEquals(exec(r.admin, abortSqe(42, 0, 40)).dw0 & 1, NOT_ABORTED);
});

Deno.test("Abort of an I/O command held by the latency model: aborted before its completion", () => {
  const r = rig({ commandLatencyNs: 200_000 });
  const io = ioPair(r, 1, 8);
  io.submit(read(r, 7));
  r.host.sleep(5_000); // fetched; its completion is due 200 µs later
  const t0 = r.host.now();
  r.admin.submit(abortSqe(50, 1, 7));
  const abort = r.admin.wait();
  assertEquals([abort.cid, abort.status, abort.dw0 & 1], [50, 0, ABORTED]);
  const target = io.wait();
  assertEquals([target.cid, target.status, target.sqid], [7, Status.ABORT_REQUESTED, 1]);
  assertEquals(target.sqhd, 1, "SQ head as of the abort");
  // The aborted command completed once, early: nothing more arrives on the I/O CQ.
  r.host.sleep(400_000);
  assertEquals(io.take(), null);
  assertEquals(r.host.now() - t0 >= 400_000, true);
  assertEquals(r.ctrl.cqs[1]!.inFlight, 0, "the CQ slot it reserved is free again");
});

Deno.test("Abort finds nothing: completed, never submitted, or on another SQ → DW0 bit 0 = 1", () => {
  const r = rig();
  const io = ioPair(r, 1, 8);
  assertEquals(exec(io, read(r, 3)).status, 0);
  assertEquals(exec(r.admin, abortSqe(60, 1, 3)).dw0 & 1, NOT_ABORTED, "already completed");
  assertEquals(exec(r.admin, abortSqe(61, 1, 999)).dw0 & 1, NOT_ABORTED, "never submitted");
  assertEquals(exec(r.admin, abortSqe(62, 0, 3)).dw0 & 1, NOT_ABORTED, "wrong SQ");
  const bad = exec(r.admin, abortSqe(63, 5, 3));
  assertEquals([bad.status, bad.dnr], [Status.INVALID_FIELD, 1], "SQ 5 does not exist");
});

Deno.test("Abort of a command not yet fetched: not aborted; the command then runs normally", () => {
  const r = rig();
  const io = ioPair(r, 1, 8);
  io.submit(read(r, 9), false); // in the SQ, doorbell not rung: the controller cannot see it
  const c = exec(r.admin, abortSqe(70, 1, 9));
  assertEquals([c.status, c.dw0 & 1], [0, NOT_ABORTED]);
  io.ring();
  const done = io.wait();
  assertEquals([done.cid, done.status], [9, 0]);
});

Deno.test("Abort of an admin command that already took effect (latency pending): not aborted", () => {
  const r = rig({ commandLatencyNs: 100_000 });
  const cq = r.host.allocate(PAGE, PAGE);
  r.admin.submit(
    CreateIoCq.encode({ opcode: 5, cid: 80, prp1: cq, qid: 1, qsize: 7, pc: 1, ien: 1, iv: 1 }),
  );
  r.host.sleep(5_000);
  r.admin.submit(abortSqe(81, 0, 80));
  const seen = [r.admin.wait(), r.admin.wait()];
  const byCid = new Map(seen.map((c) => [c.cid, c]));
  assertEquals(byCid.get(80)!.status, 0, "the Create completes successfully");
  assertEquals(byCid.get(81)!.dw0 & 1, NOT_ABORTED);
});

Deno.test("Abort Command Limit: ACL + 1 outstanding Aborts at most, the next one 03h", () => {
  const acl = 1; // two concurrent Aborts allowed
  const r = rig({ acl, commandLatencyNs: 100_000 });
  for (let i = 0; i < acl + 2; i++) r.admin.submit(abortSqe(90 + i, 0, 500 + i));
  const seen: Completion[] = [];
  while (seen.length < acl + 2) seen.push(r.admin.wait());
  const byCid = new Map(seen.map((c) => [c.cid, c]));
  for (let i = 0; i <= acl; i++) {
    const c = byCid.get(90 + i)!;
    assertEquals([c.status, c.dw0 & 1], [0, NOT_ABORTED], `Abort ${i} is within the limit`);
  }
  const over = byCid.get(90 + acl + 1)!;
  assertEquals(over.status, Status.ABORT_COMMAND_LIMIT_EXCEEDED);
  // With those completed, Aborts are accepted again.
  assertEquals(exec(r.admin, abortSqe(99, 0, 1)).status, 0);
});

Deno.test("Identify Controller reports ACL (byte 258) from the option", () => {
  for (const acl of [0, 7]) {
    const r = rig({ acl });
    const buf = r.host.allocate(PAGE, PAGE);
    const c = exec(
      r.admin,
      Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: 5, prp1: buf, cns: CNS_CONTROLLER }),
    );
    assertEquals(c.status, 0);
    const data = new Uint8Array(PAGE);
    r.host.memRead(buf, data);
    assertEquals(IdentifyController.decode(data).acl, acl);
  }
});
