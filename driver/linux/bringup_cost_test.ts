import { assert, assertEquals, assertNotStrictEquals } from "@std/assert";
import { NvmeController } from "../../controller/controller.ts";
import { NvmSubsystem } from "../../controller/subsystem.ts";
import { Machine } from "../../platform/machine.ts";
import type { HostPort } from "../../platform/ports.ts";
import { Cns } from "../../spec/admin_commands.ts";
import { cidGeneration, cidTag, makeCid } from "../../spec/command_id.ts";
import { IDENTIFY_DATA_SIZE, IdentifyController } from "../../spec/identify_controller.ts";
import { formatIndex, IdentifyNamespace, lbaDataBytes } from "../../spec/identify_namespace.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { BlockDevice } from "../block_device.ts";
import type { DriverCompletion } from "../model.ts";
import { LinuxDriver } from "./driver.ts";

/** Identify `cns` through the driver's submit path, decoded by the caller. */
function identifyRaw(host: HostPort, driver: LinuxDriver, cns: number, nsid = 0): Uint8Array {
  const buf = host.allocate(IDENTIFY_DATA_SIZE, IDENTIFY_DATA_SIZE);
  const c = new BlockDevice(host, driver).exec({
    admin: true,
    opcode: AdminOpcode.IDENTIFY,
    nsid,
    cdw10: cns,
    data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
  });
  assertEquals(c.status, 0);
  const out = new Uint8Array(IDENTIFY_DATA_SIZE);
  host.memRead(buf, out);
  host.free(buf);
  return out;
}

Deno.test("tags: none allocated at bring-up; handed out as blk-mq's preloaded free stack", () => {
  const host = new Machine().attach(new NvmeController());
  const driver = new LinuxDriver(host, { cpus: 1 });
  const ns = driver.bringUp().namespaces[0];
  const q = driver.core.io[0];
  assertEquals(q.tagCount, q.depth - 1);
  assertEquals(q.tags.length, 0, "no request slot exists before its tag is used");
  // Oracle: every tag on a stack, lowest on top; a completed tag goes back on top.
  const stack = Array.from({ length: q.tagCount }, (_, i) => q.tagCount - 1 - i);
  const generation = new Array<number>(q.tagCount).fill(0);
  const buf = host.allocate(4096, 4096);
  let seen = 0;
  for (const batch of [3, 2, 5, 1, 4]) {
    const expected: number[] = [];
    const done = (c: DriverCompletion) => {
      assertEquals(c.status, 0);
      const tag = cidTag(c.cid);
      assert(expected.includes(makeCid(tag, generation[tag])), `unexpected CID ${c.cid}`);
      assertEquals(cidGeneration(c.cid), generation[tag] & 0xf);
      generation[tag]++;
      stack.push(tag);
      seen++;
    };
    for (let i = 0; i < batch; i++) {
      const tag = stack.pop()!;
      expected.push(makeCid(tag, generation[tag]));
      const cmd = { opcode: NvmOpcode.READ, nsid: ns.nsid, cdw12: 0 };
      assert(driver.submit({ ...cmd, data: [{ addr: buf, length: ns.blockSize }] }, done));
    }
    while (driver.inFlight > 0) driver.wait(1e9);
  }
  assertEquals(seen, 15);
  assertEquals(q.tags.length, 5, "slots exist for the most tags ever in flight at once");
  assertEquals(host.findings.all(), []);
});

Deno.test("Identify Controller: each bring-up gets its own value, equal to a full decode", () => {
  const rigs = ["SERIAL-A", "SERIAL-B"].map((serial) => {
    const host = new Machine().attach(new NvmeController({ serial }));
    return { host, driver: new LinuxDriver(host, { cpus: 1 }) };
  });
  // A, B, A again: the decoded value follows the bytes, whatever was decoded before.
  const values = [0, 1, 0, 1].map((i) => rigs[i].driver.bringUp().identify);
  for (const [i, v] of values.entries()) {
    const { host, driver } = rigs[i % 2];
    const expected = IdentifyController.decode(identifyRaw(host, driver, Cns.CONTROLLER));
    assertEquals(v, expected);
    assertEquals(Object.keys(v), Object.keys(expected));
  }
  assertEquals(values.map((v) => v.sn.trim()), ["SERIAL-A", "SERIAL-B", "SERIAL-A", "SERIAL-B"]);
  // Nothing is shared: changing the last value leaves the next one (same bytes) as decoded.
  const last = values[3];
  last.vs[0] ^= 0xff;
  last.psd[0].mp ^= 1;
  last.sn = "changed";
  const again = rigs[1].driver.bringUp().identify;
  assertNotStrictEquals(again.vs, last.vs);
  assertNotStrictEquals(again.psd[0], last.psd[0]);
  assertEquals(again, values[1]);
});

Deno.test("Identify Namespace: sizes and formats as a full decode gives them", () => {
  const subsystem = new NvmSubsystem({
    thinProvisioning: true,
    lbaFormats: [{ ms: 0, lbads: 9 }, { ms: 8, lbads: 12 }],
    namespaces: [{ nsze: 2048, flbas: 1 }, { nsze: 4096, ncap: 1024, flbas: 0 }],
  });
  const host = new Machine().attach(new NvmeController({}, subsystem));
  const driver = new LinuxDriver(host, { cpus: 1 });
  const found = driver.bringUp().namespaces;
  assertEquals(found.length, 2);
  for (const n of found) {
    const ns = IdentifyNamespace.decode(identifyRaw(host, driver, Cns.NAMESPACE, n.nsid));
    const lbaf = ns.lbaf[formatIndex(ns.flbas)];
    assertEquals(n, {
      nsid: n.nsid,
      blocks: Number(ns.nsze),
      capacity: Number(ns.ncap),
      blockSize: lbaDataBytes(lbaf.ds),
      metadataSize: lbaf.ms,
    });
  }
  assertEquals(found.map((n) => [n.blocks, n.capacity, n.blockSize, n.metadataSize]), [
    [2048, 2048, 4096, 8],
    [4096, 1024, 512, 0],
  ]);
});
