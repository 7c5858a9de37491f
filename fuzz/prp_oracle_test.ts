import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { PrpWalker, SegmentList } from "../controller/prp_walker.ts";
import { Status } from "../spec/status.ts";
import { SglType } from "../spec/sgl.ts";
import {
  decodePrp,
  decodeSgl,
  expectedSegments,
  type OracleSegment,
  prpDescribable,
} from "./prp_oracle.ts";

const PAGE = 4096;

/** A sparse u64 memory for PRP lists. */
function memory(entries: Record<number, number>): (addr: number) => number {
  return (addr) => entries[addr] ?? 0;
}

Deno.test("decodePrp: one page, two pages (PRP2 direct), and a list", () => {
  const read = memory({ 0x9000: 0x5000, 0x9008: 0x6000 });
  assertEquals(decodePrp(0x1800, 0xdead, 0x800, PAGE, read), {
    status: "ok",
    segments: [{ addr: 0x1800, len: 0x800 }],
  });
  assertEquals(decodePrp(0x1800, 0x3000, 0x1000, PAGE, read), {
    status: "ok",
    segments: [{ addr: 0x1800, len: 0x800 }, { addr: 0x3000, len: 0x800 }],
  });
  assertEquals(decodePrp(0x1800, 0x9000, 0x800 + 0x1800, PAGE, read), {
    status: "ok",
    segments: [{ addr: 0x1800, len: 0x800 }, { addr: 0x5000, len: 0x1800 }],
  });
});

Deno.test("decodePrp: the last slot of a list page chains only when more than a page remains", () => {
  // A list starting 16 bytes before its page end: two slots, then a pointer.
  const list = 0x10ff0;
  const chained = memory({
    [list]: 0x20000,
    [list + 8]: 0x30000,
    0x30000: 0x40000,
    0x30008: 0x50000,
  });
  // PRP1 covers one page; three more pages remain: slot 0 data, slot 1 pointer, then 2 entries.
  const r = decodePrp(0x1000, list, 4 * PAGE, PAGE, chained);
  assertEquals(r, {
    status: "ok",
    segments: [
      { addr: 0x1000, len: PAGE },
      { addr: 0x20000, len: PAGE },
      { addr: 0x40000, len: PAGE },
      { addr: 0x50000, len: PAGE },
    ],
  });
  // Exactly two pages after PRP1: the last slot is data, not a pointer.
  const plain = decodePrp(0x1000, list, 3 * PAGE, PAGE, chained);
  assertEquals(plain.status === "ok" && plain.segments.at(-1), { addr: 0x30000, len: PAGE });
});

Deno.test("decodePrp: offsets that a controller must refuse", () => {
  const read = memory({ 0x9000: 0x5004 });
  assertEquals(decodePrp(0x1002, 0, 16, PAGE, read).status, "prp-offset-invalid");
  assertEquals(decodePrp(0x1000, 0x3004, 0x1800, PAGE, read).status, "prp-offset-invalid");
  assertEquals(decodePrp(0x1000, 0x9004, 3 * PAGE, PAGE, read).status, "prp-offset-invalid");
  assertEquals(decodePrp(0x1000, 0x9000, 3 * PAGE, PAGE, read).status, "prp-offset-invalid");
});

Deno.test("expectedSegments merges contiguous pieces and cuts at the length", () => {
  const data = [{ addr: 0x1000, length: 0x100 }, { addr: 0x1100, length: 0x100 }, {
    addr: 0x8000,
    length: 0x1000,
  }];
  assertEquals(expectedSegments(data, 0x280), [{ addr: 0x1000, len: 0x200 }, {
    addr: 0x8000,
    len: 0x80,
  }]);
});

Deno.test("prpDescribable: interior boundaries must be page aligned", () => {
  assertEquals(
    prpDescribable([{ addr: 0x1004, length: 0xffc }, { addr: 0x3000, length: 8 }], PAGE),
    true,
  );
  assertEquals(
    prpDescribable([{ addr: 0x1004, length: 0xff8 }, { addr: 0x3000, length: 8 }], PAGE),
    false,
  );
  assertEquals(
    prpDescribable([{ addr: 0x1000, length: PAGE }, { addr: 0x3010, length: 8 }], PAGE),
    false,
  );
  assertEquals(prpDescribable([{ addr: 0x1002, length: 8 }], PAGE), false);
});

Deno.test("decodeSgl: a Last Segment of Data Blocks, and descriptors it does not understand", () => {
  const sqe = new Uint8Array(64);
  const dv = new DataView(sqe.buffer);
  const list = new Uint8Array(32);
  const lv = new DataView(list.buffer);
  lv.setBigUint64(0, 0x5000n, true);
  lv.setUint32(8, 512, true);
  lv.setBigUint64(16, 0x9000n, true);
  lv.setUint32(24, 512, true);
  dv.setBigUint64(24, 0x7000n, true);
  dv.setUint32(32, 32, true);
  sqe[39] = SglType.LAST_SEGMENT << 4;
  const read = (addr: number, n: number) => {
    assertEquals([addr, n], [0x7000, 32]);
    return list;
  };
  assertEquals(decodeSgl(sqe, 24, 1024, read), {
    status: "ok",
    segments: [{ addr: 0x5000, len: 512 }, { addr: 0x9000, len: 512 }],
  });
  assertEquals(decodeSgl(sqe, 24, 2048, read).status, "unsupported");
  sqe[39] = SglType.KEYED_DATA_BLOCK << 4;
  assertEquals(decodeSgl(sqe, 24, 1024, read).status, "unsupported");
});

/**
 * The oracle and the controller's walker agree on arbitrary PRP layouts written by hand — any MPS
 * from 4 KiB to 64 KiB, list pointers at any qword offset, and some entries corrupted with an
 * offset — including which ones must be refused (PRP Offset Invalid).
 */
Deno.test("oracle and controller PrpWalker agree at every memory page size", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 511 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 1023 }),
      fc.option(fc.nat(), { nil: null }),
      (mps, prp1Dwords, pages, listQwords, corrupt) => {
        const ps = PAGE << mps;
        const prp1 = 0x100_0000 * 16 + prp1Dwords * 4;
        const length = (ps - (prp1 % ps)) + (pages - 1) * ps + 4;
        const listBase = 0x800_0000 * 16 + (listQwords * 8) % ps;
        // Write the list the way the spec says: chain at each list page's last slot.
        const mem = new Map<number, number>();
        let slot = listBase, page = 0x4000_0000, next = 0x6000_0000;
        let remaining = length - (ps - (prp1 % ps));
        let written = 0;
        while (remaining > 0) {
          if ((slot + 8) % ps === 0 && remaining > ps) {
            mem.set(slot, next);
            slot = next;
            next += 4 * ps;
            continue;
          }
          mem.set(slot, page);
          page += 2 * ps;
          remaining -= Math.min(remaining, ps);
          slot += 8;
          written++;
        }
        if (corrupt !== null && written > 0) {
          const keys = [...mem.keys()];
          const k = keys[corrupt % keys.length];
          mem.set(k, mem.get(k)! + 8);
        }
        const rest = length - (ps - (prp1 % ps));
        const prp2 = rest <= ps ? (mem.get(listBase) ?? 0) : listBase;
        const oracle = decodePrp(prp1, prp2, length, ps, (a) => mem.get(a) ?? 0);
        const out = new SegmentList();
        const reader = {
          dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
            const v = new DataView(dst.buffer, dst.byteOffset + off, len);
            for (let i = 0; i < len; i += 8) {
              v.setBigUint64(i, BigInt(mem.get(addr + i) ?? 0), true);
            }
            return true;
          },
        };
        const status = new PrpWalker(reader).walk(prp1, prp2, length, ps, out);
        if (oracle.status === "ok") {
          assertEquals(status, Status.SUCCESS);
          const got: OracleSegment[] = out.toArray().map((s) => ({ addr: s.addr, len: s.len }));
          assertEquals(got, oracle.segments);
        } else {
          assertEquals(status, Status.PRP_OFFSET_INVALID, oracle.reason);
        }
      },
    ),
    { seed: 0x0a11ce, numRuns: 300 },
  );
});
