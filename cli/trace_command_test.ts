import { assert, assertEquals, assertMatch } from "@std/assert";
import { main } from "../cli.ts";
import { createDriver } from "../driver/linux/driver.ts";
import { QEMU_BINARY_ENV } from "../platform/qtest/options.ts";
import { qemuTest } from "../platform/qtest/_test_helpers.ts";
import { validateTraceJson } from "../platform/trace_perfetto_schema.ts";
import { recordScenario } from "./trace_command.ts";
import { captureIo as capture } from "./_test_helpers.ts";

Deno.test("trace: a read shows both sides in order (SQE, doorbell, fetch, CQE posted, consumed)", () => {
  const events = recordScenario("read", createDriver, { lba: 3, hostDelay: 0, deviceDelay: 0 });
  const order = [
    "sqe_written",
    "mmio_doorbell_sq",
    "io_cmd",
    "enqueue_req_completion",
    "cqe_consumed",
  ]
    .map((t) => events.findIndex((e) => e.type === t));
  assert(order.every((i) => i >= 0), `missing event: ${order}`);
  assertEquals([...order].sort((a, b) => a - b), order);
});

Deno.test("trace: a device delay widens the device slice, a host delay does not", () => {
  const span = (o: { hostDelay: number; deviceDelay: number }) => {
    const ev = recordScenario("read", createDriver, { lba: 0, ...o });
    const t = (type: string) => ev.find((e) => e.type === type)!.t;
    return { device: t("enqueue_req_completion") - t("io_cmd"), host: t("sqe_written") - ev[0].t };
  };
  const dev = span({ hostDelay: 0, deviceDelay: 50_000 });
  const hst = span({ hostDelay: 50_000, deviceDelay: 0 });
  assert(dev.device >= 50_000, `device part ${dev.device} ns`);
  assertEquals(hst.device, 0);
  assert(hst.host >= 50_000, `host part ${hst.host} ns`);
});

Deno.test("trace: perfetto output has a slice per command on the host and device tracks", async () => {
  const io = capture();
  const code = await main(["trace", "--scenario", "write", "--format", "perfetto"], io);
  assertEquals(code, 0);
  const json = JSON.parse(io.out);
  assertEquals(validateTraceJson(json), []);
  const slices = json.traceEvents.filter((e: { ph: string }) => e.ph === "X");
  assert(slices.some((s: { name: string; tid: number }) => s.name === "Write" && s.tid === 1001));
  assert(slices.some((s: { name: string; tid: number }) => s.name === "Write" && s.tid === 2001));
});

Deno.test("trace: every scenario's perfetto output passes the trace JSON schema", async () => {
  // Linux deletes its I/O queues in parallel: overlapping commands must not break nesting.
  for (const scenario of ["bringup", "identify", "read", "write", "shutdown"]) {
    for (const driver of ["linux", "spdk"]) {
      const io = capture();
      const argv = ["trace", "--scenario", scenario, "--driver", driver, "--format", "perfetto"];
      assertEquals(await main(argv, io), 0);
      assertEquals(validateTraceJson(JSON.parse(io.out)), [], argv.join(" "));
    }
  }
});

Deno.test("trace: usage errors exit 2 with one line", async () => {
  for (
    const argv of [
      ["--scenario", "nope"],
      ["--format", "xml"],
      ["--format", "constructor"],
      ["--lba", "-1"],
      ["--bogus"],
      ["--target", "fpga"],
      ["--target", "qemu", "--device-delay", "5"],
    ]
  ) {
    const io = capture();
    assertEquals(await main(["trace", ...argv], io), 2, argv.join(" "));
    assertEquals(io.err.trim().split("\n").length, 1);
  }
});

Deno.test("trace: --target qemu without QEMU says so in one line and exits 2", async () => {
  const before = Deno.env.get(QEMU_BINARY_ENV);
  Deno.env.set(QEMU_BINARY_ENV, "/nonexistent/qemu-system-x86_64");
  try {
    const io = capture();
    assertEquals(await main(["trace", "--target", "qemu"], io), 2);
    assertEquals(io.out, "");
    assertEquals(io.err.trim().split("\n").length, 1);
    assertMatch(io.err, /^nvme-harness: trace: --target qemu: .*not found: install QEMU/);
  } finally {
    if (before === undefined) Deno.env.delete(QEMU_BINARY_ENV);
    else Deno.env.set(QEMU_BINARY_ENV, before);
  }
});

/** Runs `trace --scenario read --target qemu --format <format>` and returns stdout. */
async function qemuRead(format: string): Promise<string> {
  const io = capture();
  const code = await main(
    ["trace", "--scenario", "read", "--target", "qemu", "--format", format],
    io,
  );
  assertEquals([code, io.err], [0, ""]);
  return io.out;
}

qemuTest(
  "trace --target qemu: QEMU's own lines interleaved with the host's (qemu format)",
  async () => {
    const lines = (await qemuRead("qemu")).trim().split("\n");
    const qemuPid = /^(\d+)@/.exec(lines.find((l) => l.includes(":pci_nvme_"))!)![1];
    const index = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      /^0@[\d.]+:host_sqe_written qid 1 slot \d+ opc 0x2 /,
      new RegExp(`^${qemuPid}@[\\d.]+:pci_nvme_mmio_doorbell_sq sqid 1 new_tail \\d+$`),
      /:pci_nvme_io_cmd cid \d+ nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'$/,
      /:pci_nvme_enqueue_req_completion cid \d+ cqid 1 .* status 0x0$/,
      /^0@[\d.]+:host_cqe_consumed qid 1 slot \d+ cid \d+ status 0x0 phase 1/,
    ].map(index);
    assert(order.every((i) => i >= 0), `missing line (${order}):\n${lines.join("\n")}`);
    assertEquals([...order].sort((a, b) => a - b), order, lines.join("\n"));
    // Every line is one of the two sources; QEMU's are not rewritten (its pid, its own text).
    for (const l of lines) {
      assertMatch(
        l,
        new RegExp(`^(0@[\\d.]+:host_|${qemuPid}@[\\d.]+:pci_nvme_)`),
      );
    }
  },
);

qemuTest("trace --target qemu: the timeline shows QEMU as the device side", async () => {
  const text = await qemuRead("timeline");
  assertMatch(text, /\n +[\d.]+ +host +Q1 +SQE -> slot \d+: Read /);
  assertMatch(text, /\n +[\d.]+ +qemu +Q1 +fetched Read cid /);
  assertMatch(text, /\n +[\d.]+ +qemu +Q1 +CQE posted: cid /);
  assertMatch(text, /\n +[\d.]+ +host +Q1 +CQE <- slot \d+: cid /);
});

qemuTest("trace --target qemu: perfetto JSON with a QEMU process beside the host's", async () => {
  const json = JSON.parse(await qemuRead("perfetto"));
  assertEquals(validateTraceJson(json), []);
  type Ev = { name: string; ph: string; pid: number; tid: number; args: { name?: string } };
  const events: Ev[] = json.traceEvents;
  const qemu = events.find((e) =>
    e.ph === "M" && e.name === "process_name" &&
    e.args.name?.startsWith("QEMU")
  )!;
  assert(qemu, "a process named QEMU");
  const slices = events.filter((e) => e.ph === "X" && e.name === "Read");
  assert(slices.some((s) => s.pid === qemu.pid && s.tid === 2001), "QEMU's Read on device Q1");
  assert(slices.some((s) => s.pid !== qemu.pid && s.tid === 1001), "the host's Read on host Q1");
});
