import { assert, assertEquals } from "@std/assert";
import { FeatureId } from "../../spec/features.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { CANARY, type DiffCommand } from "./commands.ts";
import { compareTraces, type Divergence } from "./compare.ts";
import { classifySequence, matchDeviation } from "./deviations.ts";
import type { CommandOutcome, SequenceTrace } from "./executor.ts";

// Predicates and consequence attribution: each test pairs an answer a registered class covers with
// a nearby answer it must not (a reference regression that would otherwise be swallowed).

const BLOCK = 512;
const noData = { offset: 0, listOffset: 0, fault: "none" } as const;
const ok: CommandOutcome = { status: 0, dnr: false, more: false, dw0: 0, dw1: 0 };
const fail = (status: number, dnr = true): CommandOutcome => ({ ...ok, status, dnr });
const hang: CommandOutcome = { ...ok, status: null };
const trace = (outcomes: CommandOutcome[]): SequenceTrace => ({
  outcomes,
  media: new Map(),
  csts: 1,
});

function io(opcode: number, slba: number, blocks: number, x: Partial<DiffCommand> = {}) {
  return {
    queue: "io",
    name: `opc ${opcode}`,
    opcode,
    nsid: 1,
    cdw: [slba, 0, blocks - 1, 0, 0, 0],
    dir: opcode === NvmOpcode.READ ? "in" : "none",
    bytes: opcode === NvmOpcode.READ ? blocks * BLOCK : 0,
    dptr: noData,
    lba: { slba: BigInt(slba), blocks },
    ...x,
  } as DiffCommand;
}

function admin(opcode: number, cdw: number[], x: Partial<DiffCommand> = {}): DiffCommand {
  const c = [...cdw, 0, 0, 0, 0, 0, 0].slice(0, 6) as unknown as DiffCommand["cdw"];
  return {
    queue: "admin",
    name: `admin ${opcode}`,
    opcode,
    nsid: 0,
    cdw: c,
    dir: "none",
    bytes: 0,
    dptr: noData,
    ...x,
  };
}

/** Classifies one sequence run on two traces with the shared block size. */
function classify(cmds: DiffCommand[], ref: CommandOutcome[], other: CommandOutcome[]) {
  const traces = [trace(ref), trace(other)] as const;
  const found = compareTraces(cmds, traces[0], traces[1]);
  return classifySequence(cmds, found, { traces, blockSize: BLOCK });
}

/** The single divergence `ref` vs `other` gives for `cmd`, with the given field. */
function one(cmd: DiffCommand, ref: CommandOutcome, other: CommandOutcome, field: string) {
  const d = compareTraces([cmd], trace([ref]), trace([other])).find((x) => x.field === field);
  assert(d, `no ${field} divergence`);
  return d;
}

const id = (d: Divergence) => matchDeviation(d, { blockSize: BLOCK })?.id ?? null;

Deno.test("taint: a later hang on a tainted range is never a consequence", () => {
  const wu = io(NvmOpcode.WRITE_UNCORRECTABLE, 0, 8);
  const rd = io(NvmOpcode.READ, 7, 8);
  const c = classify([wu, rd], [ok, ok], [fail(Status.INVALID_OPCODE), hang]);
  assertEquals(c[0].deviation?.id, "write-uncorrectable-unsupported");
  const completion = c.find((x) => x.divergence.field === "completion")!;
  assertEquals(completion.deviation, null, "a Read that never completes is a finding");
});

Deno.test("taint: Read data ranges are attributed only when all their blocks are tainted", () => {
  const wu = io(NvmOpcode.WRITE_UNCORRECTABLE, 2, 2);
  const rd = io(NvmOpcode.READ, 0, 4);
  const a = new Uint8Array(4 * BLOCK), b = new Uint8Array(4 * BLOCK);
  b.fill(1, 2 * BLOCK, 4 * BLOCK); // blocks 2..3: the ones only the reference marked
  const inside = classify([wu, rd], [ok, { ...ok, data: a }], [fail(Status.INVALID_OPCODE), {
    ...ok,
    data: b,
  }]);
  assert(inside.filter((x) => x.divergence.index === 1).every((x) => x.consequence));
  b[10] = 7; // block 0: never tainted
  const outside = classify([wu, rd], [ok, { ...ok, data: a }], [fail(Status.INVALID_OPCODE), {
    ...ok,
    data: b,
  }]);
  const range0 = outside.find((x) => x.divergence.field === "data[0xa..0xb)")!;
  assertEquals(range0.deviation, null);
});

Deno.test("taint: a Set Features both sides complete alike clears the feature's taint", () => {
  const arb = (v: number) => admin(AdminOpcode.SET_FEATURES, [FeatureId.ARBITRATION, v]);
  const get = admin(AdminOpcode.GET_FEATURES, [FeatureId.ARBITRATION]);
  const notChangeable = fail(Status.FEATURE_NOT_CHANGEABLE);
  const tainted = classify([arb(3), get], [ok, { ...ok, dw0: 3 }], [notChangeable, ok]);
  const get1 = tainted.find((x) => x.divergence.index === 1)!;
  assertEquals(get1.deviation?.id, "feature-not-changeable");
  assert(get1.consequence);
  const cleared = classify(
    [arb(3), arb(0), get],
    [ok, ok, { ...ok, dw0: 3 }],
    [notChangeable, ok, ok],
  );
  assertEquals(cleared.find((x) => x.divergence.index === 2)?.deviation, null);
});

Deno.test("taint: SQ and CQ of one QID are separate; a matching create clears", () => {
  // Create I/O CQ 3 with IEN 0 and a vector past the table: QEMU refuses (registered).
  const createCq = admin(AdminOpcode.CREATE_IO_CQ, [(15 << 16) | 3, (0x41 << 16) | 1]);
  const deleteSq = admin(AdminOpcode.DELETE_IO_SQ, [3]);
  const deleteCq = admin(AdminOpcode.DELETE_IO_CQ, [3]);
  const vector = fail(Status.INVALID_INTERRUPT_VECTOR);
  const qid = fail(Status.INVALID_QUEUE_IDENTIFIER);
  const sq = classify([createCq, deleteSq], [ok, fail(Status.INVALID_QUEUE_IDENTIFIER)], [
    vector,
    fail(Status.INVALID_QUEUE_DELETION),
  ]);
  assertEquals(sq[0].deviation?.id, "create-cq-vector-without-ien");
  assertEquals(sq.find((x) => x.divergence.index === 1)?.deviation, null, "SQ 3 is not CQ 3");
  const cq = classify([createCq, deleteCq], [ok, ok], [vector, qid]);
  assert(cq.find((x) => x.divergence.index === 1)?.consequence, "CQ 3 differs since step 1");
  const recreated = admin(AdminOpcode.CREATE_IO_CQ, [(15 << 16) | 3, 1]);
  const after = classify([createCq, deleteCq, recreated, deleteCq], [ok, ok, ok, ok], [
    vector,
    qid,
    ok,
    qid,
  ]);
  assertEquals(after.find((x) => x.divergence.index === 3)?.deviation, null);
});

Deno.test("taint: queue commands on a queue whose creation diverged are consequences", () => {
  // Create I/O CQ 3 with IEN 0 and a vector past the table: QEMU refuses (registered).
  const createCq = admin(AdminOpcode.CREATE_IO_CQ, [(15 << 16) | 3, (0x41 << 16) | 1]);
  const vector = fail(Status.INVALID_INTERRUPT_VECTOR);
  const createSqOn = (cqid: number) =>
    admin(AdminOpcode.CREATE_IO_SQ, [(15 << 16) | 5, (cqid << 16) | 1]);
  const cqInvalid = fail(Status.COMPLETION_QUEUE_INVALID);
  const onCq3 = classify([createCq, createSqOn(3)], [ok, ok], [vector, cqInvalid]);
  const sq = onCq3.find((x) => x.divergence.index === 1)!;
  assertEquals([sq.deviation?.id, sq.consequence], ["create-cq-vector-without-ien", true]);
  const onCq4 = classify([createCq, createSqOn(4)], [ok, ok], [vector, cqInvalid]);
  assertEquals(onCq4.find((x) => x.divergence.index === 1)?.deviation, null, "CQ 4 is untainted");

  // SQ 5 on CQ 3 diverges (registered check order): Delete I/O CQ 3 depends on it, CQ 4 not.
  const createCqAlike = (qid: number) => admin(AdminOpcode.CREATE_IO_CQ, [(15 << 16) | qid, 1]);
  const sqErrors = [fail(Status.INVALID_QUEUE_SIZE), fail(Status.INVALID_QUEUE_IDENTIFIER)];
  const deleteCq = (qid: number) => admin(AdminOpcode.DELETE_IO_CQ, [qid]);
  const deletion = fail(Status.INVALID_QUEUE_DELETION);
  const run = (deleted: number) =>
    classify(
      [createCqAlike(3), createCqAlike(4), createSqOn(3), deleteCq(deleted)],
      [ok, ok, sqErrors[0], ok],
      [ok, ok, sqErrors[1], deletion],
    ).find((x) => x.divergence.index === 3)!;
  assertEquals(run(3).deviation?.id, "create-queue-check-order");
  assert(run(3).consequence);
  assertEquals(run(4).deviation, null, "no diverged SQ on CQ 4");
});

Deno.test("taint: blocks a completed DSM deallocate named may read either way, others not", () => {
  const dsm = io(NvmOpcode.DATASET_MANAGEMENT, 0, 1, {
    cdw: [0, 1 << 2, 0, 0, 0, 0], // NR 0 (one range), CDW11 AD
    lba: undefined,
    ranges: [{ slba: 8n, blocks: 4 }],
  });
  const read = (slba: number) => {
    const a = new Uint8Array(BLOCK), b = new Uint8Array(BLOCK).fill(0x5a);
    return classify([dsm, io(NvmOpcode.READ, slba, 1)], [ok, { ...ok, data: a }], [ok, {
      ...ok,
      data: b,
    }]);
  };
  const inside = read(11);
  assert(inside.length > 0);
  for (const x of inside) {
    assertEquals([x.deviation?.id, x.consequence], ["dsm-deallocate-advisory", true]);
  }
  assert(read(12).every((x) => x.deviation === null), "LBA 12 was not deallocated");
  const refused = classify(
    [dsm, io(NvmOpcode.READ, 11, 1)],
    [ok, { ...ok, data: new Uint8Array(BLOCK) }],
    [fail(Status.INVALID_FIELD), { ...ok, data: new Uint8Array(BLOCK).fill(0x5a) }],
  );
  const readAfterRefusal = refused.find((x) => x.divergence.index === 1)!;
  assertEquals(readAfterRefusal.deviation, null, "only a DSM both sides completed is advisory");
});

Deno.test("write-uncorrectable-unsupported: only QEMU's Invalid Command Opcode", () => {
  const wu = io(NvmOpcode.WRITE_UNCORRECTABLE, 0, 1);
  assertEquals(
    id(one(wu, ok, fail(Status.INVALID_OPCODE), "status")),
    "write-uncorrectable-unsupported",
  );
  assertEquals(id(one(wu, ok, fail(Status.INVALID_FIELD), "status")), null);
  assertEquals(id(one(wu, ok, hang, "completion")), null);
});

Deno.test("dulbe-unsupported-in-reference: only a reference success", () => {
  const rd = io(NvmOpcode.READ, 0, 1);
  const dulbe = fail(Status.DEALLOCATED_OR_UNWRITTEN_BLOCK);
  assertEquals(id(one(rd, ok, dulbe, "status")), "dulbe-unsupported-in-reference");
  assertEquals(id(one(rd, fail(Status.INVALID_FIELD), dulbe, "status")), null);
  const cmp = io(NvmOpcode.COMPARE, 0, 1);
  const mismatch = fail(Status.COMPARE_FAILURE);
  assertEquals(id(one(cmp, mismatch, dulbe, "status")), "dulbe-unsupported-in-reference");
  assertEquals(id(one(rd, mismatch, dulbe, "status")), null, "a Read never fails a compare");
});

Deno.test("identify-namespace-broadcast: only QEMU's Invalid Namespace", () => {
  const cmd = admin(AdminOpcode.IDENTIFY, [0], { nsid: 0xffff_ffff });
  const qemu = fail(Status.INVALID_NAMESPACE);
  assertEquals(id(one(cmd, ok, qemu, "status")), "identify-namespace-broadcast");
  assertEquals(id(one(cmd, fail(Status.INVALID_FIELD), ok, "status")), null);
});

Deno.test("create-queue-check-order: only statuses the spec allows for the command", () => {
  const sq = admin(AdminOpcode.CREATE_IO_SQ, [(15 << 16) | 3, (9 << 16) | 1]);
  assertEquals(
    id(one(sq, fail(Status.INVALID_QUEUE_SIZE), fail(Status.COMPLETION_QUEUE_INVALID), "status")),
    "create-queue-check-order",
  );
  assertEquals(
    id(one(sq, fail(Status.INTERNAL_ERROR), fail(Status.COMPLETION_QUEUE_INVALID), "status")),
    null,
  );
  assertEquals(
    id(one(sq, fail(Status.INVALID_INTERRUPT_VECTOR), fail(Status.INVALID_QUEUE_SIZE), "status")),
    null,
    "Invalid Interrupt Vector is for Create I/O CQ",
  );
});

Deno.test("log-page-prp-by-transfer-length: a PRP fault or a transfer past the log only", () => {
  const log = (bytes: number, fault: DiffCommand["dptr"]["fault"]) =>
    admin(AdminOpcode.GET_LOG_PAGE, [0x04 | ((bytes / 4 - 1) << 16)], {
      nsid: 0xffff_ffff,
      dir: "in",
      bytes,
      dptr: { offset: 0, listOffset: 0, fault },
    });
  const prp = fail(Status.PRP_OFFSET_INVALID);
  assertEquals(id(one(log(8192, "none"), ok, prp, "status")), "log-page-prp-by-transfer-length");
  assertEquals(
    id(one(log(512, "prp2-offset"), prp, ok, "status")),
    "log-page-prp-by-transfer-length",
  );
  assertEquals(id(one(log(512, "none"), prp, ok, "status")), null);
});

Deno.test("SMART: Critical Warning and ranges outside model fields are compared", () => {
  const smart = (offset: number, bytes: number) =>
    admin(AdminOpcode.GET_LOG_PAGE, [0x02 | ((bytes / 4 - 1) << 16), 0, offset], {
      dir: "in",
      bytes,
    });
  const a = new Uint8Array(512), b = new Uint8Array(512);
  b[0] = 1; // Critical Warning: available spare
  assertEquals(
    id(one(smart(0, 512), { ...ok, data: a }, { ...ok, data: b }, "data.critical_warning")),
    null,
  );
  b[0] = 0;
  b[2] = 1; // temperature, high byte
  assertEquals(
    id(one(smart(0, 512), { ...ok, data: a }, { ...ok, data: b }, "data.temperature")),
    "smart-model-fields",
  );
  // Read at offset 0 with 8 bytes: not decoded field by field; temperature still filtered,
  // Critical Warning not.
  const x = new Uint8Array(8), y = new Uint8Array(8);
  y[2] = 1;
  assertEquals(
    id(one(smart(0, 8), { ...ok, data: x }, { ...ok, data: y }, "data[0x2..0x3)")),
    "smart-model-fields",
  );
  y[0] = 4;
  assertEquals(
    id(one(smart(0, 8), { ...ok, data: x }, { ...ok, data: y }, "data[0x0..0x1)")),
    null,
  );
});

Deno.test("log-page-past-end-untouched: only where the reference returned zeroes", () => {
  const cmd = admin(AdminOpcode.GET_LOG_PAGE, [0x04 | ((2 * 4096 / 4 - 1) << 16)], {
    dir: "in",
    bytes: 2 * 4096,
  });
  const a = new Uint8Array(8192), b = new Uint8Array(8192);
  b.fill(CANARY, 4096);
  const field = "data[0x1000..0x2000)";
  assertEquals(
    id(one(cmd, { ...ok, data: a }, { ...ok, data: b }, field)),
    "log-page-past-end-untouched",
  );
  a.fill(0x11, 4096);
  assertEquals(id(one(cmd, { ...ok, data: a }, { ...ok, data: b }, field)), null);
  // Offset 4, PRP1 +8h, 512 KiB: QEMU's 4092 bytes fit PRP1's page (4088) and one more, so it
  // takes PRP2 (the list) as a page and the buffer keeps the fill byte from FF8h.
  const listed = admin(AdminOpcode.GET_LOG_PAGE, [0x04 | (0xffff << 16), 1, 4], {
    dir: "in",
    bytes: 2 ** 19,
    dptr: { offset: 8, listOffset: 0, fault: "none" },
  });
  const x = new Uint8Array(2 ** 19), y = new Uint8Array(2 ** 19).fill(CANARY, 0xff8);
  const fieldFf8 = "data[0xff8..0x80000)";
  assertEquals(
    id(one(listed, { ...ok, data: x }, { ...ok, data: y }, fieldFf8)),
    "log-page-past-end-untouched",
  );
  y.fill(0, 0xff8, 0xffc);
  y.fill(CANARY, 0xff0, 0xff4); // QEMU did not write bytes it transfers into the buffer
  assertEquals(id(one(listed, { ...ok, data: x }, { ...ok, data: y }, "data[0xff0..0xff4)")), null);
});

Deno.test("verify-size-limit: uses the geometry's block size", () => {
  const verify = io(NvmOpcode.VERIFY, 0, 256);
  const d = one(verify, ok, fail(Status.INVALID_FIELD), "status");
  assertEquals(matchDeviation(d, { blockSize: 4096 })?.id, "verify-size-limit", "1 MiB > 512 KiB");
  assertEquals(matchDeviation(d, { blockSize: 512 }), null, "128 KiB is within QEMU's limit");
});
