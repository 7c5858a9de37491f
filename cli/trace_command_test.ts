import { assert, assertEquals } from "@std/assert";
import { main } from "../cli.ts";
import { createDriver } from "../driver/linux/driver.ts";
import { recordScenario } from "./trace_command.ts";
import type { CliIo } from "./_io.ts";

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stderrIsTerminal: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

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
  const slices = json.traceEvents.filter((e: { ph: string }) => e.ph === "X");
  assert(slices.some((s: { name: string; tid: number }) => s.name === "Write" && s.tid === 1001));
  assert(slices.some((s: { name: string; tid: number }) => s.name === "Write" && s.tid === 2001));
});

Deno.test("trace: usage errors exit 2 with one line", async () => {
  for (const argv of [["--scenario", "nope"], ["--format", "xml"], ["--lba", "-1"], ["--bogus"]]) {
    const io = capture();
    assertEquals(await main(["trace", ...argv], io), 2, argv.join(" "));
    assertEquals(io.err.trim().split("\n").length, 1);
  }
});
