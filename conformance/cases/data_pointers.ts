/**
 * Conformance cases: data-pointer — PRP entries and lists (Base 2.1 §4.3.1): PRP1 offsets, PRP2 as
 * a page or a PRP List pointer, list pointers with an in-page offset, chained list pages, entries
 * with an invalid offset, and memory pages above 4 KiB (CC.MPS = 1). Every transfer's bytes are
 * checked where they land, and the bytes around them must stay untouched. SGL cases are in
 * `data_pointers_sgl.ts`.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { type Completion, RawQueue } from "../raw_host.ts";
import {
  allBytes,
  allocData,
  buildPrp,
  caseLba,
  checkBytes,
  type IoEnv,
  ioEnv,
  mdtsBytes,
  mustWritePattern,
  PAGE_4K,
  pattern,
  POISON,
  PRP_ENTRY_BYTES,
  rwCommand,
} from "./_io_common.ts";
import { readMem } from "./_admin_util.ts";

const IO: ["namespace", "io-queues"] = ["namespace", "io-queues"];
const PRP_SECTION = "Base 2.1 §4.3.1";
/** PRP entries per 4 KiB list page. */
const ENTRIES_PER_LIST_PAGE = PAGE_4K / PRP_ENTRY_BYTES;
/** CC.MPS = 1: 8 KiB memory pages. */
const MPS_8K = 1;
const PAGE_8K = PAGE_4K << MPS_8K;
const KIB = 1024;

/** Writes `bytes` of `seed`'s pattern at a case LBA (one Write) and returns both. */
function seeded(env: IoEnv, index: number, seed: number, bytes: number) {
  return mustWritePattern(env, index, seed, bytes / env.bs);
}

/** Reads `bytes` at `slba` with the given PRP entries. */
function readWith(env: IoEnv, slba: number, bytes: number, prp1: number, prp2: number) {
  return env.q.exec(rwCommand(NvmOpcode.READ, env.nsid, slba, bytes / env.bs, { prp1, prp2 }));
}

/** Fails unless the `length` bytes at `addr` still hold the poison fill. */
function untouched(ctx: CaseContext, host: HostPort, addr: number, length: number, what: string) {
  ctx.check(allBytes(readMem(host, addr, length), POISON), `${what} was written`);
}

/** Writes a PRP list (entries at `listAddr`, which may carry an offset). */
function writeList(host: HostPort, listAddr: number, entries: readonly number[]): void {
  entries.forEach((e, i) => host.memWriteU64(listAddr + i * PRP_ENTRY_BYTES, e));
}

/** Separately allocated (so non-adjacent) poisoned pages. */
function scatteredPages(host: HostPort, count: number, pageSize = PAGE_4K): number[] {
  const pages: number[] = [];
  for (let i = 0; i < count; i++) pages.push(allocData(host, pageSize * 2, pageSize));
  return pages.reverse();
}

/** Checks that page `i` of `pages` holds chunk `i` (`chunk` bytes each) of `data`. */
function checkPages(
  ctx: CaseContext,
  host: HostPort,
  pages: readonly number[],
  data: Uint8Array,
  chunk: number,
  what: string,
) {
  pages.forEach((p, i) => {
    const part = data.subarray(i * chunk, (i + 1) * chunk);
    checkBytes(ctx, readMem(host, p, part.length), part, `${what}: page ${i}`);
  });
}

/** A read over a PRP list: case-LBA index, pattern seed, 4 KiB pages, and where the list goes. */
interface ListRead {
  readonly index: number;
  readonly seed: number;
  readonly pages: number;
  /** Allocates the PRP List (after the data pages); may return an address with an offset. */
  readonly listAt: (host: HostPort) => number;
}

/**
 * Writes `r.pages` pages of pattern, then reads them into as many scattered pages through PRP1
 * (the first page) and a PRP List naming the rest, and checks every page.
 */
function readOverList(ctx: CaseContext, env: IoEnv, r: ListRead, what: string): void {
  const bytes = r.pages * PAGE_4K;
  const { lba, data } = seeded(env, r.index, r.seed, bytes);
  const pages = scatteredPages(env.host, r.pages);
  const list = r.listAt(env.host);
  writeList(env.host, list, pages.slice(1));
  expectOk(ctx, readWith(env, lba, bytes, pages[0], list), what);
  checkPages(ctx, env.host, pages, data, PAGE_4K, `${bytes / KIB} KiB read`);
}

/** An I/O path with CC.MPS = 1 (8 KiB pages): queues and buffers aligned to 8 KiB. */
function ioEnv8k(ctx: CaseContext): IoEnv {
  const ns = ctx.caps.namespace;
  if (ns === null) ctx.skip("no active namespace was probed");
  const ctrl = ctx.ctrl;
  const host = ctx.host;
  ctrl.enable({ mps: MPS_8K });
  const grant = ctrl.requestQueues(1);
  ctx.check(grant.pairs >= 1, "Number of Queues granted no I/O queue with CC.MPS = 1");
  const size = 16;
  const cq = ctrl.createCq(1, size, { ien: 0, addr: host.allocate(PAGE_8K, PAGE_8K) });
  ctx.expectStatus(cq.c, Status.SUCCESS, "Create I/O CQ with CC.MPS = 1");
  const sq = ctrl.createSq(1, size, 1, { addr: host.allocate(PAGE_8K, PAGE_8K) });
  ctx.expectStatus(sq.c, Status.SUCCESS, "Create I/O SQ with CC.MPS = 1");
  const q = new RawQueue(host, 1, sq.addr, cq.addr, size, size, ctrl.dstrd);
  return {
    ctx,
    ctrl,
    host,
    queues: [q],
    q,
    nsid: ctx.caps.nsid,
    bs: ctx.caps.blockSize,
    nsze: Number(ns.nsze),
    pageSize: PAGE_8K,
  };
}

function expectOk(ctx: CaseContext, c: Completion, what: string) {
  ctx.expectStatus(c, Status.SUCCESS, what);
}

/** The data-pointer PRP cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "data-pointer.prp1.dword-offset",
    title: "PRP1 with a dword-aligned offset: data lands at the offset, nothing around it",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = seeded(env, 20, 301, env.bs);
      const page = allocData(env.host, PAGE_4K);
      const offset = 0x104;
      expectOk(ctx, readWith(env, lba, env.bs, page + offset, 0), "Read to PRP1 + 104h");
      checkBytes(ctx, readMem(env.host, page + offset, env.bs), data, "data at PRP1");
      untouched(ctx, env.host, page, offset, "memory before PRP1");
      untouched(ctx, env.host, page + offset + env.bs, 8, "memory after the transfer");
    },
  },
  {
    id: "data-pointer.prp1.offset-crosses-page",
    title: "PRP1 offset 800h with a 4 KiB transfer: the rest goes to the PRP2 page",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = seeded(env, 21, 302, PAGE_4K);
      const [a, b] = scatteredPages(env.host, 2);
      const half = PAGE_4K / 2;
      expectOk(ctx, readWith(env, lba, PAGE_4K, a + half, b), "Read PRP1 = A + 800h, PRP2 = B");
      checkBytes(ctx, readMem(env.host, a + half, half), data.subarray(0, half), "page A");
      checkBytes(ctx, readMem(env.host, b, half), data.subarray(half), "page B");
      untouched(ctx, env.host, b + half, 16, "page B past the transfer");
      untouched(ctx, env.host, a + PAGE_4K, 16, "the page after A");
    },
  },
  {
    id: "data-pointer.prp1.offset-not-dword",
    title: "PRP1 offset with bits 1:0 set: PRP Offset Invalid, or treated as if they were 00b",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = seeded(env, 22, 303, env.bs);
      const page = allocData(env.host, PAGE_4K);
      const c = readWith(env, lba, env.bs, page + 0x102, 0);
      ctx.expectStatus(
        c,
        [Status.PRP_OFFSET_INVALID, Status.INVALID_FIELD, Status.SUCCESS],
        "Read to PRP1 + 102h",
      );
      if (c.status === Status.SUCCESS) {
        // "shall operate as if bits 1:0 are cleared to 00b"
        checkBytes(ctx, readMem(env.host, page + 0x100, env.bs), data, "data at PRP1 & ~3");
      }
    },
  },
  {
    id: "data-pointer.prp2.page",
    title: "an 8 KiB transfer: PRP2 is the second (non-adjacent) page",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = seeded(env, 23, 304, 2 * PAGE_4K);
      const pages = scatteredPages(env.host, 2);
      expectOk(ctx, readWith(env, lba, 2 * PAGE_4K, pages[0], pages[1]), "Read PRP1 + PRP2");
      checkPages(ctx, env.host, pages, data, PAGE_4K, "8 KiB read");
    },
  },
  {
    id: "data-pointer.prp2.page-offset",
    title: "PRP2 used as a page entry with a non-zero offset fails with PRP Offset Invalid",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = seeded(env, 24, 305, 2 * PAGE_4K);
      const [a, b] = scatteredPages(env.host, 2);
      const c = readWith(env, lba, 2 * PAGE_4K, a, b + 0x200);
      ctx.expectStatus(c, Status.PRP_OFFSET_INVALID, "Read with PRP2 = page + 200h");
    },
  },
  {
    id: "data-pointer.prp-list.scattered",
    title: "a 16 KiB transfer over a PRP list of three scattered pages",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const listAt = (host: HostPort) => host.allocate(PAGE_4K, PAGE_4K);
      const read = { index: 25, seed: 306, pages: 4, listAt };
      readOverList(ctx, ioEnv(ctx), read, "Read over a PRP list");
    },
  },
  {
    id: "data-pointer.prp-list.pointer-offset",
    title: "a PRP List pointer with an in-page offset: entries start at the offset",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const listAt = (host: HostPort) => allocData(host, PAGE_4K) + 0x100;
      const read = { index: 26, seed: 307, pages: 3, listAt };
      readOverList(ctx, ioEnv(ctx), read, "Read, list at +100h");
    },
  },
  {
    id: "data-pointer.prp-list.chained-at-page-end",
    title: "a PRP list that reaches its page end chains through the last entry",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const bytes = 5 * PAGE_4K;
      const { lba, data } = seeded(env, 27, 308, bytes);
      const buf = allocData(env.host, bytes);
      // Two slots left in the first list page: one data page, then the pointer to the next.
      const prp = buildPrp(env.host, buf, bytes, PAGE_4K, PAGE_4K - 2 * PRP_ENTRY_BYTES);
      expectOk(ctx, readWith(env, lba, bytes, prp.prp1, prp.prp2), "Read over a chained list");
      checkBytes(ctx, readMem(env.host, buf, bytes), data, "20 KiB read");
    },
  },
  {
    id: "data-pointer.prp-list.chained-full-page",
    title: "a transfer of more than 512 list entries chains a full list page (MDTS allowing)",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const pages = ENTRIES_PER_LIST_PAGE + 2;
      const bytes = pages * PAGE_4K;
      const mdts = mdtsBytes(ctx);
      if (mdts !== 0 && mdts < bytes) ctx.skip(`MDTS ${mdts} B is below ${bytes} B`);
      if (bytes / env.bs > 0x10000) ctx.skip("NLB cannot express the transfer");
      const { lba, data } = seeded(env, 28, 309, bytes);
      const buf = allocData(env.host, bytes);
      const prp = buildPrp(env.host, buf, bytes);
      expectOk(ctx, readWith(env, lba, bytes, prp.prp1, prp.prp2), "Read of 514 pages");
      checkBytes(ctx, readMem(env.host, buf, bytes), data, "514-page read");
    },
  },
  {
    id: "data-pointer.prp-list.entry-offset",
    title: "a PRP list entry with a non-zero offset fails with PRP Offset Invalid",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = seeded(env, 29, 310, 3 * PAGE_4K);
      const pages = scatteredPages(env.host, 3);
      const list = env.host.allocate(PAGE_4K, PAGE_4K);
      writeList(env.host, list, [pages[1] + 0x200, pages[2]]);
      const c = readWith(env, lba, 3 * PAGE_4K, pages[0], list);
      ctx.expectStatus(c, Status.PRP_OFFSET_INVALID, "Read with list entry page + 200h");
    },
  },
  {
    id: "data-pointer.prp-list.write",
    title: "a Write gathers its data from a PRP list of scattered pages",
    section: PRP_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const bytes = 3 * PAGE_4K;
      const data = pattern(311, bytes);
      const pages = scatteredPages(env.host, 3);
      pages.forEach((p, i) => env.host.memWrite(p, data.subarray(i * PAGE_4K, (i + 1) * PAGE_4K)));
      const list = env.host.allocate(PAGE_4K, PAGE_4K);
      writeList(env.host, list, pages.slice(1));
      const lba = caseLba(env, 30, bytes / env.bs);
      const w = env.q.exec(
        rwCommand(NvmOpcode.WRITE, env.nsid, lba, bytes / env.bs, { prp1: pages[0], prp2: list }),
      );
      expectOk(ctx, w, "Write over a PRP list");
      const buf = allocData(env.host, bytes);
      const prp = buildPrp(env.host, buf, bytes);
      expectOk(ctx, readWith(env, lba, bytes, prp.prp1, prp.prp2), "Read back");
      checkBytes(ctx, readMem(env.host, buf, bytes), data, "gathered write");
    },
  },
  {
    id: "data-pointer.mps-8k.prp2-page",
    title: "with CC.MPS = 1, PRP1 and PRP2 each describe a whole 8 KiB page",
    section: PRP_SECTION,
    needs: ["namespace", "io-queues", "mps-8k"],
    run(ctx: CaseContext) {
      const env = ioEnv8k(ctx);
      const bytes = 2 * PAGE_8K;
      const { lba, data } = seeded(env, 31, 312, bytes);
      const pages = scatteredPages(env.host, 2, PAGE_8K);
      expectOk(ctx, readWith(env, lba, bytes, pages[0], pages[1]), "16 KiB read, 8 KiB pages");
      checkPages(ctx, env.host, pages, data, PAGE_8K, "8 KiB pages");
    },
  },
  {
    id: "data-pointer.mps-8k.prp-list",
    title: "with CC.MPS = 1, PRP1 at offset 1000h and a list of 8 KiB pages",
    section: PRP_SECTION,
    needs: ["namespace", "io-queues", "mps-8k"],
    run(ctx: CaseContext) {
      const env = ioEnv8k(ctx);
      const first = PAGE_8K - PAGE_4K;
      const bytes = first + 2 * PAGE_8K;
      const { lba, data } = seeded(env, 32, 313, bytes);
      const pages = scatteredPages(env.host, 3, PAGE_8K);
      const list = env.host.allocate(PAGE_8K, PAGE_8K);
      writeList(env.host, list, pages.slice(1));
      const c = readWith(env, lba, bytes, pages[0] + PAGE_4K, list);
      expectOk(ctx, c, "Read, PRP1 = page + 1000h, 8 KiB list pages");
      checkBytes(
        ctx,
        readMem(env.host, pages[0] + PAGE_4K, first),
        data.subarray(0, first),
        "p0",
      );
      checkPages(ctx, env.host, pages.slice(1), data.subarray(first), PAGE_8K, "list pages");
    },
  },
]);
