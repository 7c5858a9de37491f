// The log pages of Identify LPA bit 5 (Base 2.1 §5.1.12.1): Supported Log Pages lists exactly the
// LIDs Get Log Page serves, the Commands Supported and Effects page reports a scope for every
// supported command, the FID page lists exactly the features Get Features accepts (one scope bit
// each), the NVMe-MI page is empty, and a namespace NSID is refused for these controller pages.

import { assert, assertEquals } from "@std/assert";
import { GetFeatures, GetLogPage } from "../spec/admin_commands.ts";
import { CmdEffects, CommandsSupportedEffectsLog } from "../spec/cmd_effects_log.ts";
import { FeatureId } from "../spec/features.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { Status } from "../spec/status.ts";
import { type Completion, exec, rig, type TestRig } from "./_test_host.ts";
import type { ControllerOptions } from "./options.ts";

const PAGE = 4096;
const LIDS = 256;
/** Bit 0 of each entry: LSUPP / CSUPP / FSUPP. */
const SUPPORTED = 1;
/** Bits 31:20: the scope field of the command and FID entries. */
const scopeOf = (entry: number) => entry >>> CmdEffects.CSP[0];

let nextCid = 1;
const cid = () => (nextCid = (nextCid % 0xff00) + 1);

/** Reads one page (up to 4 KiB) of log `lid`; returns the completion and the dwords. */
function readLog(r: TestRig, lid: number, nsid = 0): [Completion, Uint32Array] {
  const buf = r.host.allocate(PAGE, PAGE);
  const c = exec(
    r.admin,
    GetLogPage.encode({
      opcode: AdminOpcode.GET_LOG_PAGE,
      cid: cid(),
      nsid,
      prp1: buf,
      lid,
      numdl: PAGE / 4 - 1,
    }),
  );
  const bytes = new Uint8Array(PAGE);
  r.host.memRead(buf, bytes);
  return [c, new Uint32Array(bytes.buffer)];
}

/** Indexes whose entry has bit 0 set. */
function listed(entries: Uint32Array, count = LIDS): number[] {
  return [...entries.subarray(0, count)].flatMap((e, i) => (e & SUPPORTED ? [i] : []));
}

/** Whether Get Features (SEL = current) with `fid` succeeds. */
function featureAccepted(r: TestRig, fid: number): boolean {
  const buf = r.host.allocate(PAGE, PAGE);
  const sqe = GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, cid: cid(), fid, prp1: buf });
  return exec(r.admin, sqe).status === 0;
}

Deno.test("Supported Log Pages: LSUPP exactly for the LIDs Get Log Page serves; IOS clear", () => {
  const r = rig();
  const [c, entries] = readLog(r, LogPageId.SUPPORTED_LOG_PAGES);
  assertEquals([c.status, c.dnr], [0, 0]);
  const lids = listed(entries);
  assertEquals(lids, [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x12, 0x13]);
  // Index offsets (OT = 1) are refused, so no entry claims IOS (bit 1); nothing else is set.
  assert(entries.subarray(0, LIDS).every((e) => (e & ~SUPPORTED) === 0));
  assert(entries.subarray(LIDS).every((e) => e === 0), "bytes past 1023 are zero-filled");
  for (let lid = 0; lid < LIDS; lid++) {
    const status = readLog(r, lid)[0].status;
    assertEquals(status !== Status.INVALID_LOG_PAGE, lids.includes(lid), `LID ${lid}`);
  }
});

Deno.test("Commands Supported and Effects: every supported command reports a scope", () => {
  const r = rig();
  const log = CommandsSupportedEffectsLog.decode(
    new Uint8Array(readLog(r, LogPageId.CMD_EFFECTS)[1].buffer),
  );
  const scope = (bit: number) => 1 << bit;
  for (const [table, name] of [[log.acs, "admin"], [log.iocs, "I/O"]] as const) {
    table.forEach((e, op) => {
      if (e & SUPPORTED) assert(scopeOf(e) !== 0, `${name} ${op}: no scope`);
      else assertEquals(e, 0, `${name} ${op}: effects without CSUPP`);
    });
  }
  assertEquals(scopeOf(log.iocs[0x02]), scope(0), "Read: namespace scope");
  assertEquals(scopeOf(log.acs[AdminOpcode.CREATE_IO_SQ]), scope(1), "controller scope");
  assertEquals(scopeOf(log.acs[AdminOpcode.NS_MANAGEMENT]), scope(5), "NVM subsystem scope");
});

Deno.test("Commands Supported and Effects: Doorbell Buffer Config only when advertised", () => {
  for (const shadowDoorbells of [true, false]) {
    const r = rig({ shadowDoorbells });
    const entries = readLog(r, LogPageId.CMD_EFFECTS)[1];
    assertEquals((entries[AdminOpcode.DOORBELL_BUFFER_CONFIG] & SUPPORTED) === 1, shadowDoorbells);
  }
});

Deno.test("FID Supported and Effects: FSUPP exactly for what Get Features accepts", () => {
  const configs: Partial<ControllerOptions>[] = [{}, { kas: 10, volatileWriteCache: false }];
  for (const options of configs) {
    const r = rig(options);
    const [c, entries] = readLog(r, LogPageId.FID_SUPPORTED_EFFECTS);
    assertEquals(c.status, 0);
    const fids = listed(entries);
    for (let fid = 1; fid < LIDS; fid++) {
      assertEquals(
        fids.includes(fid),
        featureAccepted(r, fid),
        `FID ${fid} ${JSON.stringify(options)}`,
      );
    }
    for (const fid of fids) {
      const s = scopeOf(entries[fid]);
      assert(s !== 0 && (s & (s - 1)) === 0, `FID ${fid}: scope ${s.toString(2)} is not one bit`);
      assertEquals(entries[fid] & 0x1e, 0, `FID ${fid}: no UDCC/NCC/NIC/CCC`);
    }
    assertEquals(fids.includes(FeatureId.KEEP_ALIVE_TIMER), options.kas !== undefined);
  }
});

Deno.test("NVMe-MI Commands Supported and Effects: readable and empty (no NVMe-MI Send)", () => {
  const r = rig();
  const [c, entries] = readLog(r, LogPageId.MI_CMD_SUPPORTED_EFFECTS);
  assertEquals(c.status, 0);
  assert(entries.every((e) => e === 0));
});

Deno.test("LPA bit 5 pages: NSID 0 and FFFFFFFFh read the page; a namespace NSID is refused", () => {
  const r = rig();
  for (
    const lid of [
      LogPageId.SUPPORTED_LOG_PAGES,
      LogPageId.FID_SUPPORTED_EFFECTS,
      LogPageId.MI_CMD_SUPPORTED_EFFECTS,
    ]
  ) {
    for (const nsid of [0, 0xffff_ffff]) assertEquals(readLog(r, lid, nsid)[0].status, 0);
    const c = readLog(r, lid, 1)[0];
    assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1], `LID ${lid} NSID 1`);
  }
});
