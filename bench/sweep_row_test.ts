import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createDriver as linux } from "../driver/linux/driver.ts";
import { DriverError } from "../driver/model.ts";
import {
  DEFAULT_COST_MODEL,
  hostCpuNsPerIo,
  parseCostOverrides,
  qd1FloorNs,
} from "./cost_model.ts";
import {
  COALESCING_OFF,
  COALESCING_SETTINGS,
  type CompletionMode,
  type DoorbellMode,
  fullMatrix,
  quickMatrix,
  type RowConfig,
  seriesKey,
} from "./sweep_matrix.ts";
import { controllerOptionsFor, driverSetupFor, runRow } from "./sweep_row.ts";

const IOS = 200;
const run = { ios: IOS, seed: 7 };

function row(
  completion: CompletionMode,
  doorbell: DoorbellMode,
  qd: number,
  extra: Partial<RowConfig> = {},
): RowConfig {
  return {
    driver: "linux",
    completion,
    doorbell,
    coalescing: COALESCING_OFF,
    qd,
    queues: 1,
    workload: "randread",
    ...extra,
  };
}

Deno.test("the full matrix has every applicable combination and nothing else", () => {
  const rows = fullMatrix();
  // linux: interrupt and hybrid × 3 doorbells × 4 coalescing, polled × 3 × 1; spdk: polled × 3.
  const perDepthQueueWorkload = 2 * 3 * 4 + 3 + 3;
  assertEquals(rows.length, perDepthQueueWorkload * 8 * 3 * 2);
  assert(!rows.some((r) => r.driver === "spdk" && r.completion !== "polled"));
  assert(!rows.some((r) => r.completion === "polled" && r.coalescing !== COALESCING_OFF));
  const keys = new Set(rows.map((r) => `${seriesKey(r)} ${r.qd}`));
  assertEquals(keys.size, rows.length, "no duplicates");
  const full = new Set(keys);
  for (const q of quickMatrix()) assert(full.has(`${seriesKey(q)} ${q.qd}`), seriesKey(q));
});

Deno.test("row set-up: doorbell scheme and cost model become controller options", () => {
  const cost = parseCostOverrides(["doorbellNotifyNs=123", "mediaWriteNs=9"]);
  const poll = controllerOptionsFor({ doorbell: "shadow-eventidx-polling" }, cost);
  assertEquals(poll.shadowDoorbells, true);
  assertEquals(poll.eventIdxPolicy, "polling");
  assertEquals(poll.doorbellLatencyNs, 123);
  assertEquals(poll.latency, { kind: "fixed", ns: cost.mediaReadNs, writeNs: 9 });
  assertEquals(controllerOptionsFor({ doorbell: "mmio" }, cost).shadowDoorbells, false);
  const hybrid = driverSetupFor({
    driver: "linux",
    completion: "hybrid",
    doorbell: "mmio",
    queues: 2,
  });
  assertEquals(hybrid.options, { cpus: 2, pollQueues: 1, shadowDoorbells: false });
  assertEquals(hybrid.polled, "hot");
  const spdk = driverSetupFor({
    driver: "spdk",
    completion: "polled",
    doorbell: "shadow-eventidx-interrupt",
    queues: 4,
  });
  assertEquals(spdk.options, { ioQueues: 4, shadowDoorbells: true });
});

Deno.test("QD1, interrupts, MMIO doorbells: two MMIO writes, one interrupt, one wake-up", () => {
  const r = runRow(row("interrupt", "mmio", 1), linux, DEFAULT_COST_MODEL, run);
  assertEquals(r.error, null);
  assertEquals(r.ios, IOS);
  assertEquals(r.sqTailMmioPerIo, 1);
  assertEquals(r.cqHeadMmioPerIo, 1);
  assertEquals(r.mmioWritesPerIo, 2);
  assertEquals(r.interruptsPerIo, 1);
  assertEquals(r.wakeupsPerIo, 1);
  assertEquals(r.pollsPerIo, 0);
  assertEquals(r.findings, 0);
  // Nothing overlaps at QD1: the latency is the device path plus the SQ doorbell exit, the
  // interrupt and the wake-up; the CQ head exit follows the completion and delays the next one.
  const c = DEFAULT_COST_MODEL;
  const latency = qd1FloorNs(c, false) + c.mmioExitNs + c.interruptNs + c.wakeupNs;
  assertEquals(r.meanLatencyNs, latency);
  assertEquals(r.p99LatencyNs, latency);
  assert(Math.abs(1e9 / r.iops - (latency + c.mmioExitNs)) < 1e-6, `${1e9 / r.iops}`);
  assertEquals(
    r.hostCpuNsPerIo,
    hostCpuNsPerIo({ mmio: 2, interrupts: 1, wakeups: 1, polls: 0 }, DEFAULT_COST_MODEL),
  );
  assert(r.vcpuBusy > 0 && r.vcpuBusy < 1, "the vCPU idles while the media works");
});

Deno.test("costs move latency: a dearer exit adds exactly its difference at QD1", () => {
  const cheap = runRow(row("interrupt", "mmio", 1), linux, DEFAULT_COST_MODEL, run);
  const dear = runRow(
    row("interrupt", "mmio", 1),
    linux,
    parseCostOverrides([`mmioExitNs=${DEFAULT_COST_MODEL.mmioExitNs + 1000}`]),
    run,
  );
  assertEquals(dear.meanLatencyNs - cheap.meanLatencyNs, 1000);
  assert(dear.iops < cheap.iops);
  assertEquals(dear.mmioWritesPerIo, cheap.mmioWritesPerIo, "counts do not depend on costs");
});

Deno.test("polled completion raises no interrupt and polls instead", () => {
  for (const qd of [1, 8]) {
    const r = runRow(row("polled", "mmio", qd), linux, DEFAULT_COST_MODEL, run);
    assertEquals(r.error, null);
    assertEquals(r.interruptsPerIo, 0, `QD${qd}`);
    assertEquals(r.wakeupsPerIo, 0);
    // One SQ doorbell per submission; the window's edges may hold up to QD more or fewer.
    assert(Math.abs(r.sqTailMmioPerIo - 1) <= qd / IOS, `${r.sqTailMmioPerIo}`);
  }
  const qd1 = runRow(row("polled", "mmio", 1), linux, DEFAULT_COST_MODEL, run);
  assert(qd1.pollsPerIo > 1, `${qd1.pollsPerIo}`);
});

Deno.test("hybrid completion polls the hot half and interrupts for the rest", () => {
  const r = runRow(row("hybrid", "mmio", 8, { queues: 2 }), linux, DEFAULT_COST_MODEL, run);
  assertEquals(r.error, null);
  assert(r.interruptsPerIo > 0 && r.interruptsPerIo < 1, `${r.interruptsPerIo}`);
});

Deno.test("shadow doorbells with the polling EventIdx policy need no MMIO at all", () => {
  for (const qd of [1, 4, 16]) {
    const r = runRow(
      row("interrupt", "shadow-eventidx-polling", qd),
      linux,
      DEFAULT_COST_MODEL,
      run,
    );
    assertEquals(r.error, null);
    assertEquals(r.mmioWritesPerIo, 0, `QD${qd}`);
    assert(r.shadowPollsPerIo > 0);
  }
  const mmio = runRow(row("interrupt", "mmio", 4), linux, DEFAULT_COST_MODEL, run);
  assertEquals(mmio.shadowPollsPerIo, 0);
});

Deno.test("interrupt coalescing: fewer interrupts per I/O as the threshold grows", () => {
  const irq = COALESCING_SETTINGS.map((coalescing) =>
    runRow(row("interrupt", "mmio", 16, { coalescing }), linux, DEFAULT_COST_MODEL, run)
  );
  for (const r of irq) assertEquals(r.error, null);
  for (let i = 1; i < irq.length; i++) {
    assert(
      irq[i].interruptsPerIo < irq[i - 1].interruptsPerIo,
      `${irq[i].coalescingLabel}: ${irq[i].interruptsPerIo} vs ${irq[i - 1].interruptsPerIo}`,
    );
    // THR + 1 completions per interrupt at a depth above every threshold.
    const threshold = COALESCING_SETTINGS[i].threshold;
    assert(irq[i].interruptsPerIo <= 1 / threshold + 0.05, `${irq[i].interruptsPerIo}`);
    assert(irq[i].coalescedPerIo > 0);
  }
  // Below the threshold the 100 µs aggregation time decides: latency pays for it.
  const qd1 = runRow(
    row("interrupt", "mmio", 1, { coalescing: COALESCING_SETTINGS[2] }),
    linux,
    DEFAULT_COST_MODEL,
    run,
  );
  assert(qd1.meanLatencyNs >= 100_000, `${qd1.meanLatencyNs}`);
});

Deno.test("random writes run through the same path", () => {
  const r = runRow(
    row("interrupt", "mmio", 1, { workload: "randwrite" }),
    linux,
    DEFAULT_COST_MODEL,
    run,
  );
  assertEquals(r.errors, 0);
  const c = DEFAULT_COST_MODEL;
  assertEquals(r.meanLatencyNs, qd1FloorNs(c, true) + c.mmioExitNs + c.interruptNs + c.wakeupNs);
});

Deno.test("a driver that cannot come up fails its row, not the sweep", () => {
  const broken = () => {
    throw new DriverError("no controller today");
  };
  const r = runRow(row("interrupt", "mmio", 2), broken, DEFAULT_COST_MODEL, run);
  assertStringIncludes(r.error!, "no controller today");
  assert(Number.isNaN(r.mmioWritesPerIo) && Number.isNaN(r.iops));
  assertEquals(r.series, seriesKey(row("interrupt", "mmio", 2)));
});
