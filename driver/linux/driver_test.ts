import { assert, assertEquals, assertThrows } from "@std/assert";
import { NvmeController } from "../../controller/controller.ts";
import type { ControllerOptions } from "../../controller/options.ts";
import { Machine } from "../../platform/machine.ts";
import { MemoryTraceSink } from "../../platform/trace.ts";
import type { DevicePort, HostPort, NvmeFunction, ResetKind } from "../../platform/ports.ts";
import { CQE_SIZE } from "../../spec/cqe.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import { IdentifyNamespace } from "../../spec/identify_namespace.ts";
import { encodeControllerList } from "../../spec/ns_list.ts";
import { BlockDevice } from "../block_device.ts";
import { DriverError, HOST_ABORTED_STATUS } from "../model.ts";
import { runWorkload } from "../workload.ts";
import { LinuxDriver } from "./driver.ts";

/** A controller whose fatal path a test can trigger (CSTS.CFS). */
class Breakable extends NvmeController {
  crash(): void {
    this.fatal("test-induced controller fatal status");
  }
}

/** Wraps a function to drop or alter MMIO, as a hostile device would. */
class Hostile implements NvmeFunction {
  dropWrite: (offset: number, value: number) => boolean = () => false;
  /** Sees (and may change) every CQE the controller posts on an I/O CQ (one 16-byte DMA). */
  corruptCqe: (cqe: Uint8Array) => void = () => {};
  alterRead: (offset: number, value: number) => number = (_o, v) => v;
  constructor(readonly inner: NvmeFunction) {}
  get identity() {
    return this.inner.identity;
  }
  attach(port: DevicePort): void {
    const dmaWrite = (addr: number, src: Uint8Array, off = 0, len = src.length - off) => {
      if (len === CQE_SIZE && addr >= 2 ** 32) {
        const copy = src.slice(off, off + len);
        this.corruptCqe(copy);
        return port.dmaWrite(addr, copy, 0, len);
      }
      return port.dmaWrite(addr, src, off, len);
    };
    this.inner.attach(
      new Proxy(port, {
        get: (t, k) => {
          if (k === "dmaWrite") return dmaWrite;
          const v = Reflect.get(t, k);
          return typeof v === "function" ? v.bind(t) : v;
        },
      }),
    );
  }
  mmioRead(offset: number, size: 4 | 8): number {
    return this.alterRead(offset, this.inner.mmioRead(offset, size));
  }
  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (!this.dropWrite(offset, value)) this.inner.mmioWrite(offset, size, value);
  }
  reset(kind: ResetKind): void {
    this.inner.reset(kind);
  }
}

function setup(
  ctrl: Partial<ControllerOptions> = {},
  driver: Record<string, unknown> = {},
): { machine: Machine; host: HostPort; driver: LinuxDriver } {
  const machine = new Machine();
  const host = machine.attach(new NvmeController(ctrl));
  return { machine, host, driver: new LinuxDriver(host, driver) };
}

Deno.test("bring-up: queues as Linux creates them, CQ before SQ, ascending QID", () => {
  const { machine, host, driver } = setup({}, { cpus: 3, pollQueues: 1 });
  const sink = new MemoryTraceSink();
  machine.trace.addSink(sink);
  const info = driver.bringUp();
  assertEquals(info.ioQueues.map((q) => [q.qid, q.polled, q.vector]), [
    [1, false, 1],
    [2, false, 2],
    [3, false, 3],
    [4, true, 0],
  ]);
  assertEquals(info.ioQueues[0].depth, 1024);
  assert(info.shadowDoorbells);
  const creates = sink.events
    .filter((e) => e.type === "create_cq" || e.type === "create_sq")
    .map((e) => `${e.type}:${"sqid" in e ? e.sqid : (e as { cqid: number }).cqid}`);
  assertEquals(creates, [
    "create_cq:1",
    "create_sq:1",
    "create_cq:2",
    "create_sq:2",
    "create_cq:3",
    "create_sq:3",
    "create_cq:4",
    "create_sq:4",
  ]);
  assertEquals(host.findings.all(), []);
});

Deno.test("bring-up: uses what Number of Queues granted and MQES caps the depth", () => {
  const { host, driver } = setup({ maxIoQueuePairs: 2, mqes: 63 }, { cpus: 8 });
  const info = driver.bringUp();
  assertEquals(info.ioQueues.length, 2);
  assertEquals(info.ioQueues[0].depth, 64);
  assertEquals(host.findings.all(), []);
});

for (const qd of [1, 32, 1024]) {
  Deno.test(`I/O: mixed reads and writes at QD ${qd} over 4 contexts, data verified`, () => {
    const { host, driver } = setup({}, { cpus: 4 });
    driver.bringUp();
    const r = runWorkload(host, driver, {
      ios: qd * 3 + 50,
      queueDepth: qd,
      contexts: 4,
      seed: qd,
    });
    assertEquals([r.errors, r.mismatches, r.firstProblem], [0, 0, null]);
    assert(r.reads > 0 && r.writes > 0);
    assertEquals(host.findings.all(), []);
  });
}

Deno.test("I/O: odd dword offsets, multi-segment buffers, transfers up to MDTS", () => {
  const { host, driver } = setup({ mdts: 10 }, { cpus: 2, sglThreshold: 0 });
  driver.bringUp();
  for (
    const [blocks, offset, segments] of [[1, 4, 1], [9, 0x804, 1], [16, 0x100, 3], [
      8192,
      0xffc,
      4,
    ]]
  ) {
    const r = runWorkload(host, driver, {
      ios: 12,
      queueDepth: 4,
      blocks,
      bufferOffset: offset,
      segments,
      seed: blocks,
    });
    assertEquals([r.errors, r.mismatches, r.firstProblem], [0, 0, null], `${blocks} blocks`);
  }
  assertEquals(host.findings.all(), []);
});

Deno.test("I/O: SGLs past sgl_threshold, PRPs below it (PSDT in the SQEs written)", () => {
  const { machine, host, driver } = setup({ mdts: 8 }, { cpus: 1 });
  driver.bringUp();
  const sink = new MemoryTraceSink();
  machine.trace.addSink(sink);
  const psdts = () =>
    sink.events.flatMap((e) =>
      e.type === "sqe_written" && e.qid > 0 ? [(e.bytes![1] >> 6) & 3] : []
    );
  runWorkload(host, driver, { ios: 4, queueDepth: 1, blocks: 2 * 128, segments: 2, seed: 3 });
  assert(psdts().every((p) => p === 1), "64 KiB segments: SGL");
  sink.events.length = 0;
  runWorkload(host, driver, { ios: 4, queueDepth: 1, blocks: 16, segments: 2, seed: 4 });
  assert(psdts().every((p) => p === 0), "4 KiB segments: PRP");
  assertEquals(host.findings.all(), []);
});

Deno.test("shadow doorbells: MMIO doorbell writes per I/O drop in steady state", () => {
  // The controller polls the shadow buffer (EventIdx "polling" policy), so EventIdx stays ahead.
  const perIo = (shadow: boolean) => {
    const { machine, host, driver } = setup({ eventIdxPolicy: "polling" }, {
      cpus: 1,
      shadowDoorbells: shadow,
    });
    driver.bringUp();
    const before = machine.counters.mmioWrites;
    runWorkload(host, driver, { ios: 400, queueDepth: 8, seed: 9 });
    return (machine.counters.mmioWrites - before) / 400;
  };
  const mmio = perIo(false);
  const shadow = perIo(true);
  assert(shadow < mmio / 2, `shadow ${shadow} vs MMIO ${mmio} writes per I/O`);
});

Deno.test("poll queues and INTx both complete I/O", () => {
  for (const opts of [{ pollQueues: 1, cpus: 1 }, { interrupts: "intx", cpus: 2 }]) {
    const { host, driver } = setup({}, opts);
    driver.bringUp();
    const r = runWorkload(host, driver, {
      ios: 100,
      queueDepth: 4,
      polled: "pollQueues" in opts,
      seed: 5,
    });
    assertEquals([r.errors, r.mismatches], [0, 0], JSON.stringify(opts));
    assertEquals(host.findings.all(), []);
  }
});

Deno.test("reset mid-I/O ends in-flight commands, then I/O works again; shutdown is clean", () => {
  const { host, driver } = setup({}, { cpus: 1 });
  driver.bringUp();
  const disk = new BlockDevice(host, driver);
  disk.write(0, new Uint8Array(disk.blockSize).fill(7));
  disk.flush();
  const statuses: number[] = [];
  const buf = host.allocate(4096, 4096);
  for (let i = 0; i < 8; i++) {
    driver.submit(
      { opcode: 0x02, nsid: 1, cdw10: i, data: [{ addr: buf, length: 512 }] },
      (c) => statuses.push(c.status),
    );
  }
  driver.reset();
  assertEquals(statuses.length, 8);
  assert(statuses.every((s) => s === 0 || s === HOST_ABORTED_STATUS || s === 0x008), `${statuses}`);
  assertEquals(driver.inFlight, 0);
  assertEquals(new BlockDevice(host, driver).read(0, 1)[0], 7);
  driver.shutdown();
  assertEquals((host.read32(RegisterOffset.CSTS) >> 2) & 3, 2, "SHST complete");
  assertEquals(host.findings.all(), []);
});

Deno.test("hostile: CQEs with an unknown and a stale id are logged and dropped", () => {
  const machine = new Machine();
  const fn = new Hostile(new NvmeController());
  const host = machine.attach(fn);
  const driver = new LinuxDriver(host, { cpus: 1, ioTimeoutNs: 1e9 });
  driver.bringUp();
  // The device rewrites the CID of the next two I/O CQEs: an unissued tag, then a stale generation.
  const forged = [777, -1];
  fn.corruptCqe = (cqe) => {
    if (forged.length === 0) return;
    const cid = cqe[12] | (cqe[13] << 8);
    const f = forged.shift()!;
    const bad = f >= 0 ? f : cid ^ 0x1000; // same tag, other generation
    cqe[12] = bad & 0xff;
    cqe[13] = bad >>> 8;
  };
  const r = runWorkload(host, driver, { ios: 40, queueDepth: 4, seed: 2 });
  assert(driver.log.some((l) => l.message.includes("could not locate request for tag 0x309")));
  assert(driver.log.some((l) => l.message.includes("genctr mismatch")));
  // The two commands whose CQEs were lost time out, are aborted/reset, and the rest completes.
  assertEquals(r.completed, 40);
  assertEquals(r.mismatches, 0);
});

Deno.test("hostile: a controller that never sets RDY fails bring-up within CAP.TO", () => {
  const machine = new Machine();
  const fn = new Hostile(new NvmeController({ timeoutUnits: 4, crto: { crwmt: 4, crimt: 4 } }));
  fn.alterRead = (o, v) => (o === RegisterOffset.CSTS ? v & ~1 : v);
  const host = machine.attach(fn);
  const driver = new LinuxDriver(host);
  const e = assertThrows(() => driver.bringUp(), DriverError);
  assert(e.message.includes("Device not ready; aborting initialisation"), e.message);
  // ⌈TO/2⌉ s = 2 s after the enable, plus the disable wait before it.
  assert(host.now() <= 2e9 + 10e6, `gave up at ${host.now()} ns`);
  assertEquals(driver.state, "dead");
});

Deno.test("hostile: CSTS.CFS mid-I/O triggers a controller reset at the timeout", () => {
  const machine = new Machine();
  const ctrl = new Breakable();
  const host = machine.attach(ctrl);
  const driver = new LinuxDriver(host, { cpus: 1, ioTimeoutNs: 1e9 });
  driver.bringUp();
  const buf = host.allocate(4096, 4096);
  let status = -1;
  ctrl.crash();
  driver.submit({ opcode: 0x02, nsid: 1, data: [{ addr: buf, length: 512 }] }, (c) => {
    status = c.status;
  });
  while (status < 0) driver.wait(10e9);
  assertEquals(status, HOST_ABORTED_STATUS);
  assert(driver.log.some((l) => l.message.startsWith("controller is down; will reset")));
  assertEquals(driver.state, "live");
  const r = runWorkload(host, driver, { ios: 20, queueDepth: 2, seed: 8 });
  assertEquals([r.errors, r.mismatches], [0, 0]);
});

Deno.test("hostile: a completion that never comes → Abort, then reset on the second timeout", () => {
  const machine = new Machine();
  const fn = new Hostile(new NvmeController());
  const host = machine.attach(fn);
  // MMIO doorbells only: with shadow doorbells the controller would find the tail anyway.
  const driver = new LinuxDriver(host, { cpus: 1, ioTimeoutNs: 1e9, shadowDoorbells: false });
  driver.bringUp();
  // Swallow the next SQ 1 tail doorbell: the command sits in the SQ unseen.
  let swallow = true;
  fn.dropWrite = (o) => {
    if (o === 0x1008 && swallow) {
      swallow = false;
      return true;
    }
    return false;
  };
  const buf = host.allocate(4096, 4096);
  let done: { status: number; hostError: string | null } | null = null;
  driver.submit(
    { opcode: 0x02, nsid: 1, data: [{ addr: buf, length: 512 }], context: 0 },
    (c) => (done = { status: c.status, hostError: c.hostError }),
  );
  while (done === null) driver.wait(10e9);
  assert(driver.log.some((l) => l.message.includes("timeout, aborting")), "abort first");
  assert(driver.log.some((l) => l.message.includes("timeout, reset controller")), "then reset");
  assertEquals(driver.state, "live");
  const r = runWorkload(host, driver, { ios: 20, queueDepth: 2, seed: 6 });
  assertEquals([r.errors, r.mismatches], [0, 0]);
});

Deno.test("options: a bad module parameter is one clear DriverError", () => {
  const host = new Machine().attach(new NvmeController());
  assertThrows(() => new LinuxDriver(host, { ioQueueDepth: 5000 }), DriverError, "4095");
  assertThrows(() => new LinuxDriver(host, { queueDepth: 5 }), DriverError, "unknown option");
  assertThrows(() => new LinuxDriver(host, { cpus: "2" }), DriverError, "must be a number");
});

Deno.test("admin commands go through submit with admin: true", () => {
  const { host, driver } = setup();
  driver.bringUp();
  const disk = new BlockDevice(host, driver);
  const c = disk.exec({ admin: true, opcode: AdminOpcode.GET_FEATURES, cdw10: 0x07 });
  assertEquals(c.status, 0);
  assertEquals(c.sqid, 0);
});

Deno.test("bring-up: a failing Create I/O SQ → CQ deleted, retry with fewer queues", () => {
  const machine = new Machine();
  const host = machine.attach(new NvmeController());
  // Corrupt the Create I/O SQ for QID 3 on its way into the admin SQ (QSIZE beyond MQES), as a
  // controller refusing that queue would look to the driver.
  const proxied = new Proxy(host, {
    get(t, k) {
      if (k === "memWrite") {
        return (addr: number, src: Uint8Array, off = 0, len = src.length - off) => {
          const sqe = src.slice(off, off + len);
          if (len === 64 && sqe[0] === AdminOpcode.CREATE_IO_SQ && sqe[40] === 3) {
            sqe[42] = 0xff;
            sqe[43] = 0xff;
          }
          t.memWrite(addr, sqe, 0, len);
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  }) as HostPort;
  const driver = new LinuxDriver(proxied, { cpus: 4 });
  const info = driver.bringUp();
  assertEquals(info.ioQueues.map((q) => q.qid), [1, 2]);
  assert(driver.log.some((l) => l.message.includes("only 2 of 4 I/O queues created")));
  const r = runWorkload(host, driver, { ios: 100, queueDepth: 8, contexts: 4, seed: 4 });
  assertEquals([r.errors, r.mismatches], [0, 0]);
  assertEquals(host.findings.all(), []);
});

Deno.test("AER kept outstanding: a namespace attached later is found through the notice", () => {
  const { host, driver } = setup();
  driver.bringUp();
  assert(driver.core.aerOutstanding);
  const disk = new BlockDevice(host, driver);
  const buf = host.allocate(4096, 4096);
  host.memWrite(buf, IdentifyNamespace.encode({ nsze: 1024n, ncap: 1024n, flbas: 0 }));
  const created = disk.exec({
    admin: true,
    opcode: AdminOpcode.NS_MANAGEMENT,
    data: [{ addr: buf, length: 4096 }],
  });
  assertEquals(created.status, 0);
  host.memWrite(buf, encodeControllerList([0]));
  const attached = disk.exec({
    admin: true,
    opcode: AdminOpcode.NS_ATTACHMENT,
    nsid: created.dw0,
    data: [{ addr: buf, length: 4096 }],
  });
  assertEquals(attached.status, 0);
  driver.wait(1e6);
  assertEquals(driver.info!.namespaces.map((n) => n.nsid), [1, created.dw0]);
  assert(driver.core.aerOutstanding, "AER resubmitted");
});
