import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import type { DataDirection } from "../spec/opcodes.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglSubtype, SglType } from "../spec/sgl.ts";
import { Status } from "../spec/status.ts";
import { coalesce, type Seg, TestMemory } from "./_data_pointer_oracle_test_helpers.ts";
import { SegmentList } from "./prp_walker.ts";
import { SglWalker, type SglWalkerOptions, sglWalkerOptionsFromSgls } from "./sgl_walker.ts";

const READ: DataDirection = "controller-to-host";
const WRITE: DataDirection = "host-to-controller";
const SQE_SGL1 = 24;
/** Each generated list lives in its own 64 KiB region, at any byte offset in its first 4 KiB. */
const LIST_REGION = 2 ** 40;
const LIST_STRIDE = 0x10000;

/** A descriptor as the tests think of it. */
interface Desc {
  type: number;
  subtype?: number;
  addr: number | bigint;
  len: number;
}

function encode(d: Desc, into: Uint8Array = new Uint8Array(16), at = 0): Uint8Array {
  return SglDescriptor.encode(
    { addr: d.addr, len: d.len, type: d.type, subtype: d.subtype ?? SglSubtype.ADDRESS },
    into,
    at,
  );
}

/** A well-formed SGL: SGL1 (a leaf, or a pointer to lists[0]) and lists chained by their tails. */
interface Sgl {
  dir: DataDirection;
  opts: SglWalkerOptions;
  /** The data descriptors of SGL1 (when no lists) or of each list, in order. */
  leaves: Desc[][];
  /** Type of the pointer to the final list: Last Segment, or Segment (Linux 5.x's shape). */
  finalPointer: number;
  /** Offsets of the lists in their regions. */
  listOffsets: number[];
}

const leafArb = (opts: SglWalkerOptions): fc.Arbitrary<Desc> => {
  const g = opts.alignment === "dword" ? 4 : 1;
  const data = fc.record({
    type: fc.constant<number>(SglType.DATA_BLOCK),
    addr: fc.nat(2 ** 38).map((a) => a * g),
    len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2048 })).map((l) => l * g),
  });
  const bucket = fc.record({
    type: fc.constant<number>(SglType.BIT_BUCKET),
    addr: fc.nat(),
    len: fc.integer({ min: 0, max: 8192 }),
  });
  // Bit Buckets are valid in both directions when supported; on a write they have no effect.
  return opts.bitBucket ? fc.oneof(data, data, bucket) : data;
};

const optsArb: fc.Arbitrary<SglWalkerOptions> = fc.record({
  alignment: fc.constantFrom<"byte" | "dword">("byte", "dword"),
  bitBucket: fc.boolean(),
  oversizedLength: fc.boolean(),
});

const sglArb: fc.Arbitrary<Sgl> = fc.tuple(fc.constantFrom(READ, WRITE), optsArb).chain((
  [dir, opts],
) =>
  fc.integer({ min: 0, max: 5 }).chain((nLists) =>
    fc.record({
      dir: fc.constant(dir),
      opts: fc.constant(opts),
      leaves: nLists === 0 ? fc.tuple(leafArb(opts)).map((l) => [l]) : fc.tuple(
        ...Array.from(
          { length: nLists },
          (_, k) => fc.array(leafArb(opts), { minLength: k === nLists - 1 ? 1 : 0, maxLength: 20 }),
        ),
      ),
      finalPointer: fc.constantFrom<number>(SglType.LAST_SEGMENT, SglType.SEGMENT),
      listOffsets: fc.array(fc.nat(4095), { minLength: nLists, maxLength: nLists }),
    })
  )
);

function listAddr(s: Sgl, k: number): number {
  return LIST_REGION + k * LIST_STRIDE + s.listOffsets[k];
}

/** The descriptor lists as written to memory: leaves, then (but for the last) a Segment pointer. */
function lists(s: Sgl): Desc[][] {
  const n = s.listOffsets.length;
  if (n === 0) return s.leaves;
  return s.leaves.map((leaves, k) =>
    k === n - 1 ? leaves : [...leaves, {
      type: k + 1 === n - 1 ? s.finalPointer : SglType.SEGMENT,
      addr: listAddr(s, k + 1),
      len: (s.leaves[k + 1].length + (k + 1 === n - 1 ? 0 : 1)) * SGL_DESCRIPTOR_SIZE,
    }]
  );
}

/** Writes the SGL: returns the SQE and memory, given the (possibly edited) lists and SGL1. */
function write(s: Sgl, ls: Desc[][], sgl1?: Desc): { sqe: Uint8Array; mem: TestMemory } {
  const mem = new TestMemory();
  const sqe = new Uint8Array(64);
  if (s.listOffsets.length === 0) {
    encode(sgl1 ?? ls[0][0], sqe, SQE_SGL1);
    return { sqe, mem };
  }
  ls.forEach((l, k) => {
    const bytes = new Uint8Array(l.length * SGL_DESCRIPTOR_SIZE);
    l.forEach((d, i) => encode(d, bytes, i * SGL_DESCRIPTOR_SIZE));
    mem.write(listAddr(s, k), bytes);
  });
  const first = sgl1 ?? {
    type: ls.length === 1 ? s.finalPointer : SglType.SEGMENT,
    addr: listAddr(s, 0),
    len: ls[0].length * SGL_DESCRIPTOR_SIZE,
  };
  encode(first, sqe, SQE_SGL1);
  return { sqe, mem };
}

/** Bytes a data descriptor contributes: a Bit Bucket on a write counts as length 0. */
function lengthOf(d: Desc, dir: DataDirection): number {
  return d.type === SglType.BIT_BUCKET && dir === WRITE ? 0 : d.len;
}

/** The oracle: the data descriptors in order, cut at `length`, merged. */
function expected(s: Sgl, length: number): Seg[] {
  const segs: Seg[] = [];
  let left = length;
  for (const d of s.leaves.flat()) {
    const take = Math.min(left, lengthOf(d, s.dir));
    segs.push({ addr: Number(d.addr), len: take, discard: d.type === SglType.BIT_BUCKET });
    left -= take;
  }
  return coalesce(segs);
}

const total = (s: Sgl) => s.leaves.flat().reduce((a, d) => a + lengthOf(d, s.dir), 0);

Deno.test("SGL walker: well-formed chains walk to the concatenation of their data descriptors", () => {
  fc.assert(
    fc.property(sglArb, fc.nat(), (s, cut) => {
      const sum = total(s);
      fc.pre(sum > 0);
      const length = s.opts.oversizedLength ? 1 + (cut % sum) : sum;
      const { sqe, mem } = write(s, lists(s));
      const out = new SegmentList(2);
      const w = new SglWalker(mem, s.opts);
      assertEquals(w.walk(sqe, length, s.dir, out), Status.SUCCESS);
      assertEquals(out.toArray(), expected(s, length));
      assertEquals(out.totalBytes, length);
    }),
    { numRuns: 400 },
  );
});

const DEFECTS = [
  "bad-type",
  "bad-subtype",
  "pointer-subtype",
  "bucket-refused",
  "segment-length",
  "last-segment-not-last",
  "segment-in-middle",
  "short",
  "long",
  "granularity",
  "fault",
  "wrap",
  "too-many-segments",
  "too-many-descriptors",
] as const;

Deno.test("SGL walker: each malformation maps to its status", () => {
  fc.assert(
    fc.property(sglArb, fc.constantFrom(...DEFECTS), fc.nat(), fc.nat(), (s0, defect, a, b) => {
      // Exact lengths and no oversize: the defect is then the first thing wrong in walk order.
      const s: Sgl = { ...s0, opts: { ...s0.opts, oversizedLength: false } };
      const n = s.listOffsets.length;
      const ls = lists(s).map((l) => l.map((d) => ({ ...d }))); // edited below: copy
      const slots = ls.flatMap((l, k) => l.map((d, i) => ({ k, i, d })));
      const leaves = n === 0
        ? [{ k: 0, i: 0, d: ls[0][0] }]
        : slots.filter((x) => x.d.type <= SglType.BIT_BUCKET);
      const pick = <T>(xs: T[]): T => xs[a % xs.length];
      let length = total(s), sgl1: Desc | undefined, opts = s.opts;
      const dir = s.dir;
      let want: number = Status.SGL_DESCRIPTOR_TYPE_INVALID;
      const firstPointer = (): Desc => ({
        type: n === 1 ? s.finalPointer : SglType.SEGMENT,
        addr: listAddr(s, 0),
        len: ls[0].length * SGL_DESCRIPTOR_SIZE,
      });
      switch (defect) {
        case "bad-type":
          pick(leaves).d.type = SglType.KEYED_DATA_BLOCK + (b % 12); // 4..15
          break;
        case "bad-subtype":
          pick(leaves).d.subtype = 1 + (b % 15);
          break;
        case "pointer-subtype":
          fc.pre(n > 0);
          sgl1 = { ...firstPointer(), subtype: SglSubtype.OFFSET };
          break;
        case "bucket-refused": // without SGLS bit 16, in either direction
          pick(leaves).d.type = SglType.BIT_BUCKET;
          opts = { ...opts, bitBucket: false };
          break;
        case "segment-length":
          fc.pre(n > 0);
          sgl1 = { ...firstPointer(), len: b % 2 === 0 ? 0 : ls[0].length * 16 + 1 + (b % 15) };
          want = Status.INVALID_SGL_SEGMENT_DESCRIPTOR;
          break;
        case "last-segment-not-last":
          fc.pre(n >= 2);
          sgl1 = { ...firstPointer(), type: SglType.LAST_SEGMENT };
          want = Status.INVALID_SGL_SEGMENT_DESCRIPTOR;
          break;
        case "segment-in-middle": {
          fc.pre(n > 0 && ls[0].length >= 1);
          ls[0].splice(a % ls[0].length, 0, { type: SglType.SEGMENT, addr: b, len: 16 });
          want = Status.INVALID_SGL_DESCRIPTOR_COUNT;
          break;
        }
        case "short":
          length += 1 + (b % 4096);
          want = Status.DATA_SGL_LENGTH_INVALID;
          break;
        case "long":
          fc.pre(length >= 2);
          length -= 1 + (b % (length - 1));
          want = Status.DATA_SGL_LENGTH_INVALID;
          break;
        case "granularity": {
          const data = leaves.filter((x) => x.d.type === SglType.DATA_BLOCK);
          fc.pre(data.length > 0);
          opts = { ...opts, alignment: "dword" };
          const d = pick(data).d;
          if (b % 2 === 0) d.addr = Number(d.addr) - (Number(d.addr) % 4) + 1 + (b % 3);
          else d.len = d.len - (d.len % 4) + 1 + (b % 3);
          want = Status.SGL_DATA_BLOCK_GRANULARITY_INVALID;
          break;
        }
        case "fault":
          fc.pre(n > 0);
          want = Status.DATA_TRANSFER_ERROR;
          break;
        case "wrap": {
          const d = pick(leaves).d;
          d.type = SglType.DATA_BLOCK;
          d.addr = 2n ** 64n - 16n;
          d.len = 32;
          want = Status.DATA_SGL_LENGTH_INVALID;
          break;
        }
        case "too-many-segments":
          fc.pre(n > 0);
          opts = { ...opts, maxSegments: n - 1 };
          want = Status.INVALID_SGL_DESCRIPTOR_COUNT;
          break;
        case "too-many-descriptors":
          fc.pre(n > 0);
          opts = { ...opts, maxDescriptors: 1 + slots.length - 1 };
          want = Status.INVALID_SGL_DESCRIPTOR_COUNT;
          break;
      }
      if (defect === "segment-in-middle") sgl1 = firstPointer();
      // Edited leaves change the total; recompute unless the length is the defect.
      if (defect !== "short" && defect !== "long") length = Math.max(1, totalOf(ls, n, dir));
      const { sqe, mem } = write(s, ls, sgl1);
      if (defect === "fault") mem.unmap(listAddr(s, a % n), 1);
      const out = new SegmentList();
      assertEquals(new SglWalker(mem, opts).walk(sqe, length, dir, out), want, defect);
      assertEquals(out.count, 0);
    }),
    { numRuns: 1000 },
  );
});

/** The transfer length an edited SGL describes (data descriptors only; pointers excluded). */
function totalOf(ls: Desc[][], n: number, dir: DataDirection): number {
  const all = n === 0 ? [ls[0][0]] : ls.flat();
  return all.reduce((t, d) => t + (d.type <= SglType.BIT_BUCKET ? lengthOf(d, dir) : 0), 0);
}

Deno.test("SGL walker: never throws and stays bounded on arbitrary SGL1 and memory", () => {
  const R = 0x10000;
  // Mostly plausible descriptors pointing into a 64-descriptor region (so chains and loops
  // happen), with some of anything.
  const often = <T>(likely: fc.Arbitrary<T>, any: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 9, arbitrary: likely }, { weight: 1, arbitrary: any });
  const descArb = fc.record({
    type: often(fc.constantFrom(0, 1, 2, 2, 2, 3), fc.nat(15)),
    subtype: often(fc.constant(0), fc.nat(15)),
    addr: often<number | bigint>(fc.nat(63).map((i) => R + 16 * i), fc.bigInt(0n, 2n ** 64n - 1n)),
    len: often(fc.oneof(fc.constantFrom(16, 16, 32, 48), fc.nat(4096)), fc.nat(0xffff_ffff)),
  });
  fc.assert(
    fc.property(
      descArb,
      fc.array(descArb, { minLength: 64, maxLength: 64 }),
      fc.array(fc.nat(1023), { maxLength: 3 }),
      fc.integer({ min: 0, max: 2 ** 20 }),
      fc.constantFrom(READ, WRITE),
      optsArb,
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 5000 }),
      (sgl1, region, holes, length, dir, o, maxSegments, maxDescriptors) => {
        const mem = new TestMemory(100_000);
        const bytes = new Uint8Array(64 * SGL_DESCRIPTOR_SIZE);
        region.forEach((d, i) => encode(d, bytes, i * SGL_DESCRIPTOR_SIZE));
        mem.write(R, bytes);
        for (const h of holes) mem.unmap(R + h, 1);
        const sqe = new Uint8Array(64);
        encode(sgl1, sqe, SQE_SGL1);
        const w = new SglWalker(mem, { ...o, maxSegments, maxDescriptors });
        const out = new SegmentList();
        const st = w.walk(sqe, length, dir, out);
        const allowed: number[] = [
          Status.SUCCESS,
          Status.DATA_TRANSFER_ERROR,
          Status.INVALID_SGL_SEGMENT_DESCRIPTOR,
          Status.INVALID_SGL_DESCRIPTOR_COUNT,
          Status.DATA_SGL_LENGTH_INVALID,
          Status.SGL_DESCRIPTOR_TYPE_INVALID,
          Status.SGL_DATA_BLOCK_GRANULARITY_INVALID,
        ];
        assert(allowed.includes(st), `status ${st}`);
        assertEquals(out.totalBytes, st === Status.SUCCESS ? length : 0);
        assert(w.descriptorsRead <= maxDescriptors && w.segmentsRead <= maxSegments + 1);
        assert(mem.reads <= maxSegments + maxDescriptors);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("SGL walker: random pointer graphs (loops included) end within the limits", () => {
  const R = 0x40000, SLOTS = 64;
  // Each slot: a Segment/Last Segment of one or two descriptors pointing at a random slot, or a
  // 512-byte Data Block. Following pointers is a random walk over the slots, often a cycle.
  const slotArb = fc.tuple(fc.nat(19), fc.nat(SLOTS - 1), fc.nat(3));
  fc.assert(
    fc.property(
      fc.array(slotArb, { minLength: SLOTS, maxLength: SLOTS }),
      fc.nat(SLOTS - 1),
      fc.integer({ min: 1, max: 64 * 512 }),
      fc.integer({ min: 1, max: 300 }),
      (slots, start, length, maxSegments) => {
        const mem = new TestMemory(100_000);
        const bytes = new Uint8Array(SLOTS * SGL_DESCRIPTOR_SIZE + SGL_DESCRIPTOR_SIZE);
        slots.forEach(([kind, to, two], i) => {
          const d: Desc = kind < 2
            ? { type: SglType.DATA_BLOCK, addr: 0x100_0000 + 0x1000 * i, len: 512 }
            : {
              type: kind === 2 ? SglType.LAST_SEGMENT : SglType.SEGMENT,
              addr: R + SGL_DESCRIPTOR_SIZE * to,
              len: SGL_DESCRIPTOR_SIZE * (two === 3 ? 2 : 1),
            };
          encode(d, bytes, i * SGL_DESCRIPTOR_SIZE);
        });
        mem.write(R, bytes);
        const sqe = new Uint8Array(64);
        encode({ type: SglType.SEGMENT, addr: R + 16 * start, len: 16 }, sqe, SQE_SGL1);
        const w = new SglWalker(mem, { maxSegments });
        const out = new SegmentList();
        const st = w.walk(sqe, length, READ, out);
        assert(w.segmentsRead <= maxSegments + 1 && mem.reads <= maxSegments + 1);
        assertEquals(out.totalBytes, st === Status.SUCCESS ? length : 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("SGL walker: self-referencing and endless chains end at the segment limit", () => {
  const mem = new TestMemory();
  mem.write(0x5000, encode({ type: SglType.SEGMENT, addr: 0x5000, len: 16 }));
  const sqe = new Uint8Array(64);
  encode({ type: SglType.SEGMENT, addr: 0x5000, len: 16 }, sqe, SQE_SGL1);
  const w = new SglWalker(mem);
  const out = new SegmentList();
  assertEquals(w.walk(sqe, 4096, READ, out), Status.INVALID_SGL_DESCRIPTOR_COUNT);
  assertEquals(w.segmentsRead, 257);
  // A Segment whose list is a Segment with the same list, 16 bytes further each time.
  for (let i = 0; i < 300; i++) {
    mem.write(0x9000 + 16 * i, encode({ type: SglType.SEGMENT, addr: 0x9010 + 16 * i, len: 16 }));
  }
  encode({ type: SglType.SEGMENT, addr: 0x9000, len: 16 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 4096, READ, out), Status.INVALID_SGL_DESCRIPTOR_COUNT);
});

Deno.test("SGL walker: the shapes Linux sends, bit buckets, oversize, zero lengths", () => {
  const mem = new TestMemory();
  const out = new SegmentList();
  const sqe = new Uint8Array(64);
  const w = new SglWalker(mem);
  // L-5.1x: a Segment descriptor of one page whose 256 descriptors are all data.
  const page = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) {
    encode({ type: SglType.DATA_BLOCK, addr: 0x100_0000 + 0x2000 * i, len: 512 }, page, 16 * i);
  }
  mem.write(0x20000, page);
  encode({ type: SglType.SEGMENT, addr: 0x20000, len: 4096 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 256 * 512, WRITE, out), Status.SUCCESS);
  assertEquals([out.count, w.descriptorsRead, w.segmentsRead], [256, 257, 1]);
  // L-new: a Last Segment of N data blocks; a zero-length block in the middle is fine.
  encode({ type: SglType.DATA_BLOCK, addr: 0x7777, len: 0 }, page, 16);
  encode({ type: SglType.LAST_SEGMENT, addr: 0x20000, len: 48 }, sqe, SQE_SGL1);
  mem.write(0x20000, page.subarray(0, 48));
  assertEquals(w.walk(sqe, 1024, READ, out), Status.SUCCESS);
  assertEquals(out.toArray().map((s) => s.addr), [0x100_0000, 0x100_4000]);
  // A Bit Bucket as SGL1 on a read: everything is discarded.
  encode({ type: SglType.BIT_BUCKET, addr: 0, len: 4096 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 4096, READ, out), Status.SUCCESS);
  assertEquals(out.toArray(), [{ addr: 0, len: 4096, discard: true }]);
  // On a write a Bit Bucket has no effect (as if its length were 0): nothing describes the data.
  assertEquals(w.walk(sqe, 4096, WRITE, out), Status.DATA_SGL_LENGTH_INVALID);
  // ... and around Data Blocks it is skipped, not counted (Base 2.1 §4.3.2, Bit Bucket figure).
  const around = new Uint8Array(48);
  encode({ type: SglType.DATA_BLOCK, addr: 0x30000, len: 512 }, around, 0);
  encode({ type: SglType.BIT_BUCKET, addr: 0, len: 512 }, around, 16);
  encode({ type: SglType.DATA_BLOCK, addr: 0x31000, len: 512 }, around, 32);
  mem.write(0x28000, around);
  encode({ type: SglType.LAST_SEGMENT, addr: 0x28000, len: 48 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 1024, WRITE, out), Status.SUCCESS);
  assertEquals(out.toArray().map((x) => [x.addr, x.len, x.discard]), [
    [0x30000, 512, false],
    [0x31000, 512, false],
  ]);
  assertEquals(w.walk(sqe, 1536, READ, out), Status.SUCCESS);
  assertEquals(out.totalBytes, 1536);
  // A Segment whose list would run past 2^64 is Data SGL Length Invalid.
  encode({ type: SglType.SEGMENT, addr: 2n ** 64n - 16n, len: 32 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 512, READ, out), Status.DATA_SGL_LENGTH_INVALID);
  // Oversized (SGLS bit 18): cut at the length, nothing more fetched.
  encode({ type: SglType.DATA_BLOCK, addr: 0x4000, len: 8192 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 4096, READ, out), Status.DATA_SGL_LENGTH_INVALID);
  const big = new SglWalker(mem, { oversizedLength: true });
  assertEquals(big.walk(sqe, 4096, READ, out), Status.SUCCESS);
  assertEquals(out.toArray(), [{ addr: 0x4000, len: 4096, discard: false }]);
  // Zero length: nothing looked at. Keyed Data Block and an Offset sub type: not supported.
  assertEquals(w.walk(new Uint8Array(64).fill(0xff), 0, READ, out), Status.SUCCESS);
  encode({ type: SglType.KEYED_DATA_BLOCK, addr: 0x4000, len: 512 }, sqe, SQE_SGL1);
  assertEquals(w.walk(sqe, 512, READ, out), Status.SGL_DESCRIPTOR_TYPE_INVALID);
  encode({ type: SglType.DATA_BLOCK, subtype: SglSubtype.OFFSET, addr: 0, len: 512 }, sqe, 24);
  assertEquals(w.walk(sqe, 512, READ, out), Status.SGL_DESCRIPTOR_TYPE_INVALID);
  // A descriptor fetched elsewhere (MPTR with PSDT = 10b) walks the same way.
  const d = encode({ type: SglType.DATA_BLOCK, addr: 0x8000, len: 64 });
  assertEquals(w.walkDescriptor(d, 0, 64, WRITE, out), Status.SUCCESS);
});

Deno.test("SGL walker: options from Identify SGLS", () => {
  assertEquals(sglWalkerOptionsFromSgls(0x1), {
    alignment: "byte",
    bitBucket: false,
    oversizedLength: false,
  });
  const o = sglWalkerOptionsFromSgls(0x2 | (1 << 16) | (1 << 18), { maxSegments: 8 });
  assertEquals([o.alignment, o.bitBucket, o.oversizedLength, o.maxSegments], [
    "dword",
    true,
    true,
    8,
  ]);
});
