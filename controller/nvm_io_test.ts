// NVM I/O commands end to end through the test host (NVM Command Set 1.1 §3.3, Flush Base 2.1
// §7.2): every command's statuses and its effect on the media (data, durability across a power
// loss, deallocation, uncorrectable marks), then Copy (§3.3.2) with its limits and every error.

import { assert, assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq } from "../spec/admin_commands.ts";
import {
  Compare,
  Copy,
  CopySourceRange,
  DatasetManagement,
  DsmRange,
  Flush,
  Read,
  Verify,
  Write,
  WriteUncorrectable,
  WriteZeroes,
} from "../spec/nvm_commands.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { Status } from "../spec/status.ts";
import { SglDescriptor } from "../spec/sgl.ts";
import { type Completion, HostQueue, rig, type TestRig } from "./_test_host.ts";
import { FUA_WRITE } from "./media.ts";
import type { Namespace } from "./namespace.ts";
import { COPY_MCL, COPY_MSRC, COPY_MSSRL } from "./nvm_copy.ts";

const PAGE = 4096;
const BLOCK = 512;
const NSZE = 2 ** 21; // the default namespace: 1 GiB of 512-byte blocks
const MDTS_BYTES = 128 * PAGE; // MDTS 7 at CAP.MPSMIN 4 KiB
const NSID_ALL = 0xffff_ffff;
/** CDW12 PRINFO bit 3 (PRACT) as the Verify encoder spells it. */
const PRINFO_PRACT = 0b1000;
/** An address inside the 1 TiB machine that nothing allocates, so the IOMMU refuses it. */
const UNMAPPED = 0xf0_0000_0000;
const RANGE_SIZE = 32;

interface Setup {
  r: TestRig;
  q: HostQueue;
  ns: Namespace;
}

function setup(options = {}): Setup {
  const r = rig(options);
  const sq = r.host.allocate(64 * 64, PAGE), cq = r.host.allocate(64 * 16, PAGE);
  r.host.memFill(cq, 64 * 16, 0);
  r.admin.submit(
    CreateIoCq.encode({ opcode: 5, cid: 1, prp1: cq, qid: 1, qsize: 63, pc: 1, ien: 1, iv: 1 }),
  );
  assertEquals(r.admin.wait().status, 0);
  r.admin.submit(
    CreateIoSq.encode({ opcode: 1, cid: 2, prp1: sq, qid: 1, qsize: 63, pc: 1, cqid: 1 }),
  );
  assertEquals(r.admin.wait().status, 0);
  const ns = r.ctrl.subsystem.namespace(1)!;
  return { r, q: new HostQueue(r.host, 1, sq, cq, 64, 0), ns };
}

let nextCid = 0;
function run(s: Setup, sqe: Uint8Array): Completion {
  sqe[2] = ++nextCid & 0xff; // a fresh CID each time
  s.q.submit(sqe);
  return s.q.wait();
}

/** [status, dnr] of a completion, for one-line assertions. */
function sd(c: Completion): [number, number] {
  return [c.status, c.dnr];
}

/** A host buffer of `bytes` with PRP1/PRP2 describing it (a PRP list beyond two pages). */
function hostBuffer(r: TestRig, bytes: number): { addr: number; prp1: number; prp2: number } {
  const addr = r.host.allocate(Math.max(bytes, PAGE), PAGE);
  const pages = Math.ceil(bytes / PAGE);
  if (pages <= 1) return { addr, prp1: addr, prp2: 0 };
  if (pages === 2) return { addr, prp1: addr, prp2: addr + PAGE };
  const list = r.host.allocate(PAGE, PAGE);
  for (let k = 1; k < pages; k++) r.host.memWriteU64(list + (k - 1) * 8, addr + k * PAGE);
  return { addr, prp1: addr, prp2: list };
}

/** The byte every block written by {@linkcode putBlocks} holds. */
function mark(lba: number, seed = 0): number {
  return ((lba * 13 + seed) % 255) + 1; // never 0: zeros mean "nothing there"
}

/** Writes `count` recognisable blocks at `lba` straight to durable media (test setup). */
function putBlocks(ns: Namespace, lba: number, count: number, seed = 0): void {
  const buf = new Uint8Array(count * BLOCK);
  for (let i = 0; i < count; i++) buf.fill(mark(lba + i, seed), i * BLOCK, (i + 1) * BLOCK);
  ns.media.write(lba, count, buf, 0, FUA_WRITE);
}

/** The byte block `lba` reads as (asserting the block is uniform). */
function blockByte(ns: Namespace, lba: number): number {
  const b = new Uint8Array(BLOCK);
  ns.media.read(lba, 1, b, 0);
  assert(b.every((x) => x === b[0]), `LBA ${lba} is not uniform`);
  return b[0];
}

function writeSqe(lba: number, nlb: number, prp1: number, prp2 = 0, fua = 0): Uint8Array {
  return Write.encode({ opcode: NvmOpcode.WRITE, nsid: 1, prp1, prp2, slba: lba, nlb, fua });
}

function readSqe(lba: number, nlb: number, prp1: number, prp2 = 0, fua = 0): Uint8Array {
  return Read.encode({ opcode: NvmOpcode.READ, nsid: 1, prp1, prp2, slba: lba, nlb, fua });
}

Deno.test("Read/Write: namespace, then LBA range, then MDTS, then the data pointer", async (t) => {
  const s = setup();
  const big = hostBuffer(s.r, MDTS_BYTES + PAGE);
  await t.step(
    "NSID 0 and FFFFFFFFh → Invalid Namespace or Format; inactive → Invalid Field",
    () => {
      for (const nsid of [0, NSID_ALL]) {
        const c = run(s, Read.encode({ opcode: 2, nsid, prp1: big.addr, slba: 0 }));
        assertEquals(sd(c), [Status.INVALID_NAMESPACE, 1], `NSID ${nsid}`);
      }
      const inactive = run(s, Read.encode({ opcode: 2, nsid: 2, prp1: big.addr, slba: 0 }));
      assertEquals(sd(inactive), [Status.INVALID_FIELD, 1], "NSID 2 (valid, not attached)");
    },
  );
  await t.step("inactive namespace wins over an out-of-range LBA", () => {
    const c = run(s, Read.encode({ opcode: 2, nsid: 2, prp1: big.addr, slba: NSZE }));
    assertEquals(c.status, Status.INVALID_FIELD);
  });
  await t.step("LBA Out of Range wins over MDTS", () => {
    const c = run(s, readSqe(NSZE - 1, 2047, big.prp1, big.prp2)); // 1 MiB, past the end
    assertEquals(sd(c), [Status.LBA_OUT_OF_RANGE, 1]);
    const top = run(s, readSqe(2 ** 53, 0, big.addr));
    assertEquals(top.status, Status.LBA_OUT_OF_RANGE, "a 64-bit SLBA far beyond NSZE");
  });
  await t.step("over MDTS → Invalid Field in Command; exactly MDTS is fine", () => {
    const over = MDTS_BYTES / BLOCK; // blocks, so NLB = this is one block too many
    assertEquals(sd(run(s, readSqe(0, over, big.prp1, big.prp2))), [Status.INVALID_FIELD, 1]);
    assertEquals(sd(run(s, writeSqe(0, over, big.prp1, big.prp2))), [Status.INVALID_FIELD, 1]);
    assertEquals(run(s, readSqe(0, over - 1, big.prp1, big.prp2)).status, 0);
  });
  await t.step("PRP1 with offset bits 1:0 set → PRP Offset Invalid with DNR", () => {
    assertEquals(sd(run(s, readSqe(0, 0, big.addr + 2))), [Status.PRP_OFFSET_INVALID, 1]);
    assertEquals(sd(run(s, writeSqe(0, 0, big.addr + 2))), [Status.PRP_OFFSET_INVALID, 1]);
  });
  await t.step("a buffer the IOMMU refuses → Data Transfer Error, retryable", () => {
    assertEquals(sd(run(s, readSqe(0, 0, UNMAPPED))), [Status.DATA_TRANSFER_ERROR, 0]);
    assertEquals(sd(run(s, writeSqe(0, 0, UNMAPPED))), [Status.DATA_TRANSFER_ERROR, 0]);
  });
});

Deno.test("Write/Read: data round trip; FUA on Write and on Read makes data durable", () => {
  const s = setup();
  assert(s.ns.media.writeCacheEnabled, "the volatile write cache is on by default");
  const buf = s.r.host.allocate(2 * PAGE, PAGE);
  const put = (lba: number, byte: number, fua: number) => {
    s.r.host.memFill(buf, BLOCK, byte);
    assertEquals(run(s, writeSqe(lba, 0, buf, 0, fua)).status, 0);
  };
  const get = (lba: number, fua = 0) => {
    s.r.host.memFill(buf, BLOCK, 0xee);
    assertEquals(run(s, readSqe(lba, 0, buf, 0, fua)).status, 0);
    return s.r.host.memReadU32(buf) & 0xff;
  };
  put(12, 0x33, 0); // cached, then read with FUA, which commits it
  assertEquals(get(12, 1), 0x33);
  put(10, 0x11, 0); // cached
  put(11, 0x22, 1); // FUA: durable
  assertEquals([get(10), get(11), get(12)], [0x11, 0x22, 0x33]);
  s.r.ctrl.subsystem.powerLoss();
  assertEquals([get(10), get(11), get(12)], [0, 0x22, 0x33]);
});

Deno.test("Compare: match, miscompare, unrecovered read, MDTS; FUA commits first", () => {
  const s = setup();
  const buf = s.r.host.allocate(PAGE, PAGE);
  putBlocks(s.ns, 20, 2);
  const cmp = (lba: number, nlb: number, fua = 0, prp1 = buf) =>
    run(s, Compare.encode({ opcode: NvmOpcode.COMPARE, nsid: 1, prp1, slba: lba, nlb, fua }));
  s.r.host.memFill(buf, BLOCK, mark(20));
  s.r.host.memFill(buf + BLOCK, BLOCK, mark(21));
  assertEquals(cmp(20, 1).status, 0);
  s.r.host.memFill(buf + BLOCK + 7, 1, 0);
  assertEquals(sd(cmp(20, 1)), [Status.COMPARE_FAILURE, 1]);
  assertEquals(sd(cmp(NSZE, 0)), [Status.LBA_OUT_OF_RANGE, 1]);
  assertEquals(sd(cmp(0, MDTS_BYTES / BLOCK)), [Status.INVALID_FIELD, 1]);
  assertEquals(sd(cmp(20, 0, 0, UNMAPPED)), [Status.DATA_TRANSFER_ERROR, 0]);
  s.ns.media.markUncorrectable(21, 1);
  assertEquals(sd(cmp(20, 1)), [Status.UNRECOVERED_READ_ERROR, 0]);
  // FUA: the cached block is committed, then compared from non-volatile media.
  s.r.host.memFill(buf, BLOCK, 0x5a);
  assertEquals(run(s, writeSqe(30, 0, buf)).status, 0);
  assertEquals(cmp(30, 0, 1).status, 0);
  s.r.ctrl.subsystem.powerLoss();
  assertEquals(blockByte(s.ns, 30), 0x5a, "Compare FUA committed the cached block");
});

Deno.test("Verify: no MDTS, PRACT refused, unrecovered read; FUA commits first", () => {
  const s = setup();
  const verify = (lba: number, nlb: number, extra: { fua?: number; prinfo?: number } = {}) =>
    run(s, Verify.encode({ opcode: NvmOpcode.VERIFY, nsid: 1, slba: lba, nlb, ...extra }));
  assertEquals(verify(0, 0xffff).status, 0, "65536 blocks: no data moves, MDTS does not apply");
  assertEquals(sd(verify(NSZE - 1, 1)), [Status.LBA_OUT_OF_RANGE, 1]);
  assertEquals(sd(verify(0, 0, { prinfo: PRINFO_PRACT })), [Status.INVALID_FIELD, 1]);
  assertEquals(sd(verify(NSZE, 0, { prinfo: PRINFO_PRACT })), [Status.INVALID_FIELD, 1]);
  assertEquals(verify(0, 0, { prinfo: 0b0111 }).status, 0, "PRCHK alone is fine without PI");
  s.ns.media.markUncorrectable(40, 1);
  assertEquals(sd(verify(39, 2)), [Status.UNRECOVERED_READ_ERROR, 0]);
  const buf = s.r.host.allocate(PAGE, PAGE);
  s.r.host.memFill(buf, BLOCK, 0x77);
  assertEquals(run(s, writeSqe(50, 0, buf)).status, 0);
  assertEquals(verify(50, 0, { fua: 1 }).status, 0);
  s.r.ctrl.subsystem.powerLoss();
  assertEquals(blockByte(s.ns, 50), 0x77, "Verify FUA committed the cached block");
});

Deno.test("Write Zeroes: zeros without MDTS; FUA durable; DEAC deallocates at once", () => {
  const s = setup();
  const wz = (lba: number, nlb: number, extra: { fua?: number; deac?: number } = {}) =>
    run(
      s,
      WriteZeroes.encode({ opcode: NvmOpcode.WRITE_ZEROES, nsid: 1, slba: lba, nlb, ...extra }),
    );
  putBlocks(s.ns, 0, 3000);
  assertEquals(wz(0, 2999).status, 0, "1.5 MB of zeros: no data transfer, no MDTS");
  assertEquals(blockByte(s.ns, 2999), 0);
  s.r.ctrl.subsystem.powerLoss();
  assertEquals(blockByte(s.ns, 2999), mark(2999), "cached zeros are lost with the cache");
  assertEquals(wz(0, 9, { fua: 1 }).status, 0);
  assertEquals(wz(10, 9, { deac: 1 }).status, 0);
  const allocated = s.ns.media.allocatedBlocks();
  s.r.ctrl.subsystem.powerLoss();
  assertEquals([blockByte(s.ns, 5), blockByte(s.ns, 15), blockByte(s.ns, 25)], [0, 0, mark(25)]);
  assertEquals(s.ns.media.allocatedBlocks(), allocated, "DEAC: durable, and no blocks held");
  assertEquals(sd(wz(NSZE - 5, 9)), [Status.LBA_OUT_OF_RANGE, 1]);
  assertEquals(
    sd(run(s, WriteZeroes.encode({ opcode: 8, nsid: 3, slba: 0 }))),
    [Status.INVALID_FIELD, 1],
  );
});

Deno.test("Write Uncorrectable: reads fail until the blocks are written again", () => {
  const s = setup();
  const buf = s.r.host.allocate(PAGE, PAGE);
  const wu = (lba: number, nlb: number) =>
    run(
      s,
      WriteUncorrectable.encode({ opcode: NvmOpcode.WRITE_UNCORRECTABLE, nsid: 1, slba: lba, nlb }),
    );
  assertEquals(wu(60, 1).status, 0);
  assertEquals(sd(run(s, readSqe(59, 1, buf))), [Status.UNRECOVERED_READ_ERROR, 0]);
  assertEquals(run(s, readSqe(62, 0, buf)).status, 0);
  s.r.host.memFill(buf, BLOCK, 0x42);
  assertEquals(run(s, writeSqe(60, 0, buf)).status, 0);
  assertEquals(run(s, readSqe(60, 0, buf)).status, 0);
  assertEquals(sd(run(s, readSqe(61, 0, buf))), [Status.UNRECOVERED_READ_ERROR, 0]);
  assertEquals(sd(wu(NSZE, 0)), [Status.LBA_OUT_OF_RANGE, 1]);
});

/** Writes DSM ranges `[slba, nlb]` to a host page; returns its address. */
function dsmRanges(r: TestRig, ranges: readonly [number, number][]): number {
  const buf = hostBuffer(r, ranges.length * 16);
  ranges.forEach(([slba, nlb], i) =>
    r.host.memWrite(buf.addr + i * 16, DsmRange.encode({ slba, nlb }))
  );
  return buf.addr;
}

Deno.test("Dataset Management: NR is 0's based, AD deallocates every range, hints change nothing", () => {
  const s = setup();
  const dsm = (prp1: number, nr: number, ad: number, nsid = 1) =>
    run(s, DatasetManagement.encode({ opcode: NvmOpcode.DATASET_MANAGEMENT, nsid, prp1, nr, ad }));
  // 256 ranges (NR = 255): every other block of 0..511, plus an empty range.
  putBlocks(s.ns, 0, 512);
  const all: [number, number][] = [];
  for (let i = 0; i < 255; i++) all.push([2 * i, 1]);
  all.push([600, 0]);
  const list = dsmRanges(s.r, all);
  assertEquals(dsm(list, 255, 0).status, 0);
  assertEquals(blockByte(s.ns, 0), mark(0), "IDR/IDW/no attribute: nothing changes");
  assertEquals(dsm(list, 255, 1).status, 0);
  for (const lba of [0, 2, 508]) assertEquals(blockByte(s.ns, lba), 0, `LBA ${lba}`);
  for (const lba of [1, 509, 510]) assertEquals(blockByte(s.ns, lba), mark(lba), `LBA ${lba}`);
  // NR = 0 is one range: only the first of the two listed ranges is deallocated.
  assertEquals(dsm(dsmRanges(s.r, [[1, 1], [3, 1]]), 0, 1).status, 0);
  assertEquals([blockByte(s.ns, 1), blockByte(s.ns, 3)], [0, mark(3)]);
  // One range past the end fails the whole command before any change.
  const bad = dsmRanges(s.r, [[5, 1], [NSZE - 1, 2]]);
  assertEquals(sd(dsm(bad, 1, 1)), [Status.LBA_OUT_OF_RANGE, 1]);
  assertEquals(blockByte(s.ns, 5), mark(5));
  assertEquals(sd(dsm(list, 0, 1, 2)), [Status.INVALID_FIELD, 1]);
  assertEquals(sd(dsm(UNMAPPED, 0, 1)), [Status.DATA_TRANSFER_ERROR, 0]);
});

Deno.test("Flush: NSID 0 is invalid, an inactive NSID an Invalid Field; FFFFFFFFh flushes only namespaces attached here", () => {
  const s = setup();
  const flush = (nsid: number) => run(s, Flush.encode({ opcode: NvmOpcode.FLUSH, nsid }));
  assertEquals(sd(flush(0)), [Status.INVALID_NAMESPACE, 1]);
  assertEquals(sd(flush(2)), [Status.INVALID_FIELD, 1]);
  const other = s.r.ctrl.subsystem.createNamespace({ nsze: 64 }); // allocated, not attached
  assertEquals(other.isAttached(s.r.ctrl.options.cntlid), false);
  const block = new Uint8Array(BLOCK).fill(0x99);
  s.ns.media.write(7, 1, block, 0);
  other.media.write(7, 1, block, 0);
  assert(s.ns.media.hasVolatileData && other.media.hasVolatileData);
  assertEquals(flush(NSID_ALL).status, 0);
  assertEquals(s.ns.media.hasVolatileData, false, "the attached namespace is flushed");
  assertEquals(other.media.hasVolatileData, true, "a namespace not attached here is not");
  s.ns.media.write(8, 1, block, 0);
  assertEquals(flush(1).status, 0);
  s.r.ctrl.subsystem.powerLoss();
  assertEquals([blockByte(s.ns, 7), blockByte(s.ns, 8)], [0x99, 0x99]);
});

Deno.test("no-op I/O: commands are checked, then complete without touching the media", () => {
  const s = setup();
  putBlocks(s.ns, 0, 4);
  s.r.ctrl.noopIo = true;
  const buf = s.r.host.allocate(PAGE, PAGE);
  s.r.host.memFill(buf, PAGE, 0x01);
  const ops = [
    writeSqe(0, 0, buf),
    WriteZeroes.encode({ opcode: NvmOpcode.WRITE_ZEROES, nsid: 1, slba: 1 }),
    WriteUncorrectable.encode({ opcode: NvmOpcode.WRITE_UNCORRECTABLE, nsid: 1, slba: 2 }),
    Compare.encode({ opcode: NvmOpcode.COMPARE, nsid: 1, prp1: buf, slba: 3 }),
    DatasetManagement.encode({ opcode: 9, nsid: 1, prp1: dsmRanges(s.r, [[3, 1]]), ad: 1 }),
  ];
  for (const sqe of ops) assertEquals(run(s, sqe).status, 0, `opcode ${sqe[0]}`);
  assertEquals(sd(run(s, readSqe(NSZE, 0, buf))), [Status.LBA_OUT_OF_RANGE, 1], "still checked");
  for (let lba = 0; lba < 4; lba++) assertEquals(blockByte(s.ns, lba), mark(lba));
});

// ---- Copy (NVM CS 1.1 §3.3.2) ----

/** Source Range entries (format 0h) `[slba, blocks]` in a host buffer. */
function copyRanges(r: TestRig, ranges: readonly [number, number][]) {
  const buf = hostBuffer(r, ranges.length * RANGE_SIZE);
  ranges.forEach(([slba, n], i) =>
    r.host.memWrite(buf.addr + i * RANGE_SIZE, CopySourceRange.encode({ slba, nlb: n - 1 }))
  );
  return buf;
}

function copySqe(
  buf: { prp1: number; prp2: number },
  sdlba: number,
  nr: number,
  extra: { desfmt?: number; fua?: number; nsid?: number } = {},
): Uint8Array {
  const { nsid = 1, ...rest } = extra;
  return Copy.encode({
    opcode: NvmOpcode.COPY,
    nsid,
    prp1: buf.prp1,
    prp2: buf.prp2,
    sdlba,
    nr,
    ...rest,
  });
}

/** Copies `[slba, blocks]` ranges to `sdlba` (NR from the list). */
function copy(s: Setup, ranges: readonly [number, number][], sdlba: number, fua = 0): Completion {
  return run(s, copySqe(copyRanges(s.r, ranges), sdlba, ranges.length - 1, { fua }));
}

Deno.test("Copy: ranges land in order at SDLBA, readable through Read", () => {
  const s = setup();
  putBlocks(s.ns, 100, 51);
  putBlocks(s.ns, 2300, 100);
  putBlocks(s.ns, 331, 10);
  const c = copy(s, [[101, 50], [2300, 100], [331, 10]], 10_001);
  assertEquals([c.status, c.dw0], [0, 0]);
  const expect = [
    ...Array.from({ length: 50 }, (_, i) => mark(101 + i)),
    ...Array.from({ length: 100 }, (_, i) => mark(2300 + i)),
    ...Array.from({ length: 10 }, (_, i) => mark(331 + i)),
  ];
  const buf = hostBuffer(s.r, expect.length * BLOCK);
  assertEquals(run(s, readSqe(10_001, expect.length - 1, buf.prp1, buf.prp2)).status, 0);
  const back = new Uint8Array(expect.length * BLOCK);
  s.r.host.memRead(buf.addr, back);
  for (let i = 0; i < expect.length; i++) assertEquals(back[i * BLOCK], expect[i], `block ${i}`);
  assertEquals(blockByte(s.ns, 10_000), 0, "nothing before SDLBA");
  assertEquals(blockByte(s.ns, 10_161), 0, "nothing after the last copied block");
});

Deno.test("Copy: limits MSRC, MSSRL, MCL at and past their values", async (t) => {
  const s = setup();
  await t.step("NR = MSRC: 128 ranges are copied", () => {
    putBlocks(s.ns, 0, COPY_MSRC + 1);
    const ranges: [number, number][] = [];
    for (let i = COPY_MSRC; i >= 0; i--) ranges.push([i, 1]); // reversed
    assertEquals(copy(s, ranges, 1000).status, 0);
    assertEquals([blockByte(s.ns, 1000), blockByte(s.ns, 1127)], [mark(127), mark(0)]);
  });
  await t.step("NR > MSRC → Command Size Limit Exceeded before the entries are read", () => {
    const c = run(s, copySqe({ prp1: UNMAPPED, prp2: 0 }, 0, COPY_MSRC + 1));
    assertEquals([...sd(c), c.dw0], [Status.COMMAND_SIZE_LIMIT_EXCEEDED, 1, 0]);
  });
  await t.step("a range of MSSRL blocks, and MCL in total, are copied (in MDTS chunks)", () => {
    putBlocks(s.ns, 200_000, COPY_MSSRL);
    assertEquals(COPY_MCL, COPY_MSSRL);
    assertEquals(copy(s, [[200_000, COPY_MSSRL]], 400_000).status, 0);
    const chunk = MDTS_BYTES / BLOCK;
    for (const i of [0, chunk - 1, chunk, 2 * chunk, COPY_MSSRL - 1]) {
      assertEquals(blockByte(s.ns, 400_000 + i), mark(200_000 + i), `block ${i}`);
    }
  });
  await t.step("a range of MSSRL + 1 blocks → Command Size Limit Exceeded", () => {
    const c = copy(s, [[0, 1], [0, COPY_MSSRL + 1]], 600_000);
    assertEquals([...sd(c), c.dw0], [Status.COMMAND_SIZE_LIMIT_EXCEEDED, 1, 0]);
    assertEquals(blockByte(s.ns, 600_000), 0, "nothing written");
  });
  await t.step("ranges summing to MCL + 1 → Command Size Limit Exceeded", () => {
    const half = (COPY_MCL + 1) / 2;
    const c = copy(s, [[0, half], [half, half]], 600_000);
    assertEquals([...sd(c), c.dw0], [Status.COMMAND_SIZE_LIMIT_EXCEEDED, 1, 0]);
  });
});

Deno.test("Copy: every error status, with no data written", async (t) => {
  const s = setup();
  putBlocks(s.ns, 0, 16);
  const entries = copyRanges(s.r, [[0, 4]]);
  const untouched = () => assertEquals(blockByte(s.ns, 500), 0);
  await t.step("inactive namespace → Invalid Field", () => {
    assertEquals(sd(run(s, copySqe(entries, 500, 0, { nsid: 2 }))), [Status.INVALID_FIELD, 1]);
  });
  await t.step("descriptor format 1h (or any but 0h) → Invalid Field in Command", () => {
    for (const desfmt of [1, 2, 0xf]) {
      const c = run(s, copySqe(entries, 500, 0, { desfmt }));
      assertEquals(sd(c), [Status.INVALID_FIELD, 1], `DESFMT ${desfmt}`);
    }
  });
  await t.step("a source range past the end → LBA Out of Range", () => {
    const c = copy(s, [[0, 4], [NSZE - 2, 4]], 500);
    assertEquals([...sd(c), c.dw0], [Status.LBA_OUT_OF_RANGE, 1, 0]);
    untouched();
  });
  await t.step("a destination past the end → LBA Out of Range", () => {
    assertEquals(sd(copy(s, [[0, 4], [4, 4]], NSZE - 7)), [Status.LBA_OUT_OF_RANGE, 1]);
    assertEquals(blockByte(s.ns, NSZE - 7), 0);
  });
  await t.step("entries the IOMMU refuses → Data Transfer Error, retryable", () => {
    assertEquals(sd(run(s, copySqe({ prp1: UNMAPPED, prp2: 0 }, 500, 0))), [
      Status.DATA_TRANSFER_ERROR,
      0,
    ]);
  });
  await t.step("entries at a PRP1 with offset bits set → PRP Offset Invalid, DNR", () => {
    const c = run(s, copySqe({ prp1: entries.prp1 + 1, prp2: 0 }, 500, 0));
    assertEquals(sd(c), [Status.PRP_OFFSET_INVALID, 1]);
    untouched();
  });
});

Deno.test("Copy: an unrecovered read stops at that range; DW0 names it (§3.3.2.1)", () => {
  const s = setup();
  putBlocks(s.ns, 0, 30);
  s.ns.media.markUncorrectable(12, 1);
  const c = copy(s, [[0, 5], [10, 5], [20, 5]], 1000);
  assertEquals([...sd(c), c.dw0], [Status.UNRECOVERED_READ_ERROR, 0, 1]);
  assertEquals(blockByte(s.ns, 1004), mark(4), "range 0 was copied");
  assertEquals(blockByte(s.ns, 1005), 0, "range 1 was not");
  assertEquals(blockByte(s.ns, 1010), 0, "nor range 2");
  const first = copy(s, [[12, 1], [0, 1]], 2000);
  assertEquals([first.status, first.dw0], [Status.UNRECOVERED_READ_ERROR, 0]);
  assertEquals(blockByte(s.ns, 2001), 0, "nothing written: DW0 is 0h");
});

Deno.test("Copy: FUA makes the destination durable; without it a power loss drops it", () => {
  const s = setup();
  putBlocks(s.ns, 0, 8);
  assertEquals(copy(s, [[0, 4]], 100, 0).status, 0);
  assertEquals(copy(s, [[4, 4]], 200, 1).status, 0);
  assertEquals(blockByte(s.ns, 100), mark(0));
  s.r.ctrl.subsystem.powerLoss();
  assertEquals([blockByte(s.ns, 100), blockByte(s.ns, 203)], [0, mark(7)]);
});

Deno.test("Copy: a destination overlapping its source copies as memmove does", () => {
  const s = setup();
  putBlocks(s.ns, 100, 10);
  assertEquals(copy(s, [[100, 10]], 105).status, 0); // forward overlap
  for (let i = 0; i < 10; i++) assertEquals(blockByte(s.ns, 105 + i), mark(100 + i), `+${i}`);
  putBlocks(s.ns, 300, 10);
  assertEquals(copy(s, [[300, 10]], 296).status, 0); // backward overlap
  for (let i = 0; i < 10; i++) assertEquals(blockByte(s.ns, 296 + i), mark(300 + i), `+${i}`);
  // Overlap larger than one MDTS chunk, destination above the source.
  const n = 3 * (MDTS_BYTES / BLOCK);
  putBlocks(s.ns, 10_000, n, 7);
  assertEquals(copy(s, [[10_000, n]], 10_100).status, 0);
  for (const i of [0, 99, 100, n - 1]) {
    assertEquals(blockByte(s.ns, 10_100 + i), mark(10_000 + i, 7), `+${i}`);
  }
});

Deno.test("Copy: entries through an SGL Data Block; no-op I/O checks but moves nothing", () => {
  const s = setup();
  putBlocks(s.ns, 0, 4);
  const entries = copyRanges(s.r, [[0, 2], [2, 2]]);
  const sqe = copySqe(entries, 50, 1);
  sqe[1] = 1 << 6; // PSDT 01b: SGL
  sqe.set(SglDescriptor.encode({ addr: entries.addr, len: 2 * RANGE_SIZE }), 24);
  assertEquals(run(s, sqe).status, 0);
  assertEquals(blockByte(s.ns, 53), mark(3));
  s.r.ctrl.noopIo = true;
  assertEquals(copy(s, [[0, 4]], 80).status, 0);
  assertEquals(blockByte(s.ns, 80), 0, "no-op I/O: nothing copied");
  assertEquals(sd(copy(s, [[0, 4]], NSZE)), [Status.LBA_OUT_OF_RANGE, 1], "still checked");
});
