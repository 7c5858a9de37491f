// Set/Get Features for the features with a data structure: Autonomous Power State Transition,
// Host Memory Buffer and Timestamp (Base 2.1 §5.1.25.1.6, §5.1.25.2.4, §5.1.25.1.7) — round trips,
// every error status, SEL, SV, the timestamp advancing in virtual time, reset, and the Identify
// fields.

import { assert, assertEquals } from "@std/assert";
import {
  Cns,
  FeatureCapability,
  FeatureSelect,
  GetFeatures,
  Identify,
  SetFeatures,
} from "../spec/admin_commands.ts";
import {
  FeatureId,
  HostMemoryBufferAttributes,
  HostMemoryBufferDescriptor,
  Timestamp,
} from "../spec/features.ts";
import { IdentifyController, Oncs } from "../spec/identify_controller.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { Status } from "../spec/status.ts";
import { type Completion, HostQueue, rig, type TestRig, waitReady } from "./_test_host.ts";
import { HMMIN, HMPRE } from "./admin_features_data.ts";

const PAGE = 4096;
const NS_PER_MS = 1_000_000;
const APST_TABLE_SIZE = 256;
const APST_ENTRY_SIZE = 8;
const ITPS_SHIFT = 3;
const ITPT_SHIFT = 8;
const CDW14 = 56;
const CC_ENABLE = 0x00460001;
const CC_DISABLE = 0x00460000;
/** Timestamp Origin values and Synch. */
const TO_RESET = 0b000, TO_SET_FEATURES = 0b001, SYNCH_STOPPED = 1;

let nextCid = 1;

function exec(r: TestRig, sqe: Uint8Array): Completion {
  r.admin.submit(sqe);
  return r.admin.wait();
}

interface SetArgs {
  cdw11?: number;
  cdw12?: number;
  cdw13?: number;
  cdw14?: number;
  cdw15?: number;
  sv?: number;
  prp1?: number;
}

function setFeatures(r: TestRig, fid: number, a: SetArgs = {}): Completion {
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    cid: nextCid++ & 0xffff,
    fid,
    sv: a.sv ?? 0,
    cdw11: a.cdw11 ?? 0,
    cdw12: a.cdw12 ?? 0,
    cdw13: a.cdw13 ?? 0,
    cdw15: a.cdw15 ?? 0,
    prp1: a.prp1 ?? 0,
  });
  new DataView(sqe.buffer).setUint32(CDW14, a.cdw14 ?? 0, true);
  return exec(r, sqe);
}

function getFeatures(r: TestRig, fid: number, sel: number, prp1 = 0): Completion {
  return exec(
    r,
    GetFeatures.encode({
      opcode: AdminOpcode.GET_FEATURES,
      cid: nextCid++ & 0xffff,
      fid,
      sel,
      prp1,
    }),
  );
}

/** A zeroed host page. */
function page(r: TestRig): number {
  const a = r.host.allocate(PAGE, PAGE);
  r.host.memFill(a, PAGE, 0);
  return a;
}

function read(r: TestRig, addr: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  r.host.memRead(addr, b);
  return b;
}

function assertStatus(c: Completion, status: number, dnr = 1): void {
  assertEquals({ status: c.status, dnr: c.dnr }, { status, dnr });
}

/** CC.EN 1→0→1 (a Controller Level Reset) and a fresh host view of the admin queues. */
function controllerReset(r: TestRig): void {
  r.host.write32(R.CC, CC_DISABLE);
  waitReady(r.host, 0);
  const a = r.admin;
  r.host.memFill(a.cq, a.size * 16, 0);
  r.host.write32(R.CC, CC_ENABLE);
  waitReady(r.host, 1);
  r.admin = new HostQueue(r.host, 0, a.sq, a.cq, a.size, a.dstrd);
}

// ---- Identify ----

Deno.test("Identify advertises ONCS Timestamp, APSTA and HMPRE/HMMIN", () => {
  const r = rig();
  const buf = page(r);
  const c = exec(
    r,
    Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: 1, prp1: buf, cns: Cns.CONTROLLER }),
  );
  assertEquals(c.status, 0);
  const id = IdentifyController.decode(read(r, buf, PAGE));
  assert(id.oncs & (1 << Oncs.TIMESTAMP));
  assertEquals(id.apsta, 1);
  assertEquals(id.npss, 0);
  assertEquals([id.hmpre, id.hmmin], [HMPRE, HMMIN]);
});

// ---- Timestamp (0Eh) ----

function setTimestamp(r: TestRig, ms: number): Completion {
  const buf = page(r);
  r.host.memWrite(buf, Timestamp.encode({ timestamp: ms }));
  return setFeatures(r, FeatureId.TIMESTAMP, { prp1: buf });
}

function getTimestamp(r: TestRig, sel: number = FeatureSelect.CURRENT) {
  const buf = page(r);
  const c = getFeatures(r, FeatureId.TIMESTAMP, sel, buf);
  assertEquals(c.status, 0);
  return Timestamp.decode(read(r, buf, Timestamp.size));
}

Deno.test("Timestamp: before any Set it reads 0h, TO 000b (reset origin)", () => {
  const r = rig();
  assertEquals(getTimestamp(r), { timestamp: 0, sync: SYNCH_STOPPED, to: TO_RESET });
});

Deno.test("Timestamp: Set then Get advances exactly with virtual time", () => {
  const r = rig();
  const hostMs = 1_700_000_000_123;
  const sleepMs = 2_500;
  const t0 = r.host.now();
  assertEquals(setTimestamp(r, hostMs).status, 0);
  r.host.sleep(sleepMs * NS_PER_MS);
  // The Get executes the same command path later; the extra time is sub-millisecond.
  const overhead = r.host.now() - t0 - sleepMs * NS_PER_MS;
  assert(overhead >= 0 && overhead < NS_PER_MS, `overhead ${overhead} ns`);
  assertEquals(getTimestamp(r), {
    timestamp: hostMs + sleepMs,
    sync: 0,
    to: TO_SET_FEATURES,
  });
  r.host.sleep(1_000 * NS_PER_MS);
  assertEquals(getTimestamp(r).timestamp, hostMs + sleepMs + 1_000);
});

Deno.test("Timestamp: wraps at 48 bits", () => {
  const r = rig();
  const max = 2 ** 48 - 1;
  assertEquals(setTimestamp(r, max).status, 0);
  r.host.sleep(5 * NS_PER_MS);
  assertEquals(getTimestamp(r).timestamp, 4);
});

Deno.test("Timestamp: SEL default/saved are the reset value, capabilities changeable", () => {
  const r = rig();
  assertEquals(setTimestamp(r, 1234).status, 0);
  const reset = { timestamp: 0, sync: SYNCH_STOPPED, to: TO_RESET };
  assertEquals(getTimestamp(r, FeatureSelect.DEFAULT), reset);
  assertEquals(getTimestamp(r, FeatureSelect.SAVED), reset);
  const caps = getFeatures(r, FeatureId.TIMESTAMP, FeatureSelect.SUPPORTED_CAPABILITIES);
  assertEquals([caps.status, caps.dw0], [0, FeatureCapability.CHANGEABLE]);
});

Deno.test("Timestamp: a Controller Level Reset returns it to 0h, TO 000b", () => {
  const r = rig();
  assertEquals(setTimestamp(r, 99_000).status, 0);
  controllerReset(r);
  assertEquals(getTimestamp(r), { timestamp: 0, sync: SYNCH_STOPPED, to: TO_RESET });
});

Deno.test("Timestamp: unreadable data buffer is a Data Transfer Error", () => {
  const r = rig();
  const buf = page(r);
  r.host.dmaUnmap(buf, PAGE);
  assertStatus(setFeatures(r, FeatureId.TIMESTAMP, { prp1: buf }), Status.DATA_TRANSFER_ERROR, 0);
  assertEquals(getTimestamp(r).to, TO_RESET);
});

// ---- Autonomous Power State Transition (0Ch) ----

function apstTable(entries: { itps: number; itpt: number }[]): Uint8Array {
  const b = new Uint8Array(APST_TABLE_SIZE);
  const v = new DataView(b.buffer);
  entries.forEach((e, i) =>
    v.setUint32(i * APST_ENTRY_SIZE, (e.itpt << ITPT_SHIFT) | (e.itps << ITPS_SHIFT), true)
  );
  return b;
}

function setApst(r: TestRig, apste: number, table: Uint8Array): Completion {
  const buf = page(r);
  r.host.memWrite(buf, table);
  return setFeatures(r, FeatureId.AUTONOMOUS_POWER_STATE, { cdw11: apste, prp1: buf });
}

function getApst(r: TestRig, sel: number = FeatureSelect.CURRENT) {
  const buf = page(r);
  const c = getFeatures(r, FeatureId.AUTONOMOUS_POWER_STATE, sel, buf);
  assertEquals(c.status, 0);
  return { apste: c.dw0, table: read(r, buf, APST_TABLE_SIZE) };
}

Deno.test("APST: Set then Get returns APSTE and the table", () => {
  const r = rig();
  const table = apstTable([{ itps: 0, itpt: 100 }]);
  assertEquals(setApst(r, 1, table).status, 0);
  assertEquals(getApst(r), { apste: 1, table });
  assertEquals(setApst(r, 0, table).status, 0);
  assertEquals(getApst(r).apste, 0);
});

Deno.test("APST: an entry naming a power state above NPSS is Invalid Field", () => {
  const r = rig();
  const good = apstTable([{ itps: 0, itpt: 50 }]);
  assertEquals(setApst(r, 1, good).status, 0);
  for (const at of [0, 31]) {
    const bad = apstTable([]);
    new DataView(bad.buffer).setUint32(at * APST_ENTRY_SIZE, 1 << ITPS_SHIFT, true);
    assertStatus(setApst(r, 0, bad), Status.INVALID_FIELD);
  }
  assertEquals(getApst(r), { apste: 1, table: good }, "a refused Set changes nothing");
});

Deno.test("APST: SEL default/saved are disabled with a zero table; reset restores them", () => {
  const r = rig();
  const zero = { apste: 0, table: new Uint8Array(APST_TABLE_SIZE) };
  assertEquals(setApst(r, 1, apstTable([{ itps: 0, itpt: 7 }])).status, 0);
  assertEquals(getApst(r, FeatureSelect.DEFAULT), zero);
  assertEquals(getApst(r, FeatureSelect.SAVED), zero);
  const caps = getFeatures(
    r,
    FeatureId.AUTONOMOUS_POWER_STATE,
    FeatureSelect.SUPPORTED_CAPABILITIES,
  );
  assertEquals(caps.dw0, FeatureCapability.CHANGEABLE);
  controllerReset(r);
  assertEquals(getApst(r), zero);
});

// ---- Host Memory Buffer (0Dh) ----

interface Hmb {
  list: number;
  /** Descriptor BADD/BSIZE pairs (BSIZE in memory pages). */
  entries: { badd: number; bsize: number }[];
}

/** Writes a descriptor list and sends Set Features EHM = 1 with HSIZE `hsize`. */
function enableHmb(r: TestRig, hmb: Hmb, hsize: number, listOffset = 0): Completion {
  hmb.entries.forEach((e, i) =>
    r.host.memWrite(
      hmb.list + listOffset + i * HostMemoryBufferDescriptor.size,
      HostMemoryBufferDescriptor.encode({ badd: BigInt(e.badd), bsize: e.bsize }),
    )
  );
  const addr = hmb.list + listOffset;
  return setFeatures(r, FeatureId.HOST_MEMORY_BUFFER, {
    cdw11: 1,
    cdw12: hsize,
    cdw13: addr >>> 0,
    cdw14: Math.floor(addr / 2 ** 32),
    cdw15: hmb.entries.length,
  });
}

function getHmb(r: TestRig, sel: number = FeatureSelect.CURRENT) {
  const buf = page(r);
  const c = getFeatures(r, FeatureId.HOST_MEMORY_BUFFER, sel, buf);
  assertEquals(c.status, 0);
  return { ehm: c.dw0, attrs: HostMemoryBufferAttributes.decode(read(r, buf, PAGE)) };
}

/** A valid HMB of HMMIN 4 KiB pages in two chunks, memory filled with a pattern. */
function validHmb(r: TestRig): Hmb {
  const half = HMMIN / 2;
  const a = r.host.allocate(half * PAGE, PAGE), b = r.host.allocate(half * PAGE, PAGE);
  r.host.memFill(a, half * PAGE, 0xa5);
  r.host.memFill(b, half * PAGE, 0xa5);
  return { list: page(r), entries: [{ badd: a, bsize: half }, { badd: b, bsize: half }] };
}

const NO_ATTRS = { hsize: 0, hmdlal: 0, hmdlau: 0, hmdlec: 0 };

Deno.test("HMB: enable, Get attributes, the memory is never touched, disable", () => {
  const r = rig();
  const hmb = validHmb(r);
  assertEquals(enableHmb(r, hmb, HMMIN).status, 0);
  assertEquals(getHmb(r), {
    ehm: 1,
    // Host memory sits above 4 GiB here, so HMDLUA is exercised too.
    attrs: {
      hsize: HMMIN,
      hmdlal: hmb.list >>> 0,
      hmdlau: Math.floor(hmb.list / 2 ** 32),
      hmdlec: 2,
    },
  });
  for (const e of hmb.entries) {
    assert(read(r, e.badd, e.bsize * PAGE).every((x) => x === 0xa5), "HMB memory untouched");
  }
  assertEquals(setFeatures(r, FeatureId.HOST_MEMORY_BUFFER, { cdw11: 0 }).status, 0);
  assertEquals(getHmb(r), { ehm: 0, attrs: NO_ATTRS });
  assertEquals(enableHmb(r, hmb, HMMIN).status, 0, "enable again after disable");
});

Deno.test("HMB: enabling twice without disabling is Command Sequence Error", () => {
  const r = rig();
  const hmb = validHmb(r);
  assertEquals(enableHmb(r, hmb, HMMIN).status, 0);
  assertStatus(enableHmb(r, hmb, HMMIN), Status.COMMAND_SEQUENCE_ERROR);
  assertEquals(getHmb(r).ehm, 1);
});

Deno.test("HMB: every invalid field is Invalid Field in Command and leaves it disabled", () => {
  const r = rig();
  const ok = validHmb(r);
  const [a, b] = ok.entries;
  const cases: [string, () => Completion][] = [
    ["HMDLLA not 16-byte aligned", () => enableHmb(r, ok, HMMIN, 8)],
    [
      "HSIZE below HMMIN",
      () =>
        enableHmb(r, { list: ok.list, entries: [{ badd: a.badd, bsize: HMMIN - 1 }] }, HMMIN - 1),
    ],
    ["HMDLEC 0", () => enableHmb(r, { list: ok.list, entries: [] }, HMMIN)],
    ["HMDLEC above one page of entries", () =>
      enableHmb(
        r,
        {
          list: r.host.allocate(2 * PAGE, PAGE),
          entries: Array.from({ length: PAGE / 16 + 1 }, (_, i) => ({
            badd: a.badd,
            bsize: i === 0 ? HMMIN - PAGE / 16 : 1,
          })),
        },
        HMMIN,
      )],
    [
      "BADD not page aligned",
      () => enableHmb(r, { list: ok.list, entries: [{ ...a, badd: a.badd + 512 }, b] }, HMMIN),
    ],
    [
      "BSIZE 0",
      () => enableHmb(r, { list: ok.list, entries: [a, b, { badd: b.badd, bsize: 0 }] }, HMMIN),
    ],
    ["sum of BSIZE ≠ HSIZE", () => enableHmb(r, ok, HMMIN + 1)],
  ];
  for (const [name, run] of cases) {
    const c = run();
    assertEquals({ status: c.status, dnr: c.dnr }, { status: Status.INVALID_FIELD, dnr: 1 }, name);
    assertEquals(getHmb(r), { ehm: 0, attrs: NO_ATTRS }, name);
  }
});

Deno.test("HMB: an unreadable descriptor list is a Data Transfer Error", () => {
  const r = rig();
  const hmb = validHmb(r);
  r.host.dmaUnmap(hmb.list, PAGE);
  assertStatus(enableHmb(r, hmb, HMMIN), Status.DATA_TRANSFER_ERROR, 0);
  assertEquals(getHmb(r).ehm, 0);
});

Deno.test("HMB: SEL default/saved are disabled; a Controller Level Reset disables it", () => {
  const r = rig();
  assertEquals(enableHmb(r, validHmb(r), HMMIN).status, 0);
  const off = { ehm: 0, attrs: NO_ATTRS };
  assertEquals(getHmb(r, FeatureSelect.DEFAULT), off);
  assertEquals(getHmb(r, FeatureSelect.SAVED), off);
  const caps = getFeatures(r, FeatureId.HOST_MEMORY_BUFFER, FeatureSelect.SUPPORTED_CAPABILITIES);
  assertEquals(caps.dw0, FeatureCapability.CHANGEABLE);
  controllerReset(r);
  assertEquals(getHmb(r), off);
  assertEquals(enableHmb(r, validHmb(r), HMMIN).status, 0, "enable allowed after the reset");
});

// ---- common: SV and SEL ----

Deno.test("SV = 1 is Feature Identifier Not Saveable for the data features", () => {
  const r = rig();
  for (
    const fid of [
      FeatureId.AUTONOMOUS_POWER_STATE,
      FeatureId.HOST_MEMORY_BUFFER,
      FeatureId.TIMESTAMP,
    ]
  ) {
    assertStatus(setFeatures(r, fid, { sv: 1, prp1: page(r) }), Status.FEATURE_NOT_SAVEABLE);
  }
  assertEquals(getTimestamp(r).to, TO_RESET);
});

Deno.test("Reserved SEL values are Invalid Field for the data features", () => {
  const r = rig();
  for (
    const fid of [
      FeatureId.AUTONOMOUS_POWER_STATE,
      FeatureId.HOST_MEMORY_BUFFER,
      FeatureId.TIMESTAMP,
    ]
  ) {
    assertStatus(getFeatures(r, fid, 4, page(r)), Status.INVALID_FIELD);
  }
});
