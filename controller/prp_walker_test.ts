import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import type { DevicePort } from "../platform/ports.ts";
import { SubmissionQueueEntry } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import {
  type BufferDescription,
  pagesTouched,
  prpOracle,
  prpOracleByteAddress,
  TestMemory,
} from "./_data_pointer_oracle_test_helpers.ts";
import { type DmaReader, PrpWalker, SegmentList } from "./prp_walker.ts";

const KiB = 1024;
/** Largest transfer the properties build, in pages: more than two full 4 KiB list pages. */
const MAX_TRANSFER_PAGES = 1100;
/** List pages live far from data pages (data pages are never read, so overlap would not matter). */
const LIST_REGION = 2 ** 45;
const LIST_PAGE_CHOICES = 8;

// A DevicePort is a DmaReader as it stands: this line fails `deno check` if that ever changes.
const _portIsReader = (p: DevicePort): DmaReader => p;

interface Placement {
  /** Entries that fit in the first list page (PRP2's offset is `pageSize - 8 * firstSlots`). */
  firstSlots: number;
  /** Page-aligned addresses for list pages, distinct. */
  listPages: number[];
  /** What PRP2 holds when it is reserved. */
  garbage: number;
}

interface Built {
  prp1: number;
  prp2: number;
  /** Address of every list slot written (entries and next-list pointers). */
  slots: number[];
}

/**
 * Writes `entries` as a PRP list starting at `at`, the simple way: while the rest does not fit
 * in what is left of the current list page, fill all but its last slot and point the last slot
 * at the next list page.
 */
function writePrpList(
  mem: TestMemory,
  entries: readonly number[],
  pageSize: number,
  at: number,
  nextPages: readonly number[],
): number[] {
  const slots: number[] = [];
  const put = (v: number) => {
    mem.writeU64(at, v);
    slots.push(at);
    at += 8;
  };
  let i = 0, used = 0;
  while (i < entries.length) {
    const room = (pageSize - (at % pageSize)) / 8;
    if (entries.length - i <= room) {
      while (i < entries.length) put(entries[i++]);
    } else {
      for (let k = 0; k < room - 1; k++) put(entries[i++]);
      const next = nextPages[used++];
      put(next);
      at = next;
    }
  }
  return slots;
}

/** The host side, written independently of the walker: PRP1, PRP2 and the lists for a buffer. */
function buildPrp(mem: TestMemory, d: BufferDescription, p: Placement): Built {
  const n = pagesTouched(d);
  const prp1 = d.pages[0] + d.offset;
  if (n === 1) return { prp1, prp2: p.garbage, slots: [] };
  if (n === 2) return { prp1, prp2: d.pages[1], slots: [] };
  const prp2 = p.listPages[0] + d.pageSize - 8 * p.firstSlots;
  const slots = writePrpList(mem, d.pages.slice(1, n), d.pageSize, prp2, p.listPages.slice(1));
  return { prp1, prp2, slots };
}

const pageSizeArb = fc.integer({ min: 12, max: 16 }).map((s) => 2 ** s);

/** Physical pages for `n` memory pages, often contiguous runs so that coalescing is exercised. */
function pagesArb(n: number, pageSize: number): fc.Arbitrary<number[]> {
  return fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 ** 24 })), {
    minLength: n,
    maxLength: n,
  }).map((xs) => {
    const pages: number[] = [];
    for (const [contiguous, page] of xs) {
      const prev = pages[pages.length - 1];
      pages.push(contiguous && prev !== undefined ? prev + pageSize : page * pageSize);
    }
    return pages;
  });
}

interface Case {
  d: BufferDescription;
  p: Placement;
}

const caseArb: fc.Arbitrary<Case> = pageSizeArb.chain((pageSize) =>
  fc.record({
    offset: fc.nat(pageSize / 4 - 1).map((n) => n * 4),
    length: fc.oneof(
      fc.integer({ min: 1, max: 3 * pageSize }),
      fc.integer({ min: 1, max: MAX_TRANSFER_PAGES * pageSize }),
    ),
  }).chain(({ offset, length }) =>
    fc.record({
      pages: pagesArb(pagesTouched({ pageSize, offset, length }), pageSize),
      firstSlots: fc.oneof(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: pageSize / 8 }),
      ),
      listPages: fc.uniqueArray(fc.nat(2 ** 20), {
        minLength: LIST_PAGE_CHOICES,
        maxLength: LIST_PAGE_CHOICES,
      }).map((ns) => ns.map((n) => LIST_REGION + n * pageSize)),
      garbage: fc.nat(),
    }).map(({ pages, firstSlots, listPages, garbage }) => ({
      d: { pageSize, offset, length, pages },
      p: { firstSlots, listPages, garbage },
    }))
  )
);

/** At most the data pages plus one chain link per full list page, plus PRP2's own list page. */
function entryBound(length: number, pageSize: number): number {
  const pages = Math.ceil(length / pageSize) + 1;
  return pages + Math.ceil(pages / (pageSize / 8 - 1)) + 1;
}

Deno.test("PRP walker: any well-formed PRP1/PRP2/list layout walks to the oracle's segments", () => {
  fc.assert(
    fc.property(caseArb, ({ d, p }) => {
      const mem = new TestMemory();
      const w = new PrpWalker(mem);
      const b = buildPrp(mem, d, p);
      const out = new SegmentList(4);
      assertEquals(w.walk(b.prp1, b.prp2, d.length, d.pageSize, out), Status.SUCCESS);
      assertEquals(out.toArray(), prpOracle(d));
      assertEquals(out.totalBytes, d.length);
      assertEquals(w.entriesRead, b.slots.length, "reads exactly the slots the host wrote");
      assert(w.entriesRead <= entryBound(d.length, d.pageSize));
    }),
    { numRuns: 300 },
  );
});

Deno.test("PRP walker: small buffers, byte by byte, land where the buffer says", () => {
  fc.assert(fc.property(caseArb, ({ d, p }) => {
    fc.pre(d.length <= 3 * 4 * KiB);
    const mem = new TestMemory();
    const b = buildPrp(mem, d, p);
    const out = new SegmentList();
    assertEquals(new PrpWalker(mem).walk(b.prp1, b.prp2, d.length, d.pageSize, out), 0);
    let i = 0;
    for (let s = 0; s < out.count; s++) {
      for (let k = 0; k < out.len[s]; k++, i++) {
        if (out.addr[s] + k !== prpOracleByteAddress(d, i)) {
          throw new Error(`byte ${i}: walker ${out.addr[s] + k}`);
        }
      }
    }
    assertEquals(i, d.length);
  }));
});

const DEFECTS = [
  "prp1-bits",
  "prp2-offset",
  "entry-offset",
  "list-fault",
  "list-pointer-bit2",
] as const;

Deno.test("PRP walker: each illegal layout gets its status", () => {
  const defectArb = fc.constantFrom(...DEFECTS);
  fc.assert(
    fc.property(
      caseArb,
      defectArb,
      fc.nat(),
      fc.integer({ min: 1, max: 3 }),
      (c, defect, pick, bits) => {
        const { d, p } = c;
        const n = pagesTouched(d);
        const mem = new TestMemory();
        let { prp1, prp2, slots } = buildPrp(mem, d, p);
        let expected: number = Status.PRP_OFFSET_INVALID;
        switch (defect) {
          case "prp1-bits":
            prp1 += bits; // offset bits 1:0 set
            break;
          case "prp2-offset":
            fc.pre(n === 2);
            prp2 += 4 * (1 + (pick % (d.pageSize / 4 - 1)));
            break;
          case "entry-offset": {
            fc.pre(slots.length > 0);
            const at = slots[pick % slots.length];
            const bytes = new Uint8Array(8);
            mem.dmaRead(at, bytes);
            const low = 1 + (pick % (d.pageSize - 1)); // any non-zero in-page offset
            mem.writeU64(
              at,
              new DataView(bytes.buffer).getUint32(0, true) + low +
                new DataView(bytes.buffer).getUint32(4, true) * 2 ** 32,
            );
            break;
          }
          case "list-fault":
            fc.pre(slots.length > 0);
            mem.unmap(slots[pick % slots.length], 8);
            expected = Status.DATA_TRANSFER_ERROR;
            break;
          case "list-pointer-bit2":
            fc.pre(n >= 3);
            prp2 += 4;
            break;
        }
        const out = new SegmentList();
        assertEquals(new PrpWalker(mem).walk(prp1, prp2, d.length, d.pageSize, out), expected);
        assertEquals(out.count, 0, "no segments with an error");
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("PRP walker: with ignoreDwordBits, PRP1 bits 1:0 are treated as 00b", () => {
  fc.assert(fc.property(caseArb, fc.integer({ min: 1, max: 3 }), ({ d, p }, bits) => {
    const mem = new TestMemory();
    const b = buildPrp(mem, d, p);
    const out = new SegmentList();
    const w = new PrpWalker(mem, { ignoreDwordBits: true });
    assertEquals(w.walk(b.prp1 + bits, b.prp2, d.length, d.pageSize, out), Status.SUCCESS);
    assertEquals(out.toArray(), prpOracle(d));
  }));
});

/** Memory full of half-plausible PRP entries: page-aligned or not, small or huge, some faults. */
class GarbageMemory implements DmaReader {
  reads = 0;
  constructor(readonly seed: number) {}
  #hash(x: number, salt: number): number {
    let h = Math.imul((x % 2 ** 31) ^ this.seed ^ salt, 0x9e3779b1) ^ Math.floor(x / 2 ** 31);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }
  dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
    if (++this.reads > 100_000) throw new Error("GarbageMemory: the walker loops");
    for (const page of [Math.floor(addr / 4096), Math.floor((addr + len - 1) / 4096)]) {
      if (this.#hash(page, 1) % 7 === 0) return false;
    }
    const view = new DataView(dst.buffer, dst.byteOffset);
    for (let i = 0; i + 8 <= len; i += 8) {
      const q = Math.floor((addr + i) / 8), h = this.#hash(q, 2), r = this.#hash(q, 3);
      const mode = h % 4;
      const lo = mode === 0 ? r : mode === 1 ? (r % 16) * 65536 : mode === 2 ? (r << 16) >>> 0 : r;
      view.setUint32(off + i, lo, true);
      view.setUint32(off + i + 4, mode === 0 ? this.#hash(q, 4) : mode === 3 ? r % 4 : 0, true);
    }
    return true;
  }
}

Deno.test("PRP walker: never throws and stays bounded on arbitrary PRP entries and lists", () => {
  const u64 = fc.tuple(fc.nat(0xffff_ffff), fc.nat(0xffff_ffff)).map(([lo, hi]) =>
    hi * 2 ** 32 + lo
  );
  const addr = fc.oneof(u64, fc.nat(64).map((n) => n * 4096), fc.nat(2 ** 24));
  fc.assert(
    fc.property(
      fc.integer(),
      addr,
      addr,
      pageSizeArb,
      fc.integer({ min: 0, max: MAX_TRANSFER_PAGES * 4 * KiB }),
      fc.boolean(),
      (seed, prp1, prp2, pageSize, length, queue) => {
        const mem = new GarbageMemory(seed);
        const w = new PrpWalker(mem);
        const out = new SegmentList();
        const st = queue
          ? w.walkQueue(prp1, length, pageSize, out)
          : w.walk(prp1, prp2, length, pageSize, out);
        assert(
          st === Status.SUCCESS || st === Status.PRP_OFFSET_INVALID ||
            st === Status.DATA_TRANSFER_ERROR,
          `status ${st}`,
        );
        assertEquals(out.totalBytes, st === Status.SUCCESS ? length : 0);
        assert(w.entriesRead <= entryBound(length, pageSize), `${w.entriesRead} entries read`);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("PRP walker: non-contiguous queue PRP lists give one segment per queue page", () => {
  fc.assert(
    fc.property(
      pageSizeArb,
      fc.integer({ min: 1, max: 2 ** 22 }),
      fc.uniqueArray(fc.nat(2 ** 20), {
        minLength: LIST_PAGE_CHOICES,
        maxLength: LIST_PAGE_CHOICES,
      }),
      (pageSize, sizeBytes, lists) => {
        const n = Math.ceil(sizeBytes / pageSize);
        const pages = Array.from({ length: n }, (_, k) => (2 * k + 1) * pageSize); // never adjacent
        const listPages = lists.map((l) => LIST_REGION + l * pageSize);
        const mem = new TestMemory();
        const slots = writePrpList(mem, pages, pageSize, listPages[0], listPages.slice(1));
        const out = new SegmentList(1, { coalesce: false });
        const w = new PrpWalker(mem);
        assertEquals(w.walkQueue(listPages[0], sizeBytes, pageSize, out), Status.SUCCESS);
        assertEquals(w.entriesRead, slots.length);
        assertEquals(out.count, n);
        for (let k = 0; k < n; k++) {
          assertEquals([out.addr[k], out.len[k]], [
            pages[k],
            Math.min(pageSize, sizeBytes - k * pageSize),
          ]);
        }
        assertEquals(
          w.walkQueue(listPages[0] + 8, sizeBytes, pageSize, out),
          Status.PRP_OFFSET_INVALID,
        );
      },
    ),
    { numRuns: 100 },
  );
});

// Worked cases from reference/linux-driver.md §5.2 and the SPDK table (PAGE = 0x1000), with the
// lists written out literally rather than by the builder above.
Deno.test("PRP walker: the Linux/SPDK worked cases", () => {
  const P = 4096;
  const mem = new TestMemory();
  const w = new PrpWalker(mem);
  const out = new SegmentList();
  const walk = (prp1: number, prp2: number, len: number) => {
    const st = w.walk(prp1, prp2, len, P, out);
    return { st, segs: out.toArray().map((s) => [s.addr, s.len]) };
  };
  assertEquals(walk(0x100000, 0, 0x200), { st: 0, segs: [[0x100000, 0x200]] });
  assertEquals(walk(0x100800, 0xdead_beef, 0x800), { st: 0, segs: [[0x100800, 0x800]] });
  assertEquals(walk(0x100800, 0x101000, 0x1000), { st: 0, segs: [[0x100800, 0x1000]] });
  assertEquals(walk(0x100000, 0x900000, 0x2000), {
    st: 0,
    segs: [[0x100000, 0x1000], [0x900000, 0x1000]],
  });
  // A small-pool list: 256-byte aligned, not page aligned.
  mem.writeU64(0x200100, 0x101000);
  mem.writeU64(0x200108, 0x102000);
  assertEquals(walk(0x100800, 0x200100, 0x2000), { st: 0, segs: [[0x100800, 0x2000]] });
  assertEquals(w.entriesRead, 2);
  // PRP2 = 0 is a page address like any other (QEMU accepts it too).
  assertEquals(walk(0x100000, 0, 0x2000), { st: 0, segs: [[0x100000, 0x1000], [0, 0x1000]] });

  // (1+512) pages: exactly one full list page, not chained. Every other page, so none merge.
  for (let i = 0; i < 512; i++) mem.writeU64(0x300000 + 8 * i, 0x1000_0000 + 2 * P * (i + 1));
  let r = walk(0x1000_0000, 0x300000, 513 * P);
  assertEquals([r.st, r.segs.length, w.entriesRead], [0, 513, 512]);
  // (1+513) pages: list0 holds 511 data entries and a pointer to list1, which holds 2.
  mem.writeU64(0x300000 + 8 * 511, 0x400000);
  mem.writeU64(0x400000, 0x1000_0000 + 2 * P * 512);
  mem.writeU64(0x400008, 0x1000_0000 + 2 * P * 513);
  r = walk(0x1000_0000, 0x300000, 514 * P);
  assertEquals([r.st, r.segs.length, w.entriesRead], [0, 514, 514]);
  assertEquals(r.segs[512], [0x1000_0000 + 2 * P * 512, P]);
  // A list pointer in the last slot of its page: that slot is only a pointer.
  mem.writeU64(0x500ff8, 0x300000);
  r = walk(0x1000_0000, 0x500ff8, 3 * P);
  assertEquals([r.st, r.segs.length, w.entriesRead], [0, 3, 3]);

  // 64 KiB pages: PRP1 at offset 0xfffc carries 4 bytes.
  const w64 = new PrpWalker(mem);
  assertEquals(w64.walk(0x2_0000 + 0xfffc, 0x5_0000, 0x10004, 64 * KiB, out), Status.SUCCESS);
  assertEquals(out.toArray().map((s) => [s.addr, s.len]), [[0x2fffc, 4], [0x50000, 0x10000]]);
});

Deno.test("PRP walker: statuses for the rules one by one", () => {
  const P = 4096;
  const mem = new TestMemory();
  const w = new PrpWalker(mem);
  const out = new SegmentList();
  assertEquals(w.walk(0x1002, 0, 16, P, out), Status.PRP_OFFSET_INVALID);
  assertEquals(w.walk(0x1000, 0x2800, 0x2000, P, out), Status.PRP_OFFSET_INVALID);
  assertEquals(w.walk(0x1000, 0x7000, 0x3000, P, out), Status.DATA_TRANSFER_ERROR);
  mem.writeU64(0x7000, 0x3000);
  mem.writeU64(0x7008, 0x4010);
  assertEquals(w.walk(0x1000, 0x7000, 0x3000, P, out), Status.PRP_OFFSET_INVALID);
  assertEquals(w.walk(0x1000, 0x7004, 0x3000, P, out), Status.PRP_OFFSET_INVALID);
  // Zero length: nothing is looked at.
  const reads = mem.reads;
  assertEquals(w.walk(0x1003, 0x7777, 0, P, out), Status.SUCCESS);
  assertEquals([out.count, mem.reads], [0, reads]);
  // A next-list pointer with an offset.
  for (let i = 0; i < 511; i++) mem.writeU64(0x8000 + 8 * i, 0x10_0000 + P * i);
  mem.writeU64(0x8000 + 8 * 511, 0x9008);
  assertEquals(w.walk(0x1000, 0x8000, 514 * P, P, out), Status.PRP_OFFSET_INVALID);
});

Deno.test("PRP walker: walkSqe reads PRP1/PRP2 from the SQE; SegmentList grows on demand", () => {
  const P = 4096;
  const mem = new TestMemory();
  const pages = Array.from({ length: 40 }, (_, i) => 0x100_0000 + 2 * P * i);
  for (let i = 1; i < pages.length; i++) mem.writeU64(0x6000 + 8 * (i - 1), pages[i]);
  const sqe = SubmissionQueueEntry.encode({ opcode: 2, prp1: pages[0] + 0x200, prp2: 0x6000 });
  const out = new SegmentList(2);
  assertEquals(new PrpWalker(mem).walkSqe(sqe, 40 * P - 0x200, P, out), Status.SUCCESS);
  assertEquals(out.count, 40);
  assert(out.addr.length >= 40);
  assertEquals([out.addr[39], out.len[39]], [pages[39], P]);
});
