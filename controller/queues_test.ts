// Controller-side queue state on its own: the CQ phase tag across wraps, the order in which a
// CQE reaches host memory, slot addresses of page-list queues (CAP.CQR = 0), and the deletion
// drain of an SQ with commands in flight.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { CQE_SIZE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { STATUS_DNR as DNR } from "../spec/status.ts";
import {
  CompletionQueue,
  type DmaWriter,
  QueueLayoutError,
  type QueuePageList,
  SubmissionQueue,
} from "./queues.ts";

const PAGE_4K = 4096;
const PAGE_8K = 8192;

interface DmaWrite {
  addr: number;
  bytes: Uint8Array;
}

/** A DevicePort stand-in that records every DMA write in order (and can refuse them). */
class RecordingPort implements DmaWriter {
  readonly writes: DmaWrite[] = [];
  refuse = false;
  dmaWrite(addr: number, src: Uint8Array, off = 0, len = src.length - off): boolean {
    if (this.refuse) return false;
    this.writes.push({ addr, bytes: src.slice(off, off + len) });
    return true;
  }
  /** The 16-bit status word (phase in bit 0) written last at `entry`. */
  statusAt(entry: number): number {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i];
      const at = entry + CQE_STATUS_OFFSET - w.addr;
      if (at >= 0 && at + 1 < w.bytes.length) return w.bytes[at] | (w.bytes[at + 1] << 8);
    }
    throw new Error(`no status written at 0x${entry.toString(16)}`);
  }
}

/** A CQE image with recognisable bytes; post() owns bytes 14..15. */
function cqeScratch(cid: number): Uint8Array {
  const s = new Uint8Array(CQE_SIZE).map((_, i) => i + 1);
  s[12] = cid & 0xff;
  s[13] = cid >>> 8;
  return s;
}

/** Posts one CQE and lets the host release it at once (so the CQ never fills). */
function postAndRelease(cq: CompletionQueue, port: RecordingPort, status: number): void {
  assert(!cq.isFull());
  cq.post(port, cqeScratch(cq.tail), status);
  cq.head = cq.tail;
}

Deno.test("CQ phase tag inverts exactly when the tail wraps, for every size 2..64 (§4.2.4)", () => {
  for (let size = 2; size <= 64; size++) {
    const port = new RecordingPort();
    const base = 0x10_0000;
    const cq = new CompletionQueue(1, base, size, true, 1);
    for (let n = 0; n < 3 * size; n++) {
      const slot = n % size, pass = Math.floor(n / size);
      const expected = pass % 2 === 0 ? 1 : 0;
      assertEquals(cq.phase, expected, `size ${size}, post ${n}: phase before posting`);
      postAndRelease(cq, port, 0);
      const word = port.statusAt(base + slot * CQE_SIZE);
      assertEquals(word & 1, expected, `size ${size}, post ${n}: phase written to slot ${slot}`);
      const wrapped = slot === size - 1;
      assertEquals(cq.phase, wrapped ? expected ^ 1 : expected, `size ${size}, post ${n}: after`);
      assertEquals(cq.tail, (slot + 1) % size);
    }
  }
});

Deno.test("CQ post writes the whole entry in one DMA, status word and phase included", () => {
  const port = new RecordingPort();
  const cq = new CompletionQueue(1, 0x20_0000, 4, true, 1);
  const scratch = cqeScratch(0x1234);
  cq.post(port, scratch, 0x281 | DNR);
  assertEquals(port.writes.length, 1);
  const [entry] = port.writes;
  assertEquals([entry.addr, entry.bytes.length], [0x20_0000, CQE_SIZE]);
  assertEquals(Array.from(entry.bytes.subarray(0, 12)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assertEquals([entry.bytes[12], entry.bytes[13]], [0x34, 0x12], "CID");
  const word = entry.bytes[CQE_STATUS_OFFSET] | (entry.bytes[CQE_STATUS_OFFSET + 1] << 8);
  assertEquals(word, (((0x281 | DNR) << 1) | 1) & 0xffff, "status << 1 | phase, DNR in bit 15");
});

Deno.test("CQ post reports a refused DMA and still advances (the entry is lost)", () => {
  const port = new RecordingPort();
  port.refuse = true;
  const cq = new CompletionQueue(1, 0x20_0000, 2, true, 1);
  assertEquals(cq.post(port, cqeScratch(1), 0), false);
  assertEquals([cq.tail, cq.phase], [1, 1]);
});

/** Pages in a deliberately scrambled order, none adjacent to the next. */
function scrambledPages(count: number, pageSize: number): QueuePageList {
  const addresses = new Float64Array(count);
  for (let k = 0; k < count; k++) addresses[k] = (0x400 + (count - k) * 3) * pageSize;
  return { addresses, pageSize };
}

for (const pageSize of [PAGE_4K, PAGE_8K]) {
  Deno.test(`page-list SQ: slot addresses follow the pages (MPS ${pageSize / 1024} KiB)`, () => {
    const perPage = pageSize / SQE_SIZE;
    const size = perPage * 2 + 5; // three pages, the last partly used
    const pages = scrambledPages(3, pageSize);
    const sq = new SubmissionQueue(1, pages.addresses[0], size, 1, 0, pages);
    for (let lap = 0; lap < 2; lap++) {
      for (let i = 0; i < size; i++) {
        const page = Math.floor(i / perPage);
        assertEquals(sq.headAddress(), pages.addresses[page] + (i % perPage) * SQE_SIZE);
        sq.advanceHead();
      }
      assertEquals(sq.head, 0, "wrapped back to slot 0 of page 0");
    }
  });

  Deno.test(`page-list CQ: CQEs land in the right page (MPS ${pageSize / 1024} KiB)`, () => {
    const perPage = pageSize / CQE_SIZE;
    const size = perPage + 3; // two pages
    const pages = scrambledPages(2, pageSize);
    const port = new RecordingPort();
    const cq = new CompletionQueue(1, pages.addresses[0], size, true, 1, pages);
    for (let n = 0; n < 2 * size; n++) {
      const slot = n % size;
      const page = Math.floor(slot / perPage);
      const addr = pages.addresses[page] + (slot % perPage) * CQE_SIZE;
      assertEquals(cq.tailAddress(), addr);
      postAndRelease(cq, port, 0);
      const [entry] = port.writes.slice(-1);
      assertEquals([entry.addr, entry.bytes.length], [addr, CQE_SIZE]);
      assertEquals(port.statusAt(addr) & 1, n < size ? 1 : 0);
    }
  });
}

Deno.test("a page list too short for the queue, or a page smaller than an entry, is refused", () => {
  const pages = scrambledPages(1, PAGE_4K);
  assertThrows(
    () => new SubmissionQueue(1, 0, PAGE_4K / SQE_SIZE + 1, 1, 0, pages),
    QueueLayoutError,
    "need 2 pages",
  );
  const tiny = { addresses: Float64Array.of(0), pageSize: 8 };
  assertThrows(() => new CompletionQueue(1, 0, 2, true, 0, tiny), QueueLayoutError);
  // Exactly enough pages is fine.
  new CompletionQueue(1, 0, PAGE_4K / CQE_SIZE, true, 0, pages);
});

Deno.test("SQ deletion stops fetching and reports when the last outstanding command completes", () => {
  const sq = new SubmissionQueue(1, 0x1000, 8, 1);
  sq.tail = 3;
  sq.outstanding.add(7);
  sq.outstanding.add(9);
  let drained = 0;
  assert(sq.hasWork());
  sq.beginDeletion(() => drained++);
  assert(sq.deleting);
  assertEquals(sq.hasWork(), false, "entries remain, but a queue being deleted is not fetched");
  sq.outstanding.delete(7);
  assertEquals(drained, 0);
  assertEquals(sq.outstanding.delete(42), false, "an unknown CID changes nothing");
  assertEquals(drained, 0);
  sq.outstanding.delete(9);
  assertEquals(drained, 1);
  sq.outstanding.add(1);
  sq.outstanding.delete(1);
  assertEquals(drained, 1, "the hook runs once");
  // Nothing outstanding: the hook runs at once.
  const idle = new SubmissionQueue(2, 0x2000, 8, 1);
  let now = 0;
  idle.beginDeletion(() => now++);
  assertEquals(now, 1);
});
