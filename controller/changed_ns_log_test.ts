import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import {
  CHANGED_NS_LIST_OVERFLOW,
  ChangedNamespaceList,
  NS_LIST_ENTRIES,
  nsidsOf,
} from "../spec/ns_list.ts";
import { ChangedNamespaceLog, InvalidNsidError } from "./changed_ns_log.ts";

Deno.test("ChangedNamespaceLog (Base 2.1 §5.1.12.1.5)", async (t) => {
  await t.step("lists changed NSIDs once, in increasing order, and clears on read", () => {
    const log = new ChangedNamespaceLog();
    log.addAll([9, 3, 9, 1]);
    assertEquals(log.read(), [1, 3, 9]);
    assertEquals(log.isEmpty, true);
    assertEquals(log.read(), []);
  });

  await t.step("RAE=1 (retain) leaves the log as it was", () => {
    const log = new ChangedNamespaceLog();
    log.add(4);
    assertEquals(log.read(true), [4]);
    assertEquals(log.read(), [4]);
  });

  await t.step("1024 NSIDs fit; the 1025th saturates the log to FFFFFFFFh", () => {
    const log = new ChangedNamespaceLog();
    for (let n = 1; n <= NS_LIST_ENTRIES; n++) log.add(n);
    assertEquals(log.overflowed, false);
    assertEquals(log.read(true).length, NS_LIST_ENTRIES);
    log.add(NS_LIST_ENTRIES); // already listed: still fits
    assertEquals(log.overflowed, false);
    log.add(NS_LIST_ENTRIES + 1);
    assertEquals(log.overflowed, true);
    log.add(5);
    assertEquals(log.read(), [CHANGED_NS_LIST_OVERFLOW]);
    assertEquals([log.isEmpty, log.overflowed], [true, false]);
    log.add(2);
    assertEquals(log.read(), [2]);
  });

  await t.step("readPage encodes the log page into a caller buffer", () => {
    const log = new ChangedNamespaceLog();
    log.addAll([7, 2]);
    const page = log.readPage(new Uint8Array(8 + 4096).fill(0xff), 8);
    assertEquals(nsidsOf(ChangedNamespaceList.decode(page, 8).ns), [2, 7]);
    assertEquals(page.subarray(0, 8), new Uint8Array(8).fill(0xff));
    for (let n = 1; n <= 2000; n++) log.add(n);
    const full = ChangedNamespaceList.decode(log.readPage(new Uint8Array(4096)));
    assertEquals(nsidsOf(full.ns), [CHANGED_NS_LIST_OVERFLOW]);
  });

  await t.step("rejects NSID 0 and FFFFFFFFh", () => {
    const log = new ChangedNamespaceLog();
    assertThrows(() => log.add(0), InvalidNsidError, "use 1..");
    assertThrows(() => log.add(CHANGED_NS_LIST_OVERFLOW), InvalidNsidError);
  });
});

Deno.test("ChangedNamespaceLog property: saturates exactly when more than 1024 distinct", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 1400 }), { maxLength: 2500 }),
      (nsids) => {
        const log = new ChangedNamespaceLog();
        log.addAll(nsids);
        const distinct = [...new Set(nsids)].sort((a, b) => a - b);
        const want = distinct.length > NS_LIST_ENTRIES ? [CHANGED_NS_LIST_OVERFLOW] : distinct;
        assertEquals(log.read(), want);
      },
    ),
    { numRuns: 60 },
  );
});
