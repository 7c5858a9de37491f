import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { NvmeController } from "../../controller/controller.ts";
import { Machine } from "../../platform/machine.ts";
import { needEventLinux, needEventSpdk } from "../../spec/doorbell.ts";
import { DoorbellBuffers, shadowCovers, shadowSlot } from "./shadow_doorbell.ts";

function buffers(dstrd = 0) {
  const host = new Machine().attach(new NvmeController());
  return { host, bufs: new DoorbellBuffers(host, 4096, dstrd) };
}

Deno.test("shadow doorbell: writes the shadow, reads EventIdx, SPDK's inclusive rule", () => {
  const { host, bufs } = buffers();
  const sq = bufs.doorbell(1, false)!;
  assertEquals([sq.shadowAddr - bufs.shadow, sq.eventIdxAddr - bufs.eventIdx], [8, 8]);
  host.memWriteU32(sq.shadowAddr, 14); // the previous value lives in the shadow buffer itself
  host.memWriteU32(sq.eventIdxAddr, 10);
  assert(!sq.update(15), "EventIdx 10 behind [14, 15]: no MMIO");
  assertEquals(host.memReadU32(sq.shadowAddr), 15);
  host.memWriteU32(sq.eventIdxAddr, 15);
  assert(sq.update(16), "EventIdx 15 in [15, 16]: MMIO");
  host.memWriteU32(sq.eventIdxAddr, 17);
  assert(sq.update(17), "EventIdx == new: SPDK rings, Linux would not");
  assert(!needEventLinux(17, 17, 16) && needEventSpdk(17, 17, 16));
});

Deno.test("shadow doorbell: update agrees with needEventSpdk over 16-bit wrap", () => {
  const { host, bufs } = buffers(2);
  const cq = bufs.doorbell(3, true)!;
  fc.assert(
    fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xffff), (old, ev, value) => {
      host.memWriteU32(cq.shadowAddr, old);
      host.memWriteU32(cq.eventIdxAddr, ev);
      assertEquals(cq.update(value), needEventSpdk(ev, value, old));
      assertEquals(host.memReadU32(cq.shadowAddr), value);
    }),
    { numRuns: 500 },
  );
});

Deno.test("shadow doorbell: slots follow the doorbell stride; one page covers what fits", () => {
  assertEquals([shadowSlot(2, false, 1), shadowSlot(2, true, 1)], [32, 40]);
  // 4 KiB / (2 slots × 32 bytes) = 64 queues with DSTRD 3, qid 0 (admin) included.
  assert(shadowCovers(63, 3, 4096) && !shadowCovers(64, 3, 4096), "DSTRD 3: 64 slots per page");
  const { bufs } = buffers(3);
  assertEquals([bufs.doorbell(0, false), bufs.doorbell(64, false)], [null, null], "admin; past");
  assert(bufs.doorbell(63, true) !== null);
  bufs.free();
});
