/**
 * The media-to-host stream (host_data_sink.ts) against the bounce-buffer path it replaces: for
 * random media contents (data, zeros, cached and durable blocks) and random segment lists, the
 * bytes that reach host memory and the DMAs issued (address, length, order) must be the same.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { HostDataSink } from "./host_data_sink.ts";
import { FUA_WRITE, MediaStore } from "./media.ts";
import { SegmentList } from "./prp_walker.ts";

/** A recording DMA port over a flat "host memory" array; refuses writes at `refuseAt`. */
class RecordingPort {
  readonly mem: Uint8Array;
  readonly log: string[] = [];
  constructor(size: number, readonly refuseAt = -1) {
    this.mem = new Uint8Array(size);
  }
  dmaWrite(addr: number, src: Uint8Array, off = 0, len = src.length - off): boolean {
    this.log.push(`${addr}+${len}`);
    if (addr === this.refuseAt) return false;
    this.mem.set(src.subarray(off, off + len), addr);
    return true;
  }
}

/** Mulberry32: a small seeded PRNG (the seed is printed on failure through the test name). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const SEED = 0x5eed_d15c;

Deno.test(`HostDataSink: same bytes and DMAs as a bounce copy (seed ${SEED})`, () => {
  const rand = rng(SEED);
  const int = (n: number) => Math.floor(rand() * n);
  for (let round = 0; round < 200; round++) {
    const bs = rand() < 0.5 ? 512 : 4096;
    const media = new MediaStore({ blockSize: bs, blockCount: 64 });
    media.setWriteCacheEnabled(rand() < 0.5);
    for (let k = int(12); k > 0; k--) {
      const lba = int(60), n = 1 + int(4);
      const data = new Uint8Array(n * bs).map(() => 1 + int(255));
      media.write(lba, n, data, 0, rand() < 0.3 ? FUA_WRITE : undefined);
      if (rand() < 0.2) media.deallocate(int(60), 1 + int(3));
    }
    const lba = int(48), count = 1 + int(16), length = count * bs;
    // Segments: random lengths (dword multiples), some discarded, host addresses spread apart.
    const segs = new SegmentList(4, { coalesce: false });
    let left = length, addr = 0;
    while (left > 0) {
      const len = Math.min(left, 4 * (1 + int(1536)));
      segs.push(addr, len, rand() < 0.1);
      addr += len + 4 * int(8);
      left -= len;
    }
    const refuse = rand() < 0.1 && segs.count > 1 ? segs.addr[int(segs.count)] : -1;

    const expected = new RecordingPort(addr, refuse);
    const bounce = new Uint8Array(length);
    media.read(lba, count, bounce, 0);
    let at = 0, ok = true;
    for (let i = 0; i < segs.count; i++) {
      if (ok && !segs.discard[i]) ok = expected.dmaWrite(segs.addr[i], bounce, at, segs.len[i]);
      at += segs.len[i];
    }

    const actual = new RecordingPort(addr, refuse);
    const sink = new HostDataSink(actual);
    sink.begin(segs, new Uint8Array(length));
    media.readInto(lba, count, sink);
    assertEquals(sink.end(), ok, `round ${round}`);
    assertEquals(actual.log, expected.log, `round ${round}: DMAs`);
    assertEquals(actual.mem, expected.mem, `round ${round}: host memory`);
  }
});

Deno.test("MediaStore.readInto reports the first uncorrectable block as read does", () => {
  const media = new MediaStore({ blockSize: 512, blockCount: 32 });
  media.write(0, 16, new Uint8Array(16 * 512).fill(7), 0);
  media.markUncorrectable(10, 2);
  const zeros = {
    n: 0,
    data() {},
    zeros(len: number) {
      this.n += len;
    },
  };
  assertEquals(media.readInto(8, 8, zeros), 2);
  assertEquals(media.read(8, 8, new Uint8Array(8 * 512), 0), 2);
  assertEquals(media.firstUncorrectable(8, 8), 2);
  assertEquals(zeros.n, 2 * 512); // the marked blocks read as zeros
  media.write(10, 2, new Uint8Array(1024), 0, FUA_WRITE); // a durable write clears the mark
  assertEquals(media.firstUncorrectable(8, 8), -1);
});
