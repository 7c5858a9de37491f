import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { FUA_WRITE, MediaRangeError, MediaStore, READ_OK } from "./media.ts";

const TIB = 2 ** 40;

function pattern(bs: number, count: number, seed: number): Uint8Array {
  const out = new Uint8Array(bs * count);
  for (let i = 0; i < out.length; i++) out[i] = (seed + i * 7 + (i >> 9) * 131) & 0xff;
  return out;
}

function readAll(m: MediaStore): Uint8Array {
  const out = new Uint8Array(m.blockCount * m.blockSize);
  m.read(0, m.blockCount, out, 0);
  return out;
}

Deno.test("MediaStore", async (t) => {
  await t.step("never-written blocks read as zeros and a read copies at the offset", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 8 });
    m.write(2, 1, pattern(512, 1, 9), 0);
    const dst = new Uint8Array(4 + 3 * 512).fill(0xee);
    assertEquals(m.read(1, 3, dst, 4), READ_OK);
    assertEquals(dst.subarray(0, 4), new Uint8Array(4).fill(0xee));
    assertEquals(dst.subarray(4, 516), new Uint8Array(512));
    assertEquals(dst.subarray(516, 1028), pattern(512, 1, 9));
    assertEquals(dst.subarray(1028), new Uint8Array(512));
  });

  await t.step("is sparse: a 1 TiB namespace written at 3 LBAs holds 3 blocks", () => {
    for (const bs of [512, 4096]) {
      const m = new MediaStore({ blockSize: bs, blockCount: TIB / bs });
      const src = pattern(bs, 1, 3);
      for (const lba of [0, TIB / bs / 2, TIB / bs - 1]) m.write(lba, 1, src, 0);
      assertEquals(m.bytesStored(), 3 * bs);
      assertEquals(m.allocatedBlocks(), 3);
      const back = new Uint8Array(bs);
      m.read(TIB / bs - 1, 1, back, 0);
      assertEquals(back, src);
      m.read(12345, 1, back, 0);
      assertEquals(m.bytesStored(), 3 * bs, "reads create nothing");
    }
  });

  await t.step("FUA and Flush make data durable; power loss drops only cached data", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 4, writeCacheEnabled: true });
    const a = pattern(512, 1, 1), b = pattern(512, 1, 2), c = pattern(512, 1, 3);
    m.write(0, 1, a, 0, FUA_WRITE); // durable at once
    m.write(1, 1, b, 0); // cached, then flushed
    m.flush();
    m.write(2, 1, c, 0); // cached only
    m.write(0, 1, c, 0); // cached overwrite of durable data
    assertEquals(m.hasVolatileData, true);
    m.powerLoss();
    const out = new Uint8Array(4 * 512);
    m.read(0, 4, out, 0);
    assertEquals(out.subarray(0, 512), a);
    assertEquals(out.subarray(512, 1024), b);
    assertEquals(out.subarray(1024), new Uint8Array(1024));
  });

  await t.step("without the cache every write is durable", () => {
    const m = new MediaStore({ blockSize: 4096, blockCount: 2 });
    m.write(1, 1, pattern(4096, 1, 5), 0);
    m.powerLoss();
    assertEquals(readAll(m).subarray(4096), pattern(4096, 1, 5));
  });

  await t.step("disabling the write cache flushes it first", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 2, writeCacheEnabled: true });
    m.write(0, 2, pattern(512, 2, 4), 0);
    m.setWriteCacheEnabled(false);
    assertEquals(m.writeCacheEnabled, false);
    assertEquals(m.hasVolatileData, false);
    m.powerLoss();
    assertEquals(readAll(m), pattern(512, 2, 4));
  });

  await t.step("deallocate and Write Zeroes free memory and read as zeros", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 8 });
    m.write(0, 8, pattern(512, 8, 6), 0);
    m.deallocate(0, 4);
    m.writeZeroes(4, 2);
    assertEquals(m.bytesStored(), 2 * 512);
    assertEquals(readAll(m).subarray(0, 6 * 512), new Uint8Array(6 * 512));
    assertEquals(m.allocatedBlocks(), 2);
  });

  await t.step("cached Write Zeroes shadows durable data until power loss", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 1, writeCacheEnabled: true });
    m.write(0, 1, pattern(512, 1, 8), 0, FUA_WRITE);
    m.writeZeroes(0, 1);
    assertEquals(readAll(m), new Uint8Array(512));
    assertEquals(m.compare(0, 1, new Uint8Array(512), 0), true);
    m.powerLoss();
    assertEquals(readAll(m), pattern(512, 1, 8));
    m.writeZeroes(0, 1);
    m.flush();
    m.powerLoss();
    assertEquals(readAll(m), new Uint8Array(512));
    assertEquals(m.bytesStored(), 0);
  });

  await t.step("uncorrectable blocks are reported until written again", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 8 });
    m.write(0, 8, pattern(512, 8, 1), 0);
    m.markUncorrectable(3, 2);
    const out = new Uint8Array(8 * 512);
    assertEquals(m.read(0, 8, out, 0), 3);
    assertEquals(m.read(4, 1, out, 0), 0);
    assertEquals(m.read(0, 3, out, 0), READ_OK);
    assertEquals([m.isUncorrectable(2), m.isUncorrectable(3), m.isUncorrectable(4)], [
      false,
      true,
      true,
    ]);
    assertEquals(m.firstUncorrectable(2, 4), 1);
    m.write(3, 1, pattern(512, 1, 2), 0);
    assertEquals(m.firstUncorrectable(0, 8), 4);
    m.deallocate(4, 1);
    assertEquals(m.firstUncorrectable(0, 8), READ_OK);
  });

  await t.step("a cached write hides an uncorrectable mark until power loss", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 1, writeCacheEnabled: true });
    m.markUncorrectable(0, 1);
    m.write(0, 1, pattern(512, 1, 1), 0);
    assertEquals(m.isUncorrectable(0), false);
    m.powerLoss();
    assertEquals(m.isUncorrectable(0), true);
  });

  await t.step("compare matches the newest data byte for byte", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 4 });
    const src = pattern(512, 2, 11);
    m.write(1, 2, src, 0);
    assertEquals(m.compare(1, 2, src, 0), true);
    const other = src.slice();
    other[700] ^= 1;
    assertEquals(m.compare(1, 2, other, 0), false);
    assertEquals(m.compare(3, 1, new Uint8Array(512), 0), true);
  });

  await t.step("format erases everything and changes the block size", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 16, writeCacheEnabled: true });
    m.write(0, 4, pattern(512, 4, 1), 0);
    m.write(4, 1, pattern(512, 1, 1), 0, FUA_WRITE);
    m.format(4096, 2);
    assertEquals([m.blockSize, m.blockCount, m.bytesStored()], [4096, 2, 0]);
    assertEquals(m.writeCacheEnabled, true);
    assertEquals(readAll(m), new Uint8Array(8192));
    m.format(2 ** 16);
    assertEquals(m.blockSize, 65536);
    assertThrows(() => m.format(520), MediaRangeError, "power of two");
    assertThrows(() => m.format(256), MediaRangeError, "at least 512");
  });

  await t.step("rejects ranges outside the namespace and short buffers", () => {
    const m = new MediaStore({ blockSize: 512, blockCount: 4 });
    assertThrows(() => m.read(3, 2, new Uint8Array(1024), 0), MediaRangeError, "LBA Out of Range");
    assertThrows(() => m.write(-1, 1, new Uint8Array(512), 0), MediaRangeError);
    assertThrows(() => m.write(0, 2, new Uint8Array(1000), 0), MediaRangeError, "larger buffer");
    assertThrows(() => m.read(0, 1, new Uint8Array(512), 1), MediaRangeError);
    assertThrows(() => m.deallocate(4, 1), MediaRangeError);
  });
});

// ---- model-based property: the store against a shadow model of both layers ----

type Op =
  | { op: "write"; lba: number; count: number; seed: number; fua: boolean }
  | { op: "writeZeroes"; lba: number; count: number; fua: boolean }
  | { op: "deallocate"; lba: number; count: number }
  | { op: "markUncorrectable"; lba: number; count: number }
  | { op: "flush" }
  | { op: "powerLoss" }
  | { op: "cache"; enabled: boolean };

const BLOCKS = 12;
const range = fc.integer({ min: 0, max: BLOCKS - 1 }).chain((lba) =>
  fc.record({ lba: fc.constant(lba), count: fc.integer({ min: 1, max: BLOCKS - lba }) })
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: range.chain((r) =>
      fc.record({
        op: fc.constant("write" as const),
        lba: fc.constant(r.lba),
        count: fc.constant(r.count),
        seed: fc.integer({ min: 1, max: 255 }),
        fua: fc.boolean(),
      })
    ),
    weight: 5,
  },
  range.chain((r) =>
    fc.record({
      op: fc.constant("writeZeroes" as const),
      lba: fc.constant(r.lba),
      count: fc.constant(r.count),
      fua: fc.boolean(),
    })
  ),
  range.map((r) => ({ op: "deallocate" as const, ...r })),
  range.map((r) => ({ op: "markUncorrectable" as const, ...r })),
  { arbitrary: fc.constant({ op: "flush" as const }), weight: 2 },
  { arbitrary: fc.constant({ op: "powerLoss" as const }), weight: 2 },
  fc.boolean().map((enabled) => ({ op: "cache" as const, enabled })),
);

/** Shadow model: a block is its bytes, "U" (uncorrectable) or absent (zeros). */
type Cell = Uint8Array | "U";
class Shadow {
  durable = new Map<number, Cell>();
  volatile = new Map<number, Uint8Array | "Z">();
  cache = false;
  constructor(readonly bs: number) {}
  newest(lba: number): Cell | undefined {
    const v = this.volatile.get(lba);
    if (v === "Z") return undefined;
    return v ?? this.durable.get(lba);
  }
  apply(o: Op): void {
    const toDurable = "fua" in o && (o.fua || !this.cache);
    switch (o.op) {
      case "write": {
        const data = pattern(this.bs, o.count, o.seed);
        for (let i = 0; i < o.count; i++) {
          const block = data.slice(i * this.bs, (i + 1) * this.bs);
          if (toDurable) {
            this.durable.set(o.lba + i, block);
            this.volatile.delete(o.lba + i);
          } else this.volatile.set(o.lba + i, block);
        }
        return;
      }
      case "writeZeroes":
        for (let i = o.lba; i < o.lba + o.count; i++) {
          if (toDurable) {
            this.durable.delete(i);
            this.volatile.delete(i);
          } else this.volatile.set(i, "Z");
        }
        return;
      case "deallocate":
      case "markUncorrectable":
        for (let i = o.lba; i < o.lba + o.count; i++) {
          if (o.op === "deallocate") this.durable.delete(i);
          else this.durable.set(i, "U");
          this.volatile.delete(i);
        }
        return;
      case "flush":
        for (const [k, v] of this.volatile) {
          v === "Z" ? this.durable.delete(k) : this.durable.set(k, v);
        }
        this.volatile.clear();
        return;
      case "powerLoss":
        this.volatile.clear();
        return;
      case "cache":
        if (!o.enabled) this.apply({ op: "flush" });
        this.cache = o.enabled;
        return;
    }
  }
}

function applyToStore(m: MediaStore, o: Op): void {
  switch (o.op) {
    case "write":
      return m.write(o.lba, o.count, pattern(m.blockSize, o.count, o.seed), 0, { fua: o.fua });
    case "writeZeroes":
      return m.writeZeroes(o.lba, o.count, { fua: o.fua });
    case "deallocate":
      return m.deallocate(o.lba, o.count);
    case "markUncorrectable":
      return m.markUncorrectable(o.lba, o.count);
    case "flush":
      return m.flush();
    case "powerLoss":
      return m.powerLoss();
    case "cache":
      return m.setWriteCacheEnabled(o.enabled);
  }
}

/** Reads every block and checks it (and the uncorrectable report) against the model. */
function checkAgainst(m: MediaStore, s: Shadow, after: string): void {
  const bs = m.blockSize;
  const out = new Uint8Array(bs);
  let allocated = 0;
  for (let lba = 0; lba < BLOCKS; lba++) {
    const want = s.newest(lba);
    const status = m.read(lba, 1, out, 0);
    assertEquals(status, want === "U" ? 0 : READ_OK, `uncorrectable LBA ${lba} after ${after}`);
    const bytes = want === undefined || want === "U" ? new Uint8Array(bs) : want;
    assertEquals(out, bytes, `LBA ${lba} after ${after}`);
    assertEquals(m.compare(lba, 1, bytes, 0), true, `compare LBA ${lba} after ${after}`);
    if (want !== undefined) allocated++;
  }
  assertEquals(m.allocatedBlocks(), allocated, `allocated blocks after ${after}`);
  let stored = 0;
  for (const v of s.durable.values()) if (v !== "U") stored += bs;
  for (const v of s.volatile.values()) if (v !== "Z") stored += bs;
  assertEquals(m.bytesStored(), stored, `bytes stored after ${after}`);
}

Deno.test("MediaStore property: matches a model of durable and volatile layers", () => {
  fc.assert(
    fc.property(fc.constantFrom(512, 4096), fc.array(opArb, { maxLength: 40 }), (bs, ops) => {
      const m = new MediaStore({ blockSize: bs, blockCount: BLOCKS });
      const s = new Shadow(bs);
      for (const [i, o] of ops.entries()) {
        const durableBefore = o.op === "powerLoss" ? new Map(s.durable) : null;
        applyToStore(m, o);
        s.apply(o);
        // Power loss never changes durable data: the model's durable layer is what it was.
        if (durableBefore) assertEquals(s.durable, durableBefore);
        checkAgainst(m, s, `step ${i} ${JSON.stringify(o)}`);
      }
    }),
    { numRuns: 300 },
  );
});
