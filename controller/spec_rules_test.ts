// Rules the conformance suite caught the controller breaking, tested at the controller: reserved
// register bits, shutdown with disable, CC.IOSQES/IOCQES unset, per-threshold Temperature
// Threshold with the SMART warning and event, per-vector Interrupt Vector Configuration, a stable
// Number of Queues allocation, Keep Alive (refused with KAS = 0, enforced with KAS ≠ 0), and
// PRPs only for admin commands.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { AsyncEventCompletion, AsyncEventType, SmartEvent } from "../spec/async_events.ts";
import {
  AsyncEventRequest,
  Cns,
  CreateIoCq,
  FeatureSelect,
  GetFeatures,
  GetLogPage,
  Identify,
  KeepAlive,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { FeatureId } from "../spec/features.ts";
import { IdentifyController } from "../spec/identify_controller.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R, ShutdownStatus } from "../spec/registers.ts";
import { CriticalWarning, SMART_LOG_SIZE, SmartLog } from "../spec/smart_log.ts";
import { Status } from "../spec/status.ts";
import { decodeValue } from "../spec/struct.ts";
import { arrivals, type Completion, rig, type TestRig, waitReady } from "./_test_host.ts";
import { KAS_UNIT_MS } from "./keep_alive.ts";
import { ControllerOptionsError } from "./options.ts";
import { COMPOSITE_TEMPERATURE_K, DEFAULT_OVER_THRESHOLD_K } from "./thermal.ts";

const PAGE = 4096;
const NS_PER_MS = 1_000_000;
const CC_ENABLE = 0x00460001;
const CC_SHN_NORMAL = 1 << 14;
const CSTS_CFS = 1 << 1;
const THSEL_UNDER = 1 << 20;
const CD = 1 << 16;
const AEC_TEMPERATURE = 1 << CriticalWarning.TEMPERATURE;

let nextCid = 1;
const cid = () => nextCid++ & 0xffff;

function exec(r: TestRig, sqe: Uint8Array): Completion {
  r.admin.submit(sqe);
  return r.admin.wait();
}

function setFeature(r: TestRig, fid: number, cdw11: number): Completion {
  return exec(r, SetFeatures.encode({ opcode: AdminOpcode.SET_FEATURES, cid: cid(), fid, cdw11 }));
}

function getFeature(
  r: TestRig,
  fid: number,
  cdw11 = 0,
  sel: number = FeatureSelect.CURRENT,
): Completion {
  const sqe = GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, cid: cid(), fid, sel, cdw11 });
  return exec(r, sqe);
}

function criticalWarning(r: TestRig): number {
  const buf = r.host.allocate(PAGE, PAGE);
  const c = exec(
    r,
    GetLogPage.encode({
      opcode: AdminOpcode.GET_LOG_PAGE,
      cid: cid(),
      prp1: buf,
      lid: LogPageId.SMART,
      numdl: SMART_LOG_SIZE / 4 - 1,
    }),
  );
  assertEquals(c.status, 0);
  const data = new Uint8Array(SMART_LOG_SIZE);
  r.host.memRead(buf, data);
  return SmartLog.decode(data).critical_warning;
}

Deno.test("AQA, ASQ and ACQ reserved bits read 0 after a write of ones (§3.1.4.8–10)", () => {
  const { host } = rig({}, { enable: false });
  host.write32(R.AQA, 0xffff_ffff);
  assertEquals(host.read32(R.AQA), 0x0fff_0fff);
  host.write32(R.ASQ, 0x0001_2fff);
  host.write32(R.ACQ, 0x0003_4abc);
  assertEquals([host.read32(R.ASQ), host.read32(R.ACQ)], [0x0001_2000, 0x0003_4000]);
});

Deno.test("SHN = 01b in the write that clears EN: reset and shutdown; enable clears SHST", () => {
  const r = rig();
  r.host.write32(R.CC, (CC_ENABLE & ~1) | CC_SHN_NORMAL);
  waitReady(r.host, 0);
  let shst = 0;
  for (let i = 0; i < 1_000 && shst !== ShutdownStatus.COMPLETE; i++) {
    r.host.sleep(10_000);
    shst = (r.host.read32(R.CSTS) >>> 2) & 3;
  }
  assertEquals(shst, ShutdownStatus.COMPLETE);
  assertEquals(r.host.read32(R.CSTS) & 1, 0, "RDY stays 0 after the reset");
  r.host.write32(R.CC, CC_ENABLE);
  assertEquals((r.host.read32(R.CSTS) >>> 2) & 3, ShutdownStatus.NORMAL, "SHST after enable");
});

Deno.test("Create I/O CQ with CC.IOCQES = 0 is Invalid Queue Size", () => {
  const r = rig({}, { enable: false });
  r.host.write32(R.CC, CC_ENABLE & ~(0xf << 20)); // IOCQES 0
  waitReady(r.host, 1);
  const cq = r.host.allocate(PAGE, PAGE);
  const sqe = CreateIoCq.encode({
    opcode: AdminOpcode.CREATE_IO_CQ,
    cid: cid(),
    prp1: cq,
    qid: 1,
    qsize: 3,
    pc: 1,
  });
  const c = exec(r, sqe);
  assertEquals([c.status, c.dnr], [Status.INVALID_QUEUE_SIZE, 1]);
});

Deno.test("Temperature Threshold: over and under kept apart; reserved selectors refused", () => {
  const r = rig();
  assertEquals(setFeature(r, FeatureId.TEMPERATURE_THRESHOLD, 10 | THSEL_UNDER).status, 0);
  assertEquals(getFeature(r, FeatureId.TEMPERATURE_THRESHOLD).dw0, DEFAULT_OVER_THRESHOLD_K);
  const under = getFeature(r, FeatureId.TEMPERATURE_THRESHOLD, THSEL_UNDER);
  assertEquals(under.dw0 & 0xffff, 10);
  const dflt = getFeature(r, FeatureId.TEMPERATURE_THRESHOLD, THSEL_UNDER, FeatureSelect.DEFAULT);
  assertEquals(dflt.dw0 & 0xffff, 0, "default under threshold");
  for (const bad of [1 << 16, /* sensor 1 */ 2 << 20 /* THSEL 10b */]) {
    const c = setFeature(r, FeatureId.TEMPERATURE_THRESHOLD, bad | 300);
    assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1]);
  }
});

Deno.test("a crossed threshold sets Critical Warning bit 1 and raises the SMART event", () => {
  const r = rig();
  assertEquals(criticalWarning(r), 0);
  assertEquals(setFeature(r, FeatureId.ASYNC_EVENT_CONFIG, AEC_TEMPERATURE).status, 0);
  const aerCid = cid();
  r.admin.submit(
    AsyncEventRequest.encode({ opcode: AdminOpcode.ASYNC_EVENT_REQUEST, cid: aerCid }),
  );
  assertEquals(arrivals(r.admin), [], "no event while below the threshold");
  const tmpth = COMPOSITE_TEMPERATURE_K - 10;
  r.admin.submit(
    SetFeatures.encode({
      opcode: AdminOpcode.SET_FEATURES,
      cid: cid(),
      fid: FeatureId.TEMPERATURE_THRESHOLD,
      cdw11: tmpth,
    }),
  );
  const got = arrivals(r.admin);
  const aer = got.find((c) => c.cid === aerCid);
  assert(aer, `AER not completed: ${JSON.stringify(got)}`);
  assertEquals(decodeValue(AsyncEventCompletion, aer.dw0), {
    aet: AsyncEventType.SMART,
    aei: SmartEvent.TEMPERATURE_THRESHOLD,
    lid: LogPageId.SMART,
  });
  assertEquals(criticalWarning(r), 1 << CriticalWarning.TEMPERATURE);
  setFeature(r, FeatureId.TEMPERATURE_THRESHOLD, DEFAULT_OVER_THRESHOLD_K);
  assertEquals(criticalWarning(r), 0, "the warning lasts only while beyond the threshold");
  setFeature(r, FeatureId.TEMPERATURE_THRESHOLD, (COMPOSITE_TEMPERATURE_K + 1) | THSEL_UNDER);
  assertEquals(criticalWarning(r), 1 << CriticalWarning.TEMPERATURE, "under threshold too");
});

Deno.test("Interrupt Vector Configuration: Get Features reports the vector CDW11 names", () => {
  const r = rig();
  assertEquals(setFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, 1 | CD).status, 0);
  assertEquals(setFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, 2).status, 0);
  assertEquals(getFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, 1).dw0, 1 | CD);
  assertEquals(getFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, 2).dw0, 2);
  const dflt = getFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, 1, FeatureSelect.DEFAULT);
  assertEquals(dflt.dw0, 1);
  const bad = getFeature(r, FeatureId.INTERRUPT_VECTOR_CONFIG, r.ctrl.options.msixVectors);
  assertEquals([bad.status, bad.dnr], [Status.INVALID_FIELD, 1]);
});

Deno.test("Number of Queues: a second request before a reset reports the same allocation", () => {
  const r = rig();
  const first = setFeature(r, FeatureId.NUMBER_OF_QUEUES, (3 << 16) | 3);
  const again = setFeature(r, FeatureId.NUMBER_OF_QUEUES, 0);
  assertEquals([first.status, again.status], [0, 0]);
  assertEquals(again.dw0, first.dw0);
  assertEquals(r.ctrl.grantedIoQueues, { sq: 4, cq: 4 });
});

Deno.test("Keep Alive Timer with KAS = 0: Identify KAS 0, Set and Get refused", () => {
  const r = rig();
  const buf = r.host.allocate(PAGE, PAGE);
  exec(
    r,
    Identify.encode({ opcode: AdminOpcode.IDENTIFY, cid: cid(), prp1: buf, cns: Cns.CONTROLLER }),
  );
  const id = new Uint8Array(PAGE);
  r.host.memRead(buf, id);
  assertEquals(IdentifyController.decode(id).kas, 0);
  for (const c of [setFeature(r, FeatureId.KEEP_ALIVE_TIMER, 1000), getFeature(r, 0x0f)]) {
    assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1]);
  }
});

Deno.test("Keep Alive with KAS ≠ 0: KATO rounded up; Keep Alive restarts; expiry sets CFS", () => {
  const kas = 2; // 200 ms granularity
  const r = rig({ kas });
  const set = setFeature(r, FeatureId.KEEP_ALIVE_TIMER, 250);
  assertEquals(set.status, 0);
  const kato = getFeature(r, FeatureId.KEEP_ALIVE_TIMER).dw0;
  assertEquals(kato, 2 * kas * KAS_UNIT_MS);
  // Keep Alive every KATO / 2 for three KATOs: never expires.
  for (let i = 0; i < 6; i++) {
    r.host.sleep((kato / 2) * NS_PER_MS);
    assertEquals(
      exec(r, KeepAlive.encode({ opcode: AdminOpcode.KEEP_ALIVE, cid: cid() })).status,
      0,
    );
  }
  assertEquals(r.host.read32(R.CSTS) & CSTS_CFS, 0);
  assertEquals(r.machine.findings.all().length, 0);
  r.host.sleep(kato * NS_PER_MS + 1);
  assertEquals(r.host.read32(R.CSTS) & CSTS_CFS, CSTS_CFS, "CFS after a Keep Alive Timeout");
  assertEquals(r.machine.findings.all().map((f) => f.id), ["keep_alive.timeout"]);
});

Deno.test("an admin command with PSDT ≠ 00b is Invalid Field (PRPs only on PCIe)", () => {
  const r = rig();
  const buf = r.host.allocate(PAGE, PAGE);
  const sqe = Identify.encode({
    opcode: AdminOpcode.IDENTIFY,
    cid: cid(),
    prp1: buf,
    cns: Cns.CONTROLLER,
  });
  sqe[1] |= 1 << 6; // PSDT = 01b
  const c = exec(r, sqe);
  assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1]);
});

Deno.test("CAP.CRMS option: CC.CRIME read/write only with 11b; CRTO follows CRWMS/CRIMS", () => {
  const CRIME = 1 << 24;
  const capHi = (r: TestRig) => r.host.read32(R.CAP + 4);
  const crms = (r: TestRig) => (capHi(r) >>> 27) & 3; // CAP bits 60:59
  const writeCrime = (r: TestRig) => {
    r.host.write32(R.CC, CRIME);
    return (r.host.read32(R.CC) & CRIME) !== 0;
  };
  const both = rig({ crto: { crwmt: 20, crimt: 10 } }, { enable: false });
  assertEquals([crms(both), writeCrime(both), both.host.read32(R.CRTO)], [3, true, 0x000a0014]);
  const withMedia = rig(
    { crms: { crwms: true, crims: false }, crto: { crwmt: 20, crimt: 10 } },
    { enable: false },
  );
  assertEquals(crms(withMedia), 1);
  assertEquals(writeCrime(withMedia), false, "CRIME is RO 0 unless CAP.CRMS = 11b (§3.1.4.5)");
  assertEquals(withMedia.host.read32(R.CRTO), 20, "CRIMT cleared without CRIMS (§3.1.4.21)");
  // A VS 1.4 controller may lack CRWMS (and then CRTO); a VS ≥ 2.0 one may not (§3.1.4.1).
  const old = rig({ version: [1, 4, 0], crms: { crwms: false, crims: false } }, { enable: false });
  assertEquals([crms(old), old.host.read32(R.CRTO)], [0, 0]);
  assertThrows(
    () => rig({ crms: { crwms: false, crims: false } }, { enable: false }),
    ControllerOptionsError,
    "crwms",
  );
});

Deno.test("a refused re-enable during a pending reset keeps CSTS.CFS (the reset completes first)", () => {
  const { host } = rig();
  host.write32(R.CC, 0x00460000); // EN 1→0: reset in progress, RDY still 1
  host.write32(R.AQA, 0); // ASQS = 0: the next enable must be refused
  host.write32(R.CC, 0x00460001);
  host.sleep(10_000_000); // well past the disable delay
  const csts = host.read32(R.CSTS);
  assertEquals(csts & 3, 2, `CSTS 0x${csts.toString(16)}: CFS set, RDY clear`);
});
