// The `serialCommandProcessing` option (options.ts): one command worker, like QEMU's main loop.
// N commands fetched together complete `commandLatencyNs` apart with it, and all at once without
// it; media latency overlaps either way; a doorbell rung while the worker is busy is looked at
// only when the worker is free; a controller reset (CC.EN 1 → 0) frees the worker.
// Times are virtual and read from the host's clock, relative to the queue pass that fetched the
// commands (`doorbellLatencyNs` after the doorbell write).

import { assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq } from "../spec/admin_commands.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { Read } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import type { ControllerOptions } from "./options.ts";
import { exec, HostQueue, rig, type TestRig, waitReady } from "./_test_host.ts";

const PAGE = 4096;
/** Per-command worker time L; a multiple of the machine's 100 ns poll quantum, so a polling
 * host sees each completion at its exact virtual time. */
const L = 10_000;
const DOORBELL_NS = 500;
const N = 5;
const QID = 1;
const QSIZE = 16;
/** CC with IOSQES = 6 (64-byte SQEs), IOCQES = 4 (16-byte CQEs), EN as given. */
const cc = (en: 0 | 1) => 0x00460000 | en;

function ioPair(r: TestRig): HostQueue {
  const sq = r.host.allocate(QSIZE * SQE_SIZE, PAGE), cq = r.host.allocate(QSIZE * CQE_SIZE, PAGE);
  r.host.memFill(cq, QSIZE * CQE_SIZE, 0);
  const qsize = QSIZE - 1;
  const c = exec(
    r.admin,
    CreateIoCq.encode({
      opcode: AdminOpcode.CREATE_IO_CQ,
      cid: 1,
      prp1: cq,
      qid: QID,
      qsize,
      pc: 1,
      ien: 1,
      iv: 1,
    }),
  );
  assertEquals(c.status, 0);
  const s = exec(
    r.admin,
    CreateIoSq.encode({
      opcode: AdminOpcode.CREATE_IO_SQ,
      cid: 2,
      prp1: sq,
      qid: QID,
      qsize,
      pc: 1,
      cqid: QID,
    }),
  );
  assertEquals(s.status, 0);
  return new HostQueue(r.host, QID, sq, cq, QSIZE, 0);
}

/**
 * Submits `n` reads with one doorbell write and returns when each completed, in ns after the
 * queue pass that fetched them, in completion order.
 */
function completionTimes(r: TestRig, io: HostQueue, n: number): number[] {
  const buf = r.host.allocate(PAGE, PAGE);
  for (let cid = 0; cid < n; cid++) {
    io.submit(
      Read.encode({ opcode: NvmOpcode.READ, cid: 100 + cid, nsid: 1, prp1: buf, slba: 0, nlb: 0 }),
      false,
    );
  }
  const fetchedAt = r.host.now() + DOORBELL_NS;
  io.ring();
  const times: number[] = [];
  for (let polls = 0; times.length < n && polls < 1_000_000; polls++) {
    r.host.poll();
    for (let c = io.take(); c; c = io.take()) {
      assertEquals(c.status, 0);
      times.push(r.host.now() - fetchedAt);
    }
  }
  io.release();
  return times;
}

function timesWith(options: Partial<ControllerOptions>): number[] {
  const r = rig({ commandLatencyNs: L, doorbellLatencyNs: DOORBELL_NS, ...options });
  return completionTimes(r, ioPair(r), N);
}

const multiples = (n: number, step: number, plus = 0) =>
  Array.from({ length: n }, (_, i) => (i + 1) * step + plus);

Deno.test("serial processing: N commands fetched together complete at L, 2L, ..., NL", () => {
  assertEquals(timesWith({ serialCommandProcessing: true }), multiples(N, L));
});

Deno.test("parallel processing (the default): N commands fetched together all complete at L", () => {
  assertEquals(timesWith({}), Array(N).fill(L));
  assertEquals(timesWith({ serialCommandProcessing: false }), Array(N).fill(L));
});

Deno.test("serial processing: media latency still overlaps (asynchronous I/O)", () => {
  const media = 3 * L;
  const latency = { kind: "fixed", ns: media } as const;
  assertEquals(timesWith({ serialCommandProcessing: true, latency }), multiples(N, L, media));
});

Deno.test("serial processing: commandLatencyNs 0 completes at once, as without the option", () => {
  assertEquals(timesWith({ serialCommandProcessing: true, commandLatencyNs: 0 }), Array(N).fill(0));
});

/** SQ Head Pointer of each completion, when a read arrives L/2 after N were fetched together. */
function sqHeadsWithLateArrival(serialCommandProcessing: boolean): number[] {
  const r = rig({ commandLatencyNs: L, doorbellLatencyNs: DOORBELL_NS, serialCommandProcessing });
  const io = ioPair(r);
  const buf = r.host.allocate(PAGE, PAGE);
  const read = (cid: number) =>
    Read.encode({ opcode: NvmOpcode.READ, cid, nsid: 1, prp1: buf, slba: 0, nlb: 0 });
  for (let cid = 0; cid < N; cid++) io.submit(read(cid), false);
  io.ring();
  r.host.sleep(DOORBELL_NS + L / 2);
  io.submit(read(N));
  const heads: number[] = [];
  for (let polls = 0; heads.length <= N && polls < 1_000_000; polls++) {
    r.host.poll();
    for (let c = io.take(); c; c = io.take()) heads.push(c.sqhd);
  }
  return heads;
}

Deno.test("serial processing: a doorbell rung while the worker is busy waits for the worker", () => {
  // Parallel: the late read is fetched DOORBELL_NS after its doorbell, before any completion.
  assertEquals(sqHeadsWithLateArrival(false), Array(N + 1).fill(N + 1));
  // Serial: the worker looks at the SQ again only after the N commands it holds (Base 2.1
  // §4.2.1: SQHD is the SQ head as of the completion).
  assertEquals(sqHeadsWithLateArrival(true), [...Array(N).fill(N), N + 1]);
});

Deno.test("serial processing: a worker left busy by a backlog is freed by CC.EN 1 -> 0", () => {
  // A long L, so the abandoned backlog (N × L) outlasts the reset and the re-enable.
  const slow = 1_000_000;
  const r = rig({
    serialCommandProcessing: true,
    commandLatencyNs: slow,
    doorbellLatencyNs: DOORBELL_NS,
  });
  const buf = r.host.allocate(PAGE, PAGE);
  const io = ioPair(r);
  for (let cid = 0; cid < N; cid++) {
    io.submit(
      Read.encode({ opcode: NvmOpcode.READ, cid: 200 + cid, nsid: 1, prp1: buf, slba: 0, nlb: 0 }),
      false,
    );
  }
  io.ring();
  r.host.sleep(DOORBELL_NS + slow / 2); // fetched: the worker is busy until N × L after the pass
  r.host.write32(R.CC, cc(0));
  waitReady(r.host, 0);
  r.host.memFill(r.admin.cq, r.admin.size * CQE_SIZE, 0);
  r.host.write32(R.CC, cc(1));
  waitReady(r.host, 1);
  // The controller reset emptied the admin queues: start the host side again from slot 0.
  r.admin = new HostQueue(r.host, 0, r.admin.sq, r.admin.cq, r.admin.size, 0);
  // Each command after the reset takes L from when it was fetched, not from the end of the
  // abandoned backlog: the two admin commands that create the I/O queue pair, then a read.
  const t = r.host.now();
  const again = ioPair(r);
  assertEquals(r.host.now() - t, 2 * (DOORBELL_NS + slow));
  assertEquals(completionTimes(r, again, 1), [slow]);
});
