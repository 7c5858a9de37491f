import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { hex } from "./client.ts";
import { QtestArgumentError, QtestProtocolError, withStderr } from "./errors.ts";
import { ALLOC_BASE } from "./machine.ts";
import { qemuTest, withQemu } from "./_test_helpers.ts";

Deno.test("client: arguments QEMU would assert on are refused before sending", () => {
  assertEquals(hex(0xe0000000, "address"), "0xe0000000");
  assertEquals(hex(0xffff_ffff_ffff_ffffn, "value"), "0xffffffffffffffff");
  for (const bad of [-1, 1.5, NaN, 2 ** 53]) {
    assertThrows(() => hex(bad, "address"), QtestArgumentError);
  }
  assertThrows(() => hex(1n << 64n, "value"), QtestArgumentError);
  assertThrows(() => hex(0x10000, "port", 0xffff), QtestArgumentError);
});

Deno.test("errors: QEMU's stderr is quoted, its tail when long", () => {
  assertEquals(withStderr("x", " "), "x (QEMU stderr was empty)");
  const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
  const m = withStderr("boom", long);
  assertMatch(m, /^boom\nQEMU stderr \(last 20 lines\):\nline 10\n/);
});

qemuTest("client: replies, FAIL answers and empty transfers", async () => {
  await withQemu({}, ({ host }) => {
    const q = host.client;
    assertEquals(q.command("endianness"), "little");
    const e = assertThrows(() => q.command("no_such_command"), QtestProtocolError);
    assertMatch(e.message, /FAIL Unknown command 'no_such_command'/);
    assertEquals(q.command("endianness"), "little", "QEMU keeps answering after a FAIL");
    const trips = q.roundTrips;
    q.b64read(ALLOC_BASE, new Uint8Array());
    q.b64write(ALLOC_BASE, new Uint8Array());
    q.memset(ALLOC_BASE, 0, 1);
    assertEquals(q.roundTrips, trips, "zero-length transfers are not sent (read 0 kills QEMU)");
    q.writeq(ALLOC_BASE, 0x1122334455667788n);
    assertEquals(q.readq(ALLOC_BASE), 0x1122334455667788n);
    assertEquals(q.read(ALLOC_BASE + 1, 2), 0x6677);
    q.write(ALLOC_BASE, 1, 0x1ff);
    assertEquals(q.read(ALLOC_BASE, 1), 0xff, "values are cut to the access width");
  });
});
