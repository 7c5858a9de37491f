// Create/Delete I/O queues end to end through the test host: PRP-list queues with CAP.CQR = 0
// (Base 2.1 §5.2.1/§5.2.2, PC = 0), their errors, QPRIO under round robin, and Delete I/O SQ
// with commands in flight (§5.2.4).

import { assert, assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq, DeleteIoSq } from "../spec/admin_commands.ts";
import { Read, Write } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { Status } from "../spec/status.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import type { HostPort } from "../platform/ports.ts";
import { type Completion, HostQueue, rig, type TestRig, waitReady } from "./_test_host.ts";
import { IO_HANDLERS } from "./io_handlers.ts";
import { PENDING } from "./request.ts";
import type { CommandHandler } from "./controller.ts";

const PAGE_4K = 4096;
const PAGE_8K = 8192;
const BLOCK = 512;
/** CC with EN = 1, IOSQES = 6, IOCQES = 4; MPS and AMS are added per test. */
const CC_ENABLE = 0x00460001;
const CC_MPS_SHIFT = 7;
const CC_AMS_WRR = 1 << 11;
/** An address inside the 1 TiB machine that nothing allocates, so the IOMMU refuses it. */
const UNMAPPED = 0xf0_0000_0000;

function send(r: TestRig, sqe: Uint8Array): Completion {
  r.admin.submit(sqe);
  return r.admin.wait();
}

/** `count` memory pages, allocated with a spacer between them and handed out in reverse. */
function scatteredPages(host: HostPort, count: number, pageSize: number): number[] {
  const pages: number[] = [];
  for (let k = 0; k < count; k++) {
    pages.push(host.allocate(pageSize, pageSize));
    host.allocate(pageSize, pageSize); // spacer: no two queue pages are adjacent
  }
  for (const p of pages) host.memFill(p, pageSize, 0);
  return pages.reverse();
}

/** A PRP list page holding `entries` (each a u64). */
function prpList(host: HostPort, entries: readonly number[], pageSize: number): number {
  const list = host.allocate(pageSize, pageSize);
  entries.forEach((e, i) => host.memWriteU64(list + i * 8, e));
  return list;
}

/** The host side of an I/O queue pair whose SQ and CQ live in scattered pages. */
class PagedQueuePair {
  sqTail = 0;
  cqHead = 0;
  phase = 1;
  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly sqPages: readonly number[],
    readonly cqPages: readonly number[],
    readonly sqSize: number,
    readonly cqSize: number,
    readonly pageSize: number,
  ) {}

  #slot(pages: readonly number[], i: number, entrySize: number): number {
    const perPage = this.pageSize / entrySize;
    return pages[Math.floor(i / perPage)] + (i % perPage) * entrySize;
  }

  submit(sqe: Uint8Array, ring = true): void {
    this.host.memWrite(this.#slot(this.sqPages, this.sqTail, SQE_SIZE), sqe);
    this.sqTail = (this.sqTail + 1) % this.sqSize;
    if (ring) this.host.write32(sqTailDoorbell(this.qid, 0), this.sqTail);
  }

  take(): Completion | null {
    const addr = this.#slot(this.cqPages, this.cqHead, CQE_SIZE);
    const status = this.host.memReadU32(addr + 12) >>> 16;
    if ((status & 1) !== this.phase) return null;
    const dw2 = this.host.memReadU32(addr + 8);
    const c: Completion = {
      dw0: this.host.memReadU32(addr),
      sqhd: dw2 & 0xffff,
      sqid: dw2 >>> 16,
      cid: this.host.memReadU32(addr + 12) & 0xffff,
      status: (status >>> 1) & 0x7ff,
      dnr: status >>> 15,
    };
    this.cqHead = (this.cqHead + 1) % this.cqSize;
    if (this.cqHead === 0) this.phase ^= 1;
    return c;
  }

  /** Waits for `n` completions, releasing them once; returns them in order. */
  waitFor(n: number): Completion[] {
    const out: Completion[] = [];
    for (let polls = 0; out.length < n; polls++) {
      if (polls > 100_000) throw new Error(`only ${out.length} of ${n} completions`);
      for (let c = this.take(); c && out.length < n; c = out.length < n ? this.take() : null) {
        out.push(c);
      }
      if (out.length < n) this.host.poll();
    }
    this.host.write32(cqHeadDoorbell(this.qid, 0), this.cqHead);
    return out;
  }
}

/** Creates I/O queue pair `qid` from PRP lists (PC = 0); returns the host side. */
function createPagedPair(
  r: TestRig,
  qid: number,
  sqSize: number,
  cqSize: number,
  pageSize: number,
): PagedQueuePair {
  const sqPages = scatteredPages(r.host, Math.ceil((sqSize * SQE_SIZE) / pageSize), pageSize);
  const cqPages = scatteredPages(r.host, Math.ceil((cqSize * CQE_SIZE) / pageSize), pageSize);
  const cq = send(
    r,
    CreateIoCq.encode({
      opcode: AdminOpcode.CREATE_IO_CQ,
      cid: 1,
      prp1: prpList(r.host, cqPages, pageSize),
      qid,
      qsize: cqSize - 1,
      pc: 0,
      ien: 1,
      iv: qid,
    }),
  );
  assertEquals([cq.status, cq.dnr], [0, 0]);
  const sq = send(
    r,
    CreateIoSq.encode({
      opcode: AdminOpcode.CREATE_IO_SQ,
      cid: 2,
      prp1: prpList(r.host, sqPages, pageSize),
      qid,
      qsize: sqSize - 1,
      pc: 0,
      cqid: qid,
    }),
  );
  assertEquals([sq.status, sq.dnr], [0, 0]);
  return new PagedQueuePair(r.host, qid, sqPages, cqPages, sqSize, cqSize, pageSize);
}

/** Writes then reads back `total` single blocks in batches, checking every CQE and the data. */
function ioRoundTrip(r: TestRig, q: PagedQueuePair, total: number, batch: number): void {
  const buf = r.host.allocate(batch * BLOCK, PAGE_4K);
  let cid = 0;
  for (const opcode of [NvmOpcode.WRITE, NvmOpcode.READ]) {
    for (let first = 0; first < total; first += batch) {
      const n = Math.min(batch, total - first);
      for (let i = 0; i < n; i++) {
        const lba = first + i, prp1 = buf + i * BLOCK;
        if (opcode === NvmOpcode.WRITE) {
          r.host.memFill(prp1, BLOCK, (lba * 7 + 3) & 0xff);
          q.submit(Write.encode({ opcode, cid: cid++ & 0xffff, nsid: 1, prp1, slba: lba }), false);
        } else {
          r.host.memFill(prp1, BLOCK, 0xee);
          q.submit(Read.encode({ opcode, cid: cid++ & 0xffff, nsid: 1, prp1, slba: lba }), false);
        }
      }
      q.host.write32(sqTailDoorbell(q.qid, 0), q.sqTail);
      const done = q.waitFor(n);
      for (const c of done) assertEquals([c.status, c.sqid], [0, q.qid]);
      assertEquals(done.at(-1)!.sqhd, q.sqTail, "SQ head reported through the page list");
      if (opcode === NvmOpcode.READ) {
        for (let i = 0; i < n; i++) {
          const back = new Uint8Array(BLOCK);
          r.host.memRead(buf + i * BLOCK, back);
          assertEquals(back[0], ((first + i) * 7 + 3) & 0xff, `LBA ${first + i}`);
          assertEquals(back[BLOCK - 1], back[0]);
        }
      }
    }
  }
}

Deno.test("PRP-list queues (CAP.CQR = 0, PC = 0): I/O across page boundaries, MPS 4 KiB", () => {
  const r = rig({ cqr: false });
  assertEquals(Number((r.host.read64(R.CAP) >> 16n) & 1n), 0, "CAP.CQR = 0");
  // SQ: 70 × 64 B over 2 pages; CQ: 300 × 16 B over 2 pages. 1200 commands wrap both often.
  const q = createPagedPair(r, 1, 70, 300, PAGE_4K);
  ioRoundTrip(r, q, 600, 50);
  assert(q.phase === 1, "the CQ wrapped an even number of times: 1200 / 300");
  assertEquals(r.machine.findings.all().length, 0);
});

Deno.test("PRP-list queues with MPS 8 KiB (CC.MPS = 1)", () => {
  const r = rig({ cqr: false }, { enable: false });
  const size = 32;
  const asq = r.host.allocate(size * SQE_SIZE, PAGE_8K), acq = r.host.allocate(PAGE_8K, PAGE_8K);
  r.host.memFill(acq, PAGE_8K, 0);
  r.host.write64(R.ASQ, asq);
  r.host.write64(R.ACQ, acq);
  r.host.write32(R.CC, CC_ENABLE | (1 << CC_MPS_SHIFT));
  assertEquals(waitReady(r.host, 1) & 2, 0, "enabled without CFS");
  const admin = new HostQueue(r.host, 0, asq, acq, size, 0);
  const r8: TestRig = { ...r, admin };
  // SQ: 130 × 64 B = 2 pages of 8 KiB; CQ: 600 × 16 B = 2 pages.
  const q = createPagedPair(r8, 1, 130, 600, PAGE_8K);
  ioRoundTrip(r8, q, 700, 100);
  assertEquals(r.machine.findings.all().length, 0);
});

Deno.test("PRP-list queue creation errors (Base 2.1 §5.2.1/§5.2.2)", async (t) => {
  const r = rig({ cqr: false });
  const page = r.host.allocate(PAGE_4K, PAGE_4K);
  const cq = (cid: number, prp1: number, pc = 0) =>
    send(r, CreateIoCq.encode({ opcode: 5, cid, prp1, qid: 1, qsize: 15, pc, ien: 1, iv: 1 }));

  await t.step("list pointer with an offset → PRP Offset Invalid, DNR", () => {
    const c = cq(1, prpList(r.host, [page], PAGE_4K) + 8);
    assertEquals([c.status, c.dnr], [Status.PRP_OFFSET_INVALID, 1]);
  });
  await t.step("a list entry with an offset → PRP Offset Invalid, DNR", () => {
    const c = cq(2, prpList(r.host, [page + 0x100], PAGE_4K));
    assertEquals([c.status, c.dnr], [Status.PRP_OFFSET_INVALID, 1]);
  });
  await t.step("an SQ list entry with an offset → PRP Offset Invalid, DNR", () => {
    const pages = scatteredPages(r.host, 1, PAGE_4K);
    assertEquals(cq(3, prpList(r.host, pages, PAGE_4K)).status, 0);
    const c = send(
      r,
      CreateIoSq.encode({
        opcode: 1,
        cid: 4,
        prp1: prpList(r.host, [page + 64], PAGE_4K),
        qid: 1,
        qsize: 15,
        pc: 0,
        cqid: 1,
      }),
    );
    assertEquals([c.status, c.dnr], [Status.PRP_OFFSET_INVALID, 1]);
    assertEquals(r.ctrl.sqs[1], undefined, "nothing created");
  });
  await t.step("list pointer the IOMMU refuses → Data Transfer Error (retryable)", () => {
    const c = send(
      r,
      CreateIoCq.encode({ opcode: 5, cid: 5, prp1: UNMAPPED, qid: 2, qsize: 15, pc: 0 }),
    );
    assertEquals([c.status, c.dnr], [Status.DATA_TRANSFER_ERROR, 0]);
    assertEquals(r.ctrl.cqs[2], undefined, "nothing created");
    assert(r.machine.findings.all().length > 0, "the refused DMA is a finding");
  });
  await t.step("a failed create leaves the QID free; PC = 1 still works with CQR = 0", () => {
    const base = r.host.allocate(PAGE_4K, PAGE_4K);
    const c = send(
      r,
      CreateIoCq.encode({ opcode: 5, cid: 6, prp1: base, qid: 2, qsize: 15, pc: 1, iv: 2 }),
    );
    assertEquals(c.status, 0);
  });
});

Deno.test("CAP.CQR = 1 (the default): PC = 0 is Invalid Field in Command", () => {
  const r = rig();
  const list = prpList(r.host, scatteredPages(r.host, 1, PAGE_4K), PAGE_4K);
  const c = send(r, CreateIoCq.encode({ opcode: 5, cid: 1, prp1: list, qid: 1, qsize: 15, pc: 0 }));
  assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1]);
});

/** Creates a contiguous CQ `qid` and an SQ on it with QPRIO `qprio`; returns the SQ status. */
function createWithQprio(r: TestRig, qprio: number): number {
  const cq = r.host.allocate(PAGE_4K, PAGE_4K), sq = r.host.allocate(PAGE_4K, PAGE_4K);
  assertEquals(
    send(r, CreateIoCq.encode({ opcode: 5, cid: 1, prp1: cq, qid: 1, qsize: 15, pc: 1 })).status,
    0,
  );
  return send(
    r,
    CreateIoSq.encode({ opcode: 1, cid: 2, prp1: sq, qid: 1, qsize: 15, pc: 1, qprio, cqid: 1 }),
  ).status;
}

Deno.test("Create I/O SQ: QPRIO is ignored under round robin (CC.AMS = 0), kept under WRR", () => {
  const rr = rig();
  assertEquals(createWithQprio(rr, 3), 0, "any QPRIO is accepted");
  assertEquals(rr.ctrl.sqs[1]!.priority, 0, "and has no effect");
  const wrr = rig({}, { enable: false });
  wrr.host.write32(R.CC, CC_ENABLE | CC_AMS_WRR);
  waitReady(wrr.host, 1);
  assertEquals(createWithQprio(wrr, 3), 0);
  assertEquals(wrr.ctrl.sqs[1]!.priority, 3, "low priority class");
});

/** A contiguous I/O queue pair `qid` of `size` entries. */
function createPair(r: TestRig, qid: number, size: number): HostQueue {
  const sq = r.host.allocate(size * SQE_SIZE, PAGE_4K), cq = r.host.allocate(PAGE_4K, PAGE_4K);
  r.host.memFill(cq, PAGE_4K, 0);
  const c = send(
    r,
    CreateIoCq.encode({ opcode: 5, cid: 1, prp1: cq, qid, qsize: size - 1, pc: 1, ien: 1, iv: 1 }),
  );
  assertEquals(c.status, 0);
  const s = send(
    r,
    CreateIoSq.encode({ opcode: 1, cid: 2, prp1: sq, qid, qsize: size - 1, pc: 1, cqid: qid }),
  );
  assertEquals(s.status, 0);
  return new HostQueue(r.host, qid, sq, cq, size, 0);
}

Deno.test("Delete I/O SQ with nothing in flight: immediate; the QID is free again", () => {
  const r = rig();
  createPair(r, 1, 8);
  const del = (cid: number, qid: number) =>
    send(r, DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, cid, qid }));
  assertEquals(del(3, 1).status, 0);
  assertEquals(r.ctrl.sqs[1], undefined);
  assertEquals([del(4, 1).status, del(4, 1).dnr], [Status.INVALID_QUEUE_IDENTIFIER, 1]);
  assertEquals(del(5, 0).status, Status.INVALID_QUEUE_IDENTIFIER, "the admin SQ");
  const sq = r.host.allocate(PAGE_4K, PAGE_4K);
  const again = send(
    r,
    CreateIoSq.encode({ opcode: 1, cid: 6, prp1: sq, qid: 1, qsize: 7, pc: 1, cqid: 1 }),
  );
  assertEquals(again.status, 0);
});

/** Polls both queues until `stop`; returns every CQE seen, tagged with its queue, in order. */
function watch(
  r: TestRig,
  io: HostQueue,
  stop: (seen: { q: string; c: Completion }[]) => boolean,
): { q: string; c: Completion }[] {
  const seen: { q: string; c: Completion }[] = [];
  for (let polls = 0; !stop(seen); polls++) {
    if (polls > 100_000) throw new Error(`stuck after ${JSON.stringify(seen)}`);
    for (let c = io.take(); c; c = io.take()) seen.push({ q: "io", c });
    for (let c = r.admin.take(); c; c = r.admin.take()) seen.push({ q: "admin", c });
    r.host.poll();
  }
  io.release();
  r.admin.release();
  return seen;
}

Deno.test("Delete I/O SQ with a command in flight: its CQE precedes the Delete's (§5.2.4)", () => {
  const r = rig({ commandLatencyNs: 50_000 });
  const io = createPair(r, 1, 8);
  const buf = r.host.allocate(PAGE_4K, PAGE_4K);
  io.submit(Read.encode({ opcode: NvmOpcode.READ, cid: 7, nsid: 1, prp1: buf, slba: 0 }));
  r.host.sleep(5_000); // fetched; its completion is 45 µs away
  r.admin.submit(DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, cid: 9, qid: 1 }));
  const seen = watch(r, io, (s) => s.some((e) => e.q === "admin"));
  r.host.sleep(200_000);
  assertEquals(io.take(), null, "nothing for the deleted SQ after the Delete completed");
  const order = seen.map((e) => `${e.q}:${e.c.cid}`);
  assertEquals(order, ["io:7", "admin:9"]);
  const read = seen[0].c;
  assert(
    read.status === Status.SUCCESS || read.status === Status.ABORTED_SQ_DELETION,
    "completed or aborted, both allowed",
  );
  assertEquals([read.sqid, read.sqhd], [1, 1]);
  assertEquals(seen[1].c.status, 0);
});

Deno.test("Delete I/O SQ waits for a command the engine cannot abort (deferred completion)", () => {
  // A vendor-specific I/O opcode whose handler completes 100 µs later by itself: the engine has
  // no timer of its own to cancel, so the Delete must wait for it.
  const VENDOR_OPCODE = 0x81;
  const DEFERRED_NS = 100_000;
  const handlers = IO_HANDLERS as Map<number, CommandHandler>;
  handlers.set(VENDOR_OPCODE, (ctrl, req) => {
    ctrl.port.schedule(DEFERRED_NS, () => ctrl.complete(req));
    return PENDING;
  });
  try {
    const r = rig();
    const io = createPair(r, 1, 8);
    const vendor = new Uint8Array(SQE_SIZE);
    vendor[0] = VENDOR_OPCODE;
    vendor[2] = 5; // CID 5
    vendor[4] = 1; // NSID 1
    io.submit(vendor);
    r.host.sleep(5_000);
    const t0 = r.host.now();
    r.admin.submit(DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, cid: 9, qid: 1 }));
    // A second Delete while the first waits: the queue is already gone.
    r.admin.submit(DeleteIoSq.encode({ opcode: AdminOpcode.DELETE_IO_SQ, cid: 10, qid: 1 }));
    const seen = watch(r, io, (s) => s.filter((e) => e.q === "admin").length === 2);
    assertEquals(seen.map((e) => `${e.q}:${e.c.cid}`), ["admin:10", "io:5", "admin:9"]);
    assertEquals(seen[0].c.status, Status.INVALID_QUEUE_IDENTIFIER);
    assertEquals([seen[1].c.status, seen[1].c.sqhd], [0, 1]);
    assertEquals(seen[2].c.status, 0);
    assert(r.host.now() - t0 >= DEFERRED_NS - 5_000, "the Delete waited for the command");
    assertEquals(r.ctrl.sqs[1], undefined);
  } finally {
    handlers.delete(VENDOR_OPCODE);
  }
});
