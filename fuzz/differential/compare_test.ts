import { assert, assertEquals } from "@std/assert";
import type { DiffCommand } from "./commands.ts";
import { compareTraces, differingRanges, type Divergence } from "./compare.ts";
import { classifySequence, DIFFERENTIAL_DEVIATIONS, matchDeviation } from "./deviations.ts";
import type { CommandOutcome, SequenceTrace } from "./executor.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";

const noData = { offset: 0, listOffset: 0, fault: "none" } as const;
const ok: CommandOutcome = { status: 0, dnr: false, more: false, dw0: 0, dw1: 0 };
const fail = (status: number, dnr = true): CommandOutcome => ({ ...ok, status, dnr });
const trace = (outcomes: CommandOutcome[], media = new Map<number, Uint8Array | null>()) =>
  ({ outcomes, media, csts: 1 }) satisfies SequenceTrace;

function io(
  opcode: number,
  slba: number,
  blocks: number,
  extra: Partial<DiffCommand> = {},
): DiffCommand {
  return {
    queue: "io",
    name: `opc ${opcode}`,
    opcode,
    nsid: 1,
    cdw: [slba, 0, blocks - 1, 0, 0, 0],
    dir: "none",
    bytes: 0,
    dptr: noData,
    lba: { slba: BigInt(slba), blocks },
    ...extra,
  };
}

function adminCmd(opcode: number, cdw10: number, extra: Partial<DiffCommand> = {}): DiffCommand {
  return {
    queue: "admin",
    name: `admin ${opcode}`,
    opcode,
    nsid: 0,
    cdw: [cdw10, 0, 0, 0, 0, 0],
    dir: "none",
    bytes: 0,
    dptr: noData,
    ...extra,
  };
}

Deno.test("differingRanges finds every run of differing bytes", () => {
  assertEquals(differingRanges(Uint8Array.of(1, 2, 3, 4, 5), Uint8Array.of(1, 0, 0, 4, 0)), [
    [1, 3],
    [4, 5],
  ]);
  assertEquals(differingRanges(Uint8Array.of(1), Uint8Array.of(1)), []);
});

Deno.test("compareTraces: status, DNR, DW0 only when both succeeded, data, media, CSTS", () => {
  const cmds = [
    adminCmd(AdminOpcode.GET_FEATURES, 0x01),
    adminCmd(AdminOpcode.GET_FEATURES, 0x02),
    { ...adminCmd(AdminOpcode.GET_LOG_PAGE, 0x03), dir: "in" as const, bytes: 4 },
  ];
  const ref = trace(
    [{ ...ok, dw0: 7 }, fail(2), { ...ok, data: Uint8Array.of(1, 2, 3, 4) }],
    new Map([[5, Uint8Array.of(0, 0)], [6, Uint8Array.of(1)]]),
  );
  const other = trace([{ ...ok, dw0: 3 }, { ...fail(2, false), dw0: 9 }, {
    ...ok,
    data: Uint8Array.of(1, 9, 3, 4),
  }], new Map([[5, Uint8Array.of(0, 1)], [6, null]]));
  const d = compareTraces(cmds, ref, { ...other, csts: 3 });
  assertEquals(d.map((x) => [x.index, x.field]), [
    [0, "dw0"],
    [1, "dnr"],
    [2, "data[0x1..0x2)"],
    [-1, "csts"],
    [-1, "media[5]"],
    [-1, "media[6]"],
  ]);
  assertEquals(d[0].reference, "0x7");
  assertEquals(d[0].other, "0x3");
});

Deno.test("compareTraces decodes Identify Controller field by field", () => {
  const cmd = { ...adminCmd(AdminOpcode.IDENTIFY, 0x01), dir: "in" as const, bytes: 4096 };
  const a = new Uint8Array(4096), b = new Uint8Array(4096);
  b[77] = 5; // MDTS
  const d = compareTraces([cmd], trace([{ ...ok, data: a }]), trace([{ ...ok, data: b }]));
  assertEquals(d.map((x) => x.field), ["data.mdts"]);
  assertEquals(matchDeviation(d[0]), null, "MDTS is behaviour, never an identity field");
});

Deno.test("registry: unique ids, reasons, evidence, sections", () => {
  const ids = DIFFERENTIAL_DEVIATIONS.map((d) => d.id);
  assertEquals(new Set(ids).size, ids.length);
  for (const d of DIFFERENTIAL_DEVIATIONS) {
    assert(d.reason.length > 20 && d.evidence.length > 10 && /§/.test(d.section), d.id);
  }
});

Deno.test("filter: a registered QEMU answer is filtered, the same field with other values is not", () => {
  const del = adminCmd(AdminOpcode.DELETE_IO_CQ, 7);
  const d = compareTraces(
    [del],
    trace([fail(Status.INVALID_QUEUE_IDENTIFIER)]),
    trace([fail(Status.COMPLETION_QUEUE_INVALID)]),
  );
  assertEquals(matchDeviation(d[0])?.id, "delete-cq-invalid-qid-status");
  const other = compareTraces([del], trace([fail(Status.INVALID_QUEUE_IDENTIFIER)]), trace([ok]));
  assert(other.some((x) => matchDeviation(x) === null), "success where an error is due stays");
});

Deno.test("filter: consequences of a registered divergence follow its LBAs until both rewrite them", () => {
  const wu = io(NvmOpcode.WRITE_UNCORRECTABLE, 10, 4);
  const read = io(NvmOpcode.READ, 11, 1);
  const write = io(NvmOpcode.WRITE, 10, 4);
  const read2 = io(NvmOpcode.READ, 11, 1);
  const ref = trace([ok, fail(0x281), ok, ok]);
  const qemu = trace([fail(Status.INVALID_OPCODE), ok, ok, fail(0x281)]);
  const cmds = [wu, read, write, read2];
  const found = compareTraces(cmds, ref, qemu);
  const c = classifySequence(cmds, found, { traces: [ref, qemu] });
  const at = (i: number) => c.filter((x) => x.divergence.index === i);
  assert(
    at(0).every((x) => x.deviation?.id === "write-uncorrectable-unsupported" && !x.consequence),
  );
  assert(
    at(1).every((x) => x.deviation?.id === "write-uncorrectable-unsupported" && x.consequence),
  );
  assert(at(3).length > 0 && at(3).every((x) => x.deviation === null), "after the rewrite: a bug");
});

Deno.test("filter: CSTS and unexplained media differences are never registered", () => {
  const d: Divergence = {
    index: -1,
    summary: "end",
    field: "media[3]",
    reference: "00",
    other: "ff",
  };
  assertEquals(classifySequence([], [d])[0].deviation, null);
});

Deno.test("compareTraces lists every differing data range, shortening only the bytes shown", () => {
  const cmd = { ...io(NvmOpcode.READ, 0, 1), dir: "in" as const, bytes: 512 };
  const a = new Uint8Array(512), b = new Uint8Array(512);
  for (let i = 0; i < 20; i++) b[i * 20] = 1; // 20 separate ranges
  b.fill(2, 400, 480); // one long range
  const d = compareTraces([cmd], trace([{ ...ok, data: a }]), trace([{ ...ok, data: b }]));
  assertEquals(d.length, 21);
  const long = d.find((x) => x.field === "data[0x190..0x1e0)")!;
  assert(long.other.endsWith("…") && long.other.length < 80, long.other);
});

Deno.test("compareTraces compares the bytes past a decoded structure", () => {
  const cmd = {
    ...adminCmd(AdminOpcode.GET_LOG_PAGE, 0x02),
    nsid: 0xffff_ffff,
    dir: "in" as const,
    bytes: 1024,
  };
  const a = new Uint8Array(1024), b = new Uint8Array(1024);
  b.fill(0x11, 600, 604);
  const d = compareTraces([cmd], trace([{ ...ok, data: a }]), trace([{ ...ok, data: b }]));
  assertEquals(d.map((x) => x.field), ["data[0x258..0x25c)"]);
  assertEquals(classifySequence([cmd], d)[0].deviation, null);
});

Deno.test("a side that could not run the sequence diverges, even when both could not", () => {
  const failed = (why: string): SequenceTrace => ({ ...trace([]), failure: why });
  const d = compareTraces([], failed("reference: Write Zeroes"), failed("qemu: Write Zeroes"));
  assertEquals(d.map((x) => x.field), ["side"]);
  assertEquals(classifySequence([], d)[0].deviation, null);
  assertEquals(compareTraces([], trace([]), failed("qemu: no queues"))[0].other, "qemu: no queues");
});
