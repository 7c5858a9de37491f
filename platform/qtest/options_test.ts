import { assertEquals, assertThrows } from "@std/assert";
import { InvalidArgumentError } from "../errors.ts";
import { parseQemuVersion } from "./available.ts";
import { qemuArgs, resolveQemuOptions } from "./options.ts";

Deno.test("options: defaults are QEMU 7.2's verified machine with one 1 GiB file namespace", () => {
  const o = resolveQemuOptions({ binary: "qemu-system-x86_64" });
  assertEquals(o.namespaces, [{
    sizeBytes: 2 ** 30,
    blockSize: 512,
    backing: "file",
    properties: {},
  }]);
  assertEquals([o.memoryMiB, o.accel, o.watchdogMs], [512, "tcg", 5000]);
  const args = qemuArgs(o, { mediaPaths: ["/tmp/x/ns1.raw"] });
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  assertEquals([at("-M"), at("-accel"), at("-qtest"), at("-qtest-log")], [
    "q35",
    "tcg",
    "stdio",
    "/dev/null",
  ]);
  for (const f of ["-S", "-nodefaults"]) assertEquals(args.includes(f), true, f);
  assertEquals(at("-device"), "nvme,id=nvme0,serial=nvme-harness,addr=04.0");
  assertEquals(
    at("-blockdev"),
    "driver=raw,file.driver=file,file.filename=/tmp/x/ns1.raw,node-name=ns1",
  );
  assertEquals(args.includes("-trace"), false);
});

Deno.test("options: namespaces, device properties and QEMU tracing become arguments", () => {
  const o = resolveQemuOptions({
    serial: "s1",
    namespaces: [{ backing: "null", sizeBytes: 1 << 20 }, {
      blockSize: 4096,
      properties: { "eui64-default": true },
    }],
    deviceProperties: { mdts: 5, max_ioqpairs: 4 },
    qemuTrace: "pci_nvme_*",
  });
  const args = qemuArgs(o, { mediaPaths: ["", "/m/ns2.raw"], tracePath: "/m/trace.txt" });
  const all = args.join(" ");
  for (
    const part of [
      "nvme,id=nvme0,serial=s1,addr=04.0,mdts=5,max_ioqpairs=4",
      "driver=null-co,read-zeroes=on,size=1048576,node-name=ns1",
      "nvme-ns,drive=ns1,bus=nvme0,nsid=1,logical_block_size=512,physical_block_size=512",
      "nvme-ns,drive=ns2,bus=nvme0,nsid=2,logical_block_size=4096,physical_block_size=4096," +
      "eui64-default=true",
      "-trace pci_nvme_* -D /m/trace.txt",
    ]
  ) assertEquals(all.includes(part), true, part);
});

Deno.test("options: trace capture: a -trace per pattern, the log file, QEMU's timestamps", () => {
  const o = resolveQemuOptions({
    qemuTrace: "pci_nvme_mmio_*",
    trace: { events: ["pci_nvme_io_cmd", "pci_nvme_irq_*"], file: "/tmp/q.log" },
  });
  assertEquals(o.traceEvents, ["pci_nvme_mmio_*", "pci_nvme_io_cmd", "pci_nvme_irq_*"]);
  assertEquals(o.traceFile, "/tmp/q.log");
  const args = qemuArgs(o, { mediaPaths: [""], tracePath: o.traceFile }).join(" ");
  assertEquals(
    args.endsWith(
      "-trace pci_nvme_mmio_* -trace pci_nvme_io_cmd -trace pci_nvme_irq_* -D /tmp/q.log " +
        "-msg timestamp=on",
    ),
    true,
    args,
  );
  const plain = resolveQemuOptions({ trace: { events: ["pci_nvme_*"], timestamps: false } });
  assertEquals(qemuArgs(plain, { mediaPaths: [""], tracePath: "/t" }).includes("-msg"), false);
  assertEquals(qemuArgs(resolveQemuOptions({}), { mediaPaths: [""] }).includes("-trace"), false);
});

Deno.test("options: values that would break QEMU's option syntax are refused", () => {
  for (
    const bad of [
      { serial: "a,b" },
      { serial: "" },
      { deviceProperties: { "x": "1,drive=evil" } },
      { namespaces: [] },
      { namespaces: [{ sizeBytes: 1000 }] },
      { namespaces: [{ blockSize: 1024 as 512 }] },
      { memoryMiB: 4096 },
      { watchdogMs: 0 },
      { qemuTrace: "a b" },
      { trace: { events: ["pci_nvme_*,x"] } },
      { trace: { events: [""] } },
      { trace: { events: ["pci_nvme_*"], file: "a\nb" } },
    ]
  ) {
    assertThrows(
      () => resolveQemuOptions(bad),
      InvalidArgumentError,
      undefined,
      JSON.stringify(bad),
    );
  }
});

Deno.test("available: QEMU versions parse from --version output", () => {
  assertEquals(parseQemuVersion("QEMU emulator version 10.0.3 (Debian)")?.major, 10);
  assertEquals(parseQemuVersion("QEMU emulator version 8.2")?.text, "8.2");
  assertEquals(parseQemuVersion("something else"), null);
});
