import { assert, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import { MemoryTraceSink } from "../../platform/trace.ts";
import { PciCommand, PciConfigOffset } from "../../platform/pci_config.ts";
import type { TraceEvent } from "../../platform/trace_events.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import { Psdt, SubmissionQueueEntry } from "../../spec/sqe.ts";
import { type DriverCompletion, DriverError, HOST_ABORTED_STATUS } from "../model.ts";
import {
  assertNoFindings,
  defineDriverScenarios,
  runIo,
  SEED,
  setup,
  submitSlowWrites,
} from "./_driver_scenarios_test_helpers.ts";
import { createDriver, SpdkDriver } from "./mod.ts";
import { TRACKER_BYTES, TRACKER_LIST_OFFSET } from "./prp_sgl.ts";
import { trackerCount } from "./tracker.ts";

defineDriverScenarios({
  name: "spdk",
  factory: createDriver,
  ioOptions: (depth, queues) => ({ ioQueueSize: depth, ioQueues: queues }),
  timeoutOptions: (ns, onTimeout) => ({ timeoutNs: ns, onTimeout }),
  largePages: true,
  selfRecovers: false,
});

function traced(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  const sink = new MemoryTraceSink();
  s.machine.trace.addSink(sink);
  return { ...s, events: () => sink.events as readonly TraceEvent[] };
}

Deno.test("spdk: bad options are DriverErrors naming the option", () => {
  const { host } = setup();
  for (
    const [opts, name] of [
      [{ ioQueues: 0 }, "ioQueues"],
      [{ ioQueueSize: 1 }, "ioQueueSize"],
      [{ adminQueueSize: 5000 }, "adminQueueSize"],
      [{ sgl: "yes" }, "sgl"],
      [{ timeoutNs: -1 }, "timeoutNs"],
      [{ onTimeout: 3 }, "onTimeout"],
      [{ timeoutAction: "abort" }, "timeoutAction"],
      [{ ioQueue: 2 }, "ioQueue"],
    ] as const
  ) {
    assertThrows(() => createDriver(host, opts), DriverError, name);
  }
});

Deno.test("spdk: bring-up follows SPDK's order (ASQ, ACQ, AQA; one CC write; DBBUF before queues)", () => {
  const { host, events } = traced();
  const driver = new SpdkDriver(host, { ioQueues: 2 });
  const info = driver.bringUp();
  const writes = events().flatMap((e) =>
    e.type === "mmio_write" && e.addr < 0x1000 ? [e.addr] : []
  );
  const R = RegisterOffset;
  const order = writes.filter((a) => [R.ASQ, R.ACQ, R.AQA, R.CC].includes(a as 0x28));
  assertEquals(order, [R.ASQ, R.ACQ, R.AQA, R.CC], "ASQ, ACQ, then AQA; CC once");
  const admin = events().flatMap((e) => e.type === "admin_cmd" ? [e.opcode] : []);
  const dbbuf = admin.indexOf(AdminOpcode.DOORBELL_BUFFER_CONFIG);
  assert(dbbuf >= 0 && dbbuf < admin.indexOf(AdminOpcode.CREATE_IO_CQ), "DBBUF before queues");
  assertEquals(
    admin.filter((o) => o === AdminOpcode.CREATE_IO_CQ || o === AdminOpcode.CREATE_IO_SQ),
    [
      AdminOpcode.CREATE_IO_CQ,
      AdminOpcode.CREATE_IO_SQ,
      AdminOpcode.CREATE_IO_CQ,
      AdminOpcode.CREATE_IO_SQ,
    ],
  );
  for (const e of events()) {
    if (e.type === "create_cq" && e.cqid > 0) assertEquals([e.ien, e.qflags & 1], [0, 1]);
  }
  const pci = host.configRead(PciConfigOffset.COMMAND, 2);
  assertEquals(
    pci & (PciCommand.BUS_MASTER | PciCommand.INTX_DISABLE),
    PciCommand.BUS_MASTER | PciCommand.INTX_DISABLE,
  );
  assert(info.shadowDoorbells && info.sglSupported);
  assertEquals(info.adminQueueDepth, 256);
  assertEquals(info.ioQueues.map((q) => [q.qid, q.depth, q.polled]), [[1, 256, true], [
    2,
    256,
    true,
  ]]);
  assertEquals(info.maxTransferBytes, 128 * 4096, "MDTS 7 of 4 KiB pages");
  driver.shutdown();
  assertNoFindings(host);
});

Deno.test("spdk: trackers are entries - clamp(entries/4, 1, 128); CID = tracker index", () => {
  assertEquals([2, 16, 256, 1024, 4096].map(trackerCount), [1, 12, 192, 896, 3968]);
  const { host, events } = traced();
  const driver = new SpdkDriver(host, { ioQueueSize: 16 });
  driver.bringUp();
  const qp = driver.ioQueuePairs[0];
  assertEquals(qp.numTrackers, 12);
  const ends = submitSlowWrites(host, driver, 12);
  assert(!driver.submit({ opcode: NvmOpcode.FLUSH, nsid: 1 }, () => {}), "no tracker left");
  const cids = events().flatMap((e) => e.type === "sqe_written" && e.qid === 1 ? [e.cid] : []);
  assertEquals(new Set(cids).size, 12);
  assert(cids.every((c) => c >= 0 && c < 12));
  while (ends.length < 12) driver.wait(1e9);
  driver.shutdown();
  assertNoFindings(host);
});

Deno.test("spdk: PRP2 points into the tracker page at offset 0x48; SGL when supported", () => {
  for (const sgl of [false, true]) {
    const { host, events } = traced({ sgl: "dword" });
    const driver = new SpdkDriver(host, { sgl });
    driver.bringUp();
    const buf = host.allocate(4 * 4096, 4096);
    let done: DriverCompletion | null = null;
    const data = [{ addr: buf + 0x200, length: 3 * 4096 }];
    driver.submit({ opcode: NvmOpcode.READ, nsid: 1, cdw12: 23, data }, (c) => (done = { ...c }));
    while (!done) driver.wait(1e9);
    const sqe = events().flatMap((e) => e.type === "sqe_written" && e.qid === 1 ? [e.bytes!] : []);
    const decoded = SubmissionQueueEntry.decode(sqe[0]);
    if (sgl) {
      assertEquals(decoded.psdt, Psdt.SGL_MPTR_CONTIG, "one contiguous segment: a Data Block");
    } else {
      assertEquals(decoded.psdt, Psdt.PRP);
      assertEquals(decoded.prp1, BigInt(buf + 0x200));
      assertEquals(Number(decoded.prp2) % TRACKER_BYTES, TRACKER_LIST_OFFSET);
    }
    const admin = events().flatMap((e) =>
      e.type === "sqe_written" && e.qid === 0 ? [e.bytes!] : []
    );
    assert(admin.every((b) => SubmissionQueueEntry.decode(b).psdt === Psdt.PRP), "admin: PRP");
    driver.shutdown();
    assertNoFindings(host);
  }
});

Deno.test("spdk: shadow doorbells reduce MMIO doorbell writes in steady state", () => {
  const perIo: Record<string, number> = {};
  for (
    const [label, ctrl, shadow] of [
      ["mmio", {}, false],
      ["shadow", {}, true],
      ["shadow, polling EventIdx", { eventIdxPolicy: "polling" as const }, true],
    ] as const
  ) {
    const { host } = setup(ctrl);
    const driver = new SpdkDriver(host, { shadowDoorbells: shadow });
    assertEquals(driver.bringUp().shadowDoorbells, shadow);
    runIo(host, driver, { commands: 50, queueDepth: 8 }); // warm up
    const before = { ...host.counters };
    runIo(host, driver, { commands: 800, queueDepth: 8, scatter: false, seed: SEED + 7 });
    const mmio = host.counters.sqDoorbellWrites + host.counters.cqDoorbellWrites -
      before.sqDoorbellWrites - before.cqDoorbellWrites;
    perIo[label] = mmio / 800;
    if (shadow) assertGreater(driver.stats.sqShadowUpdates, 0);
    driver.shutdown();
    assertNoFindings(host);
  }
  assertLess(perIo["shadow"], perIo["mmio"], JSON.stringify(perIo));
  assertLess(perIo["shadow, polling EventIdx"], perIo["shadow"], JSON.stringify(perIo));
});

Deno.test("spdk: delayCmdSubmit and `more` batch the SQ doorbell", () => {
  for (const mode of ["delay", "more"] as const) {
    const { host } = setup({ shadowDoorbells: false });
    const driver = new SpdkDriver(host, { delayCmdSubmit: mode === "delay" });
    driver.bringUp();
    const ns = driver.info!.namespaces[0];
    const buf = host.allocate(ns.blockSize, 4096);
    const before = host.counters.sqDoorbellWrites;
    let ended = 0;
    for (let i = 0; i < 6; i++) {
      const more = mode === "more" && i < 5;
      const data = [{ addr: buf, length: ns.blockSize }];
      driver.submit({ opcode: NvmOpcode.READ, nsid: ns.nsid, data, more }, () => ended++);
      if (i < 5) assertEquals(host.counters.sqDoorbellWrites, before, `${mode}: no ring yet`);
    }
    if (mode === "delay") driver.processCompletions();
    assertEquals(host.counters.sqDoorbellWrites, before + 1, `${mode}: one ring for six`);
    while (ended < 6) driver.wait(1e9);
    driver.shutdown();
    assertNoFindings(host);
  }
});

Deno.test("spdk: maxCompletions bounds each processCompletions per qpair", () => {
  const { host } = setup();
  const driver = new SpdkDriver(host, { maxCompletions: 3 });
  driver.bringUp();
  const ends = submitSlowWrites(host, driver, 10);
  host.sleep(1_000_000); // all ten posted
  assertEquals(driver.processCompletions(), 3);
  assertEquals(driver.processCompletions(), 3);
  while (ends.length < 10) driver.processCompletions();
  driver.shutdown();
  assertNoFindings(host);
});

Deno.test("spdk: unknown and stale CIDs are counted and dropped", () => {
  for (const cid of [0xfffe, 100]) {
    const { host, ctrl } = setup();
    const driver = new SpdkDriver(host, { timeoutNs: 20e6, onTimeout: () => {} });
    driver.bringUp();
    ctrl.rewriteNextIoCid = cid; // 100: in range, but a free tracker
    const ends = submitSlowWrites(host, driver, 1);
    for (let i = 0; i < 10; i++) driver.wait(10e6);
    assertEquals(driver.stats.invalidCompletions, 1);
    assertEquals([ends.length, driver.inFlight], [0, 1]);
    driver.reset();
    assertEquals(ends.map((c) => [c.status, c.hostError]), [[HOST_ABORTED_STATUS, "timeout"]]);
    driver.shutdown();
    assertNoFindings(host);
  }
});

Deno.test("spdk: SQ heads outside [head, tail] are ignored; the tail never passes the head", () => {
  const { host, ctrl } = setup();
  const driver = new SpdkDriver(host, { ioQueueSize: 16 });
  driver.bringUp();
  const one = () => {
    const ends = submitSlowWrites(host, driver, 1);
    while (ends.length === 0) driver.wait(1e9);
    assertEquals(ends[0].status, 0);
  };
  for (const bogus of [0xffff, 9]) { // outside the queue; ahead of the tail
    ctrl.ioSqhd = bogus;
    one();
  }
  assertEquals(driver.stats.invalidSqHeads, 2);
  assertEquals(driver.ioQueuePairs[0].sqHead, 0, "still the last valid SQHD");
  ctrl.ioSqhd = 0; // a device that never reports progress: 15 of 16 slots, then the SQ is full
  for (let i = 2; i < 15; i++) one();
  assertEquals(driver.inFlight, 0, "trackers are free");
  assert(!driver.submit({ opcode: NvmOpcode.FLUSH, nsid: 1 }, () => {}), "but the SQ is full");
  ctrl.ioSqhd = null;
  driver.reset();
  runIo(host, driver, { commands: 100, queueDepth: 8 });
  driver.shutdown();
  assertNoFindings(host);
});

Deno.test("spdk: timeoutAction reset recovers by itself (bdev_nvme reset-on-timeout)", () => {
  const { host, ctrl } = setup({ shadowDoorbells: false });
  let reported = 0;
  const driver = new SpdkDriver(host, {
    timeoutNs: 20e6,
    timeoutAction: "reset",
    onTimeout: () => reported++,
  });
  driver.bringUp();
  ctrl.swallowNextIoSqDoorbell = true;
  const ends = submitSlowWrites(host, driver, 1);
  while (ends.length === 0) driver.wait(10e6);
  assertEquals([reported, ends[0].hostError], [1, "timeout"]);
  runIo(host, driver, { commands: 50, queueDepth: 4 });
  driver.shutdown();
  assertNoFindings(host);
});

Deno.test("spdk: CFS is noticed by a wait: commands end dead, reset recovers", () => {
  const { host, ctrl } = setup({ commandLatencyNs: 50_000_000 });
  const driver = new SpdkDriver(host);
  driver.bringUp();
  const ends = submitSlowWrites(host, driver, 4);
  host.sleep(1_000_000);
  ctrl.injectFatal();
  while (ends.length < 4) driver.wait(1e9);
  assertEquals(ends.map((c) => c.hostError), ["dead", "dead", "dead", "dead"]);
  assert(driver.warnings.some((w) => w.includes("CFS")));
  const late = submitSlowWrites(host, driver, 1);
  driver.processCompletions();
  assertEquals(late.map((c) => c.hostError), ["dead"]);
  driver.reset();
  runIo(host, driver, { commands: 50, queueDepth: 4 });
  driver.shutdown();
  assertNoFindings(host, true);
});

Deno.test("spdk: 8 KiB pages (CAP.MPSMIN 1): CC.MPS 1 and 8 KiB-aligned queues", () => {
  const { host } = setup({ mpsmin: 1 });
  const driver = new SpdkDriver(host);
  const info = driver.bringUp();
  assertEquals(info.pageSize, 8192);
  assertEquals((host.read32(RegisterOffset.CC) >>> 7) & 0xf, 1);
  for (const qp of driver.ioQueuePairs) assertEquals([qp.sqAddr % 8192, qp.cqAddr % 8192], [0, 0]);
  runIo(host, driver, { commands: 100, queueDepth: 8, maxBlocks: 64 });
  driver.shutdown();
  assertNoFindings(host);
});
