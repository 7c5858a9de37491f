/**
 * Conformance cases: identify — the namespace CNS values. CNS 00h (Identify Namespace, NVM CS
 * 1.1 §4.1.5.1) for active, inactive, invalid and broadcast NSIDs; CNS 02h (active Namespace ID
 * list: NSIDs greater than the NSID given, Base 2.1 §5.1.13.2.2); CNS 03h (Namespace
 * Identification Descriptor list, Base 2.1 §5.1.13.2.3); and, with Namespace Management, CNS
 * 10h–13h (allocated NSIDs, Identify Namespace of an allocated NSID, controller lists).
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { IdentifyController, Oacs, testBit } from "../../spec/identify_controller.ts";
import { formatIndex, IdentifyNamespace, MIN_LBADS } from "../../spec/identify_namespace.ts";
import {
  Nidt,
  NIDT_LENGTH,
  nsDescriptorProblem,
  scanNsDescriptorList,
} from "../../spec/ns_descriptors.ts";
import { controllerIdsOf, ControllerList } from "../../spec/ns_list.ts";
import { CapCssBit } from "../../spec/registers.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  activeList,
  allocatedList,
  createNamespace,
  deleteNamespace,
  inactiveNsid,
  NSID_WALK_LIMIT,
  ownCntlid,
  SMALL_NAMESPACE_BLOCKS,
} from "./_admin_ns.ts";
import {
  type Admin,
  allBytes,
  enableAdmin,
  firstDifference,
  hex,
  identify,
  identifyOk,
  NSID_ALL,
} from "./_admin_util.ts";

const ID_NS = "NVM CS 1.1 §4.1.5.1";
const NS_LIST = "Base 2.1 §5.1.13.2.2";
const DESCRIPTORS = "Base 2.1 §5.1.13.2.3";
const CNS_TABLE = "Base 2.1 §5.1.13.1";
/** NSID FFFFFFFEh: not a valid starting NSID for a Namespace ID list. */
const NSID_ALL_MINUS_ONE = 0xffff_fffe;

function nn(ctx: CaseContext, admin: Admin): number {
  return IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER)).nn;
}

/** Fails unless `list` is strictly increasing and within 1..`max`. */
function checkIncreasing(ctx: CaseContext, list: number[], max: number, what: string): void {
  list.forEach((n, i) => {
    ctx.check(n >= 1 && n <= max, `${what}: entry ${i} NSID ${hex(n)} is outside 1..NN ${max}`);
    ctx.check(i === 0 || n > list[i - 1], `${what}: entry ${i} (${n}) is not increasing`);
  });
}

/** Checks that list queries from several starting NSIDs return exactly the NSIDs above them. */
function checkStartSemantics(
  ctx: CaseContext,
  full: number[],
  query: (from: number) => number[],
  limit: number,
  what: string,
): void {
  const starts = new Set<number>([0]);
  for (const n of full.slice(0, NSID_WALK_LIMIT)) starts.add(n - 1).add(n);
  if (limit < NSID_ALL_MINUS_ONE) starts.add(limit);
  for (const from of starts) {
    const got = query(from), want = full.filter((n) => n > from);
    ctx.check(
      got.join() === want.join(),
      `${what} from NSID ${from}: got [${got}], expected the NSIDs above it [${want}]`,
    );
  }
}

/** The identify cases for namespaces. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "identify.namespace.active-consistent",
    title: "Identify Namespace of each active NSID: NUSE ≤ NCAP ≤ NSZE, a supported LBA format",
    section: `${ID_NS} (NSZE, NCAP, NUSE, NLBAF, FLBAS, LBAF)`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const active = activeList(ctx, admin);
      if (active.length === 0) ctx.skip("no active namespace");
      for (const nsid of active.slice(0, NSID_WALK_LIMIT)) {
        const ns = IdentifyNamespace.decode(identifyOk(ctx, admin, Cns.NAMESPACE, { nsid }));
        ctx.check(ns.nsze > 0n, `NSID ${nsid}: NSZE is 0`);
        ctx.check(ns.ncap <= ns.nsze, `NSID ${nsid}: NCAP ${ns.ncap} > NSZE ${ns.nsze}`);
        ctx.check(ns.nuse <= ns.ncap, `NSID ${nsid}: NUSE ${ns.nuse} > NCAP ${ns.ncap}`);
        const f = formatIndex(ns.flbas);
        ctx.check(f <= ns.nlbaf, `NSID ${nsid}: FLBAS format ${f} > NLBAF ${ns.nlbaf}`);
        const ds = ns.lbaf[f].ds;
        ctx.check(ds >= MIN_LBADS, `NSID ${nsid}: format ${f} in use has LBADS ${ds} < 9`);
      }
    },
  },
  {
    id: "identify.namespace.nsid-zero",
    title: "Identify Namespace with NSID 0 is Invalid Namespace or Format",
    section: `${ID_NS}, Base 2.1 §3.2.1`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const r = identify(enableAdmin(ctx), Cns.NAMESPACE, { nsid: 0 });
      ctx.expectStatus(r.c, Status.INVALID_NAMESPACE, "Identify CNS 00h NSID 0");
    },
  },
  {
    id: "identify.namespace.nsid-above-nn",
    title: "Identify Namespace with NSID NN + 1 is Invalid Namespace or Format",
    section: `${ID_NS}, Base 2.1 §3.2.1`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const max = nn(ctx, admin);
      if (max + 1 >= NSID_ALL_MINUS_ONE) ctx.skip(`NN ${hex(max)} leaves no invalid NSID`);
      const r = identify(admin, Cns.NAMESPACE, { nsid: max + 1 });
      ctx.expectStatus(r.c, Status.INVALID_NAMESPACE, `Identify CNS 00h NSID NN+1 (${max + 1})`);
    },
  },
  {
    id: "identify.namespace.inactive-zero-filled",
    title: "Identify Namespace of a valid inactive NSID succeeds with a zero-filled structure",
    section: ID_NS,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const nsid = inactiveNsid(ctx, admin, nn(ctx, admin));
      if (nsid === null) ctx.skip("every valid NSID is active");
      const r = identify(admin, Cns.NAMESPACE, { nsid });
      ctx.expectStatus(r.c, 0, `Identify CNS 00h inactive NSID ${nsid}`);
      const at = r.data.findIndex((b) => b !== 0);
      ctx.check(at < 0, `inactive NSID ${nsid}: byte ${at} is ${hex(r.data[at])}, not zero`);
    },
  },
  {
    id: "identify.namespace.broadcast",
    title: "Identify Namespace NSID FFFFFFFFh: common capabilities with Namespace Management, " +
      "else Invalid Namespace or Format",
    section: ID_NS,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const oacs = IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER)).oacs;
      const nsMgmt = testBit(oacs, Oacs.NS_MGMT);
      const r = identify(admin, Cns.NAMESPACE, { nsid: NSID_ALL });
      ctx.expectStatus(
        r.c,
        nsMgmt ? Status.SUCCESS : Status.INVALID_NAMESPACE,
        `Identify CNS 00h NSID FFFFFFFFh (Namespace Management ${nsMgmt ? "" : "not "}supported)`,
      );
    },
  },
  {
    id: "identify.active-list.ordered",
    title: "The active NSID list is increasing, within NSZE-bearing namespaces, zero after its end",
    section: NS_LIST,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const max = nn(ctx, admin);
      const data = identifyOk(ctx, admin, Cns.ACTIVE_NS_LIST);
      const list = activeList(ctx, admin);
      checkIncreasing(ctx, list, max, "active NSID list");
      const rest = data.subarray(list.length * 4);
      ctx.check(allBytes(rest, 0), "non-zero bytes after the last NSID of the list");
      for (const nsid of list.slice(0, NSID_WALK_LIMIT)) {
        const ns = IdentifyNamespace.decode(identifyOk(ctx, admin, Cns.NAMESPACE, { nsid }));
        ctx.check(ns.nsze > 0n, `listed active NSID ${nsid} reads as a zero-filled namespace`);
      }
    },
  },
  {
    id: "identify.active-list.start-nsid",
    title: "CNS 02h returns exactly the active NSIDs greater than the NSID given",
    section: NS_LIST,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const full = activeList(ctx, admin);
      checkStartSemantics(ctx, full, (n) => activeList(ctx, admin, n), nn(ctx, admin), "CNS 02h");
    },
  },
  {
    id: "identify.active-list.reserved-start",
    title: "CNS 02h with NSID FFFFFFFEh or FFFFFFFFh is Invalid Namespace or Format",
    section: NS_LIST,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const nsid of [NSID_ALL_MINUS_ONE, NSID_ALL]) {
        const r = identify(admin, Cns.ACTIVE_NS_LIST, { nsid });
        ctx.expectStatus(r.c, Status.INVALID_NAMESPACE, `Identify CNS 02h NSID ${hex(nsid)}`);
      }
    },
  },
  {
    id: "identify.descriptors.well-formed",
    title: "Namespace Identification Descriptors: defined NIDT/NIDL pairs, one per type, " +
      "a unique identifier, zeros after the list, matching Identify Namespace",
    section: DESCRIPTORS,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const active = activeList(ctx, admin);
      if (active.length === 0) ctx.skip("no active namespace");
      const needCsi = testBit(ctx.caps.cap.css, CapCssBit.IO_COMMAND_SETS);
      for (const nsid of active.slice(0, NSID_WALK_LIMIT)) {
        const data = identifyOk(ctx, admin, Cns.NS_DESCRIPTORS, { nsid });
        const scan = scanNsDescriptorList(data);
        ctx.check(scan.stop !== "overrun", `NSID ${nsid}: a descriptor runs past 4096 bytes`);
        ctx.check(allBytes(data.subarray(scan.offset), 0), `NSID ${nsid}: bytes after the list`);
        const types = scan.descriptors.map((d) => d.nidt);
        ctx.check(new Set(types).size === types.length, `NSID ${nsid}: repeated NIDT [${types}]`);
        for (const d of scan.descriptors) {
          const problem = nsDescriptorProblem(d);
          ctx.check(problem === null, `NSID ${nsid}: ${problem}`);
          if (d.nidt !== Nidt.CSI) {
            ctx.check(!allBytes(d.nid, 0), `NSID ${nsid}: NIDT ${d.nidt} is 0`);
          }
        }
        ctx.check(
          types.some((t) => t === Nidt.EUI64 || t === Nidt.NGUID || t === Nidt.UUID),
          `NSID ${nsid}: no EUI64, NGUID or UUID descriptor`,
        );
        if (needCsi) ctx.check(types.includes(Nidt.CSI), `NSID ${nsid}: CAP.CSS bit 6, no CSI`);
        const ns = IdentifyNamespace.decode(identifyOk(ctx, admin, Cns.NAMESPACE, { nsid }));
        for (const [nidt, field] of [[Nidt.EUI64, ns.eui64], [Nidt.NGUID, ns.nguid]] as const) {
          const d = scan.descriptors.find((x) => x.nidt === nidt);
          if (!d || allBytes(field, 0)) continue;
          ctx.check(
            d.nid.length === NIDT_LENGTH[nidt] && firstDifference(d.nid, field) < 0,
            `NSID ${nsid}: NIDT ${nidt} descriptor differs from Identify Namespace`,
          );
        }
      }
    },
  },
  {
    id: "identify.descriptors.not-active",
    title: "CNS 03h for NSID 0 or an inactive NSID is aborted",
    section: `${DESCRIPTORS}, Base 2.1 §3.2.1`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const zero = identify(admin, Cns.NS_DESCRIPTORS, { nsid: 0 });
      ctx.expectStatus(zero.c, Status.INVALID_NAMESPACE, "Identify CNS 03h NSID 0");
      const nsid = inactiveNsid(ctx, admin, nn(ctx, admin));
      if (nsid === null) return;
      const r = identify(admin, Cns.NS_DESCRIPTORS, { nsid });
      // An inactive NSID is Invalid Field in Command; some controllers answer Invalid Namespace.
      ctx.expectStatus(
        r.c,
        [Status.INVALID_FIELD, Status.INVALID_NAMESPACE],
        `Identify CNS 03h inactive NSID ${nsid}`,
      );
    },
  },
  {
    id: "identify.allocated-list.semantics",
    title: "CNS 10h lists allocated NSIDs above the NSID given, a superset of the active list",
    section: CNS_TABLE,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const max = nn(ctx, admin);
      const full = allocatedList(ctx, admin);
      checkIncreasing(ctx, full, max, "allocated NSID list");
      const missing = activeList(ctx, admin).find((n) => !full.includes(n));
      ctx.check(missing === undefined, `active NSID ${missing} is not in the allocated list`);
      checkStartSemantics(ctx, full, (n) => allocatedList(ctx, admin, n), max, "CNS 10h");
    },
  },
  {
    id: "identify.allocated-namespace.inactive",
    title: "A created, unattached namespace: CNS 10h lists it, CNS 11h describes it, CNS 00h " +
      "returns zeros",
    section: CNS_TABLE,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const nsid = createNamespace(ctx, admin);
      try {
        ctx.check(allocatedList(ctx, admin).includes(nsid), `new NSID ${nsid} not in CNS 10h`);
        ctx.check(!activeList(ctx, admin).includes(nsid), `unattached NSID ${nsid} in CNS 02h`);
        const alloc = IdentifyNamespace.decode(
          identifyOk(ctx, admin, Cns.ALLOCATED_NAMESPACE, { nsid }),
        );
        ctx.check(
          alloc.nsze === BigInt(SMALL_NAMESPACE_BLOCKS),
          `CNS 11h NSID ${nsid}: NSZE ${alloc.nsze}, created with ${SMALL_NAMESPACE_BLOCKS}`,
        );
        const r = identify(admin, Cns.NAMESPACE, { nsid });
        ctx.expectStatus(r.c, 0, `Identify CNS 00h allocated inactive NSID ${nsid}`);
        ctx.check(allBytes(r.data, 0), `CNS 00h of inactive NSID ${nsid} is not zero-filled`);
      } finally {
        deleteNamespace(admin, nsid);
      }
    },
  },
  {
    id: "identify.allocated-namespace.matches-active",
    title: "CNS 11h of an active NSID matches CNS 00h; of an unallocated NSID it is zero-filled",
    section: CNS_TABLE,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const allocated = allocatedList(ctx, admin);
      for (const nsid of activeList(ctx, admin).slice(0, NSID_WALK_LIMIT)) {
        const a = IdentifyNamespace.decode(identifyOk(ctx, admin, Cns.NAMESPACE, { nsid }));
        const b = IdentifyNamespace.decode(
          identifyOk(ctx, admin, Cns.ALLOCATED_NAMESPACE, { nsid }),
        );
        ctx.check(
          a.nsze === b.nsze && a.ncap === b.ncap && a.flbas === b.flbas && a.nlbaf === b.nlbaf,
          `NSID ${nsid}: CNS 11h (NSZE ${b.nsze}, FLBAS ${b.flbas}) differs from CNS 00h ` +
            `(NSZE ${a.nsze}, FLBAS ${a.flbas})`,
        );
      }
      const max = nn(ctx, admin);
      let free = 1;
      while (free <= max && allocated.includes(free)) free++;
      if (free > max) return;
      const r = identify(admin, Cns.ALLOCATED_NAMESPACE, { nsid: free });
      ctx.expectStatus(r.c, 0, `Identify CNS 11h unallocated NSID ${free}`);
      ctx.check(allBytes(r.data, 0), `CNS 11h of unallocated NSID ${free} is not zero-filled`);
    },
  },
  {
    id: "identify.controller-list.attached",
    title: "CNS 12h lists this controller for an attached NSID, from the CNTID given",
    section: CNS_TABLE,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const [nsid] = activeList(ctx, admin);
      if (nsid === undefined) ctx.skip("no active namespace");
      checkControllerList(ctx, admin, Cns.NS_CONTROLLER_LIST, nsid);
    },
  },
  {
    id: "identify.controller-list.subsystem",
    title: "CNS 13h lists this controller among the subsystem's, from the CNTID given",
    section: CNS_TABLE,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      checkControllerList(ctx, enableAdmin(ctx), Cns.CONTROLLER_LIST, 0);
    },
  },
]);

/** A controller list from CNTID 0 holds this controller in increasing order; from CNTLID + 1 it
 * holds only larger identifiers. */
function checkControllerList(ctx: CaseContext, admin: Admin, cns: number, nsid: number): void {
  const own = ownCntlid(ctx, admin);
  const read = (cntid: number) =>
    controllerIdsOf(ControllerList.decode(identifyOk(ctx, admin, cns, { nsid, cntid })));
  const all = read(0);
  ctx.check(all.includes(own), `CNS ${hex(cns)}: own CNTLID ${own} missing from [${all}]`);
  all.forEach((id, i) => ctx.check(i === 0 || id > all[i - 1], `CNS ${hex(cns)}: not increasing`));
  const above = read(own + 1);
  const want = all.filter((id) => id > own);
  ctx.check(
    above.join() === want.join(),
    `CNS ${hex(cns)} from CNTID ${own + 1}: [${above}], expected [${want}]`,
  );
}
