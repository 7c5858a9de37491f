// The controller engine end to end: shadow doorbells with both EventIdx policies, interrupt
// coalescing, weighted round robin, the media latency model and aborts on SQ deletion.

import { assert, assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq, DeleteIoSq, SetFeatures } from "../spec/admin_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { FeatureId } from "../spec/features.ts";
import { Read } from "../spec/nvm_commands.ts";
import { Status } from "../spec/status.ts";
import { needEventLinux } from "../spec/doorbell.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { HostQueue, rig, type TestRig, waitReady } from "./_test_host.ts";
import { shadowSlotOffset } from "./shadow_doorbells.ts";
import type { ControllerOptions } from "./options.ts";

const DBBUF_OPCODE = AdminOpcode.DOORBELL_BUFFER_CONFIG;

function admin(r: TestRig, sqe: Uint8Array): { status: number; dw0: number } {
  r.admin.submit(sqe);
  return r.admin.wait();
}

function createPair(
  r: TestRig,
  qid: number,
  size: number,
  opts: { cqid?: number; qprio?: number; vector?: number } = {},
): HostQueue {
  const cqid = opts.cqid ?? qid;
  const sq = r.host.allocate(size * 64, 4096);
  let cq = 0;
  if (cqid === qid) {
    cq = r.host.allocate(size * 16, 4096);
    r.host.memFill(cq, size * 16, 0);
    const c = admin(
      r,
      CreateIoCq.encode({
        opcode: 5,
        cid: 1,
        prp1: cq,
        qid,
        qsize: size - 1,
        pc: 1,
        ien: 1,
        iv: opts.vector ?? qid,
      }),
    );
    assertEquals(c.status, 0);
  }
  const s = admin(
    r,
    CreateIoSq.encode({
      opcode: 1,
      cid: 2,
      prp1: sq,
      qid,
      qsize: size - 1,
      pc: 1,
      cqid,
      qprio: opts.qprio ?? 0,
    }),
  );
  assertEquals(s.status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

const flush = (cid: number) =>
  new Uint8Array([NvmOpcode.FLUSH, 0, cid & 0xff, cid >> 8, 1, 0, 0, 0, ...new Array(56).fill(0)]);

/** A host that uses shadow doorbells the way Linux does: shadow first, MMIO only on need_event. */
class ShadowHost {
  constructor(
    readonly r: TestRig,
    readonly q: HostQueue,
    readonly dbs: number,
    readonly eis: number,
  ) {}
  #slot(isCq: boolean) {
    return shadowSlotOffset(this.q.qid, isCq, 0);
  }
  #update(isCq: boolean, oldValue: number, newValue: number, ring: () => void): void {
    this.r.host.memWriteU32(this.dbs + this.#slot(isCq), newValue);
    const ev = this.r.host.memReadU32(this.eis + this.#slot(isCq)) & 0xffff;
    if (needEventLinux(ev, newValue, oldValue)) ring();
  }
  submit(sqe: Uint8Array): void {
    const old = this.q.sqTail;
    this.q.submit(sqe, false);
    this.#update(false, old, this.q.sqTail, () => this.q.ring());
  }
  /** Consumes every posted completion, then publishes the head once. */
  drain(): number[] {
    const old = this.q.cqHead;
    const cids: number[] = [];
    for (let c = this.q.take(); c; c = this.q.take()) cids.push(c.cid);
    if (cids.length) this.#update(true, old, this.q.cqHead, () => this.q.release());
    return cids;
  }
}

function shadowRig(options: Partial<ControllerOptions>): { r: TestRig; sh: ShadowHost } {
  const r = rig(options);
  const q = createPair(r, 1, 64);
  const dbs = r.host.allocate(4096, 4096), eis = r.host.allocate(4096, 4096);
  assertEquals(
    admin(r, new Uint8Array(64).fill(0).map((_, i) => i === 0 ? DBBUF_OPCODE : 0)).status,
    Status.INVALID_FIELD,
  );
  const cfg = new Uint8Array(64);
  const v = new DataView(cfg.buffer);
  cfg[0] = DBBUF_OPCODE;
  v.setBigUint64(24, BigInt(dbs), true);
  v.setBigUint64(32, BigInt(eis), true);
  assertEquals(admin(r, cfg).status, 0);
  return { r, sh: new ShadowHost(r, q, dbs, eis) };
}

/** Runs `rounds` batches of `depth` flushes through the shadow host; returns MMIO writes/I/O. */
function runShadow(r: TestRig, sh: ShadowHost, depth: number, rounds: number): number {
  const before = r.machine.counters.snapshot();
  let done = 0, cid = 0;
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < depth; i++) sh.submit(flush(cid++));
    let got = 0;
    for (let polls = 0; got < depth && polls < 100_000; polls++) {
      got += sh.drain().length;
      if (got < depth) r.host.poll();
    }
    assertEquals(got, depth, `round ${k}: all ${depth} completions`);
    done += got;
  }
  const after = r.machine.counters.snapshot();
  const mmio = after.sqDoorbellWrites - before.sqDoorbellWrites + after.cqDoorbellWrites -
    before.cqDoorbellWrites;
  assertEquals(r.machine.findings.all().length, 0, JSON.stringify(r.machine.findings.all()));
  return mmio / done;
}

Deno.test("shadow doorbells, interrupt policy: batching suppresses MMIO, nothing is lost", () => {
  const { r, sh } = shadowRig({ eventIdxPolicy: "interrupt" });
  const qd1 = runShadow(r, sh, 1, 20);
  const qd8 = runShadow(r, sh, 8, 20);
  // QD1: the controller is idle at every submission, so the SQ tail always crosses EventIdx.
  assert(qd1 >= 1 && qd1 <= 2, `QD1 MMIO/IO ${qd1}`);
  // QD8: one SQ doorbell per batch of eight, plus at most one CQ doorbell per drain.
  assert(qd8 < 0.5, `QD8 MMIO/IO ${qd8}`);
});

Deno.test("shadow doorbells, polling policy: steady state needs no MMIO at all", () => {
  const { r, sh } = shadowRig({ eventIdxPolicy: "polling" });
  assertEquals(runShadow(r, sh, 1, 10), 0);
  assertEquals(runShadow(r, sh, 16, 5), 0);
});

Deno.test("shadow doorbells: advertised in OACS; refused when not; reset drops the config", () => {
  const off = rig({ shadowDoorbells: false });
  const cfg = new Uint8Array(64);
  cfg[0] = DBBUF_OPCODE;
  assertEquals(admin(off, cfg).status, Status.INVALID_OPCODE);
  const { r } = shadowRig({});
  assert(r.ctrl.shadow.enabled);
  r.host.write32(R.CC, 0x00460000);
  waitReady(r.host, 0);
  assert(!r.ctrl.shadow.enabled);
});

Deno.test("interrupt coalescing: threshold and time aggregate; CD opts a vector out", async (t) => {
  const burst = (r: TestRig, q: HostQueue, n: number) => {
    const before = r.machine.counters.interruptsRaised;
    for (let i = 0; i < n; i++) q.submit(flush(i), i === n - 1);
    r.host.sleep(1_000_000);
    for (let i = 0; i < n; i++) assert(q.take(), `completion ${i}`);
    q.release();
    return r.machine.counters.interruptsRaised - before;
  };
  await t.step("off by default: one interrupt per completion", () => {
    const r = rig();
    assertEquals(burst(r, createPair(r, 1, 32), 8), 8);
  });
  await t.step("THR = 3: one interrupt per four completions", () => {
    const r = rig();
    const q = createPair(r, 1, 32);
    admin(
      r,
      SetFeatures.encode({
        opcode: AdminOpcode.SET_FEATURES,
        cid: 3,
        fid: FeatureId.INTERRUPT_COALESCING,
        cdw11: 0x0003,
      }),
    );
    assertEquals(burst(r, q, 8), 2);
  });
  await t.step("TIME only: the held interrupt fires once after the time", () => {
    const r = rig();
    const q = createPair(r, 1, 32);
    admin(
      r,
      SetFeatures.encode({
        opcode: AdminOpcode.SET_FEATURES,
        cid: 3,
        fid: FeatureId.INTERRUPT_COALESCING,
        cdw11: 0x02ff, // THR = 255 (never reached), TIME = 2 (200 µs)
      }),
    );
    assertEquals(burst(r, q, 8), 1);
  });
  await t.step("Interrupt Vector Configuration CD = 1 disables coalescing for that vector", () => {
    const r = rig();
    const q = createPair(r, 1, 32);
    admin(
      r,
      SetFeatures.encode({
        opcode: AdminOpcode.SET_FEATURES,
        cid: 3,
        fid: FeatureId.INTERRUPT_COALESCING,
        cdw11: 0x0003,
      }),
    );
    admin(
      r,
      SetFeatures.encode({
        opcode: AdminOpcode.SET_FEATURES,
        cid: 4,
        fid: FeatureId.INTERRUPT_VECTOR_CONFIG,
        cdw11: (1 << 16) | 1,
      }),
    );
    assertEquals(burst(r, q, 8), 8);
  });
});

Deno.test("weighted round robin: HPW+1 : LPW+1 fetch ratio between classes (Base 2.1 §3.4.4)", () => {
  const r = rig({}, { enable: false });
  r.host.write32(R.CC, 0x00460001 | (1 << 11)); // AMS = WRR
  waitReady(r.host, 1);
  const high = createPair(r, 1, 32, { qprio: 1 });
  const low = createPair(r, 2, 32, { cqid: 1, qprio: 3 });
  // HPW = 2 (3 turns), LPW = 0 (1 turn), burst 1.
  admin(
    r,
    SetFeatures.encode({
      opcode: AdminOpcode.SET_FEATURES,
      cid: 3,
      fid: FeatureId.ARBITRATION,
      cdw11: 0x02000000,
    }),
  );
  for (let i = 0; i < 12; i++) {
    high.submit(flush(i), false);
    low.submit(flush(100 + i), false);
  }
  high.ring();
  low.ring();
  r.host.sleep(1_000_000);
  const order: number[] = [];
  for (let c = high.take(); c; c = high.take()) order.push(c.sqid); // both SQs post to CQ 1
  assertEquals(order.slice(0, 8), [1, 1, 1, 2, 1, 1, 1, 2]);
});

Deno.test("latency model delays media commands; SQ deletion aborts what is in flight", () => {
  const r = rig({ latency: { kind: "fixed", ns: 50_000 } });
  const q = createPair(r, 1, 8);
  const buf = r.host.allocate(4096, 4096);
  const t0 = r.host.now();
  q.submit(Read.encode({ opcode: NvmOpcode.READ, cid: 7, nsid: 1, prp1: buf, slba: 0, nlb: 0 }));
  q.wait();
  assert(r.host.now() - t0 >= 50_000, "completion not before the media latency");
  // A read in flight when its SQ is deleted completes with Command Aborted due to SQ Deletion.
  q.submit(Read.encode({ opcode: NvmOpcode.READ, cid: 8, nsid: 1, prp1: buf, slba: 0, nlb: 0 }));
  r.host.sleep(5_000); // fetched, not finished
  assertEquals(admin(r, DeleteIoSq.encode({ opcode: 0, cid: 9, qid: 1 })).status, 0);
  const c = q.take();
  assertEquals([c?.cid, c?.status], [8, Status.ABORTED_SQ_DELETION]);
  r.host.sleep(100_000);
  assertEquals(q.take(), null, "no second completion for the aborted read");
});

Deno.test("shadow doorbells, interrupt policy: a CQ that looks full is refreshed from its shadow head", () => {
  // Like QEMU (nvme_post_cqes updates the CQ head from the shadow buffer before its full check),
  // a completion held for a full CQ is posted once the shadow head frees a slot, even when that
  // head never reached the MMIO doorbell.
  const { r, sh } = shadowRig({ eventIdxPolicy: "interrupt" });
  const size = sh.q.size, dbs = sh.dbs, slot = shadowSlotOffset(1, true, 0);
  const collect = (n: number) => {
    const cids: number[] = [];
    for (let polls = 0; polls < 10_000 && cids.length < n; polls++) {
      for (let c = sh.q.take(); c; c = sh.q.take()) cids.push(c.cid);
      if (cids.length < n) r.host.poll();
    }
    return cids;
  };
  for (let cid = 0; cid < size - 1; cid++) sh.submit(flush(cid));
  assertEquals(collect(size - 1).length, size - 1, "the CQ is full (nothing released yet)");
  r.host.memWriteU32(dbs + slot, sh.q.cqHead); // shadow head only: no CQ head MMIO
  for (let cid = 0; cid < 4; cid++) sh.submit(flush(0x100 + cid));
  assertEquals(collect(4).sort(), [0x100, 0x101, 0x102, 0x103]);
});
