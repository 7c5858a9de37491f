/**
 * Conformance cases: log-page — the pages tied to asynchronous events: Retain Asynchronous Event
 * (RAE, Base 2.1 §5.1.12: with RAE = 1 the event stays, and its type stays masked), the Changed
 * Namespace List (Base 2.1 §5.1.12.1.5, with OAES bit 8), and the SMART / Health Critical
 * Warning a crossed temperature threshold raises (Base 2.1 §5.1.12.1.3).
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { FeatureId } from "../../spec/features.ts";
import { IdentifyController, Oaes, testBit } from "../../spec/identify_controller.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { CHANGED_NS_LIST_OVERFLOW } from "../../spec/ns_list.ts";
import { CriticalWarning, SMART_LOG_SIZE, SmartLog } from "../../spec/smart_log.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  enablePump,
  EVENT_TIMEOUT_NS,
  expectErrorEventsMaskedUntilLogRead,
  raiseInvalidRegisterEvent,
  readErrorLog,
} from "./_admin_events.ts";
import { attachNamespace, createNamespace, deleteNamespace, ownCntlid } from "./_admin_ns.ts";
import {
  type Admin,
  allBytes,
  enableAdmin,
  getFeature,
  getLogPage,
  hex,
  identifyOk,
  nsidList,
  setFeature,
} from "./_admin_util.ts";
import { pollUntil } from "../raw_host.ts";

const GLP = "Base 2.1 §5.1.12";
const CHANGED_NS = "Base 2.1 §5.1.12.1.5";
const SMART = "Base 2.1 §5.1.12.1.3";
const CHANGED_NS_SIZE = 4096;
/** AEC bit 8: Namespace Attribute Notices. */
const AEC_NS_ATTR = 1 << Oaes.NS_ATTR;
const TMPTH_MASK = 0xffff;
/** How far below the composite temperature the case puts the over-temperature threshold. */
const THRESHOLD_MARGIN_K = 10;
/** How often the SMART page is polled for the warning. */
const SMART_POLL_NS = 10_000_000;

/** Skips unless Identify OAES bit 8 (Namespace Attribute Notices, Changed Namespace List). */
function needNsNotices(ctx: CaseContext, admin: Admin): void {
  const { oaes } = IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER));
  if (!testBit(oaes, Oaes.NS_ATTR)) ctx.skip("OAES bit 8 clear: no Changed Namespace List");
}

/** Reads the Changed Namespace List (must succeed) and returns its NSIDs. */
function changedList(ctx: CaseContext, admin: Admin, rae: number): number[] {
  const r = getLogPage(admin, LogPageId.CHANGED_NS, CHANGED_NS_SIZE, { rae });
  ctx.expectStatus(r.c, 0, `Changed Namespace List (RAE ${rae})`);
  return nsidList(r.data);
}

/** The log-page cases about events. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "log-page.rae.retains-event",
    title: "A read with RAE = 1 keeps the Error event (its type stays masked); RAE = 0 clears it",
    section: GLP,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      raiseInvalidRegisterEvent(ctx, pump, "first invalid doorbell");
      readErrorLog(ctx, pump, 1);
      expectErrorEventsMaskedUntilLogRead(
        ctx,
        pump,
        "an Error event after the log was read with RAE = 1",
        "Error event after a RAE = 0 read",
      );
    },
  },
  {
    id: "log-page.changed-ns.format",
    title: "Changed Namespace List: increasing valid NSIDs, or FFFFFFFFh alone, zeros after",
    section: CHANGED_NS,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      needNsNotices(ctx, admin);
      const { nn } = IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER));
      const r = getLogPage(admin, LogPageId.CHANGED_NS, CHANGED_NS_SIZE, { rae: 1 });
      ctx.expectStatus(r.c, 0, "Changed Namespace List");
      const list = nsidList(r.data);
      ctx.check(allBytes(r.data.subarray(list.length * 4), 0), "non-zero bytes after the list");
      if (list[0] === CHANGED_NS_LIST_OVERFLOW) {
        ctx.check(list.length === 1, "FFFFFFFFh (overflow) is followed by more entries");
        return;
      }
      list.forEach((n, i) => {
        ctx.check(n <= nn, `entry ${i}: NSID ${hex(n)} above NN ${nn}`);
        ctx.check(i === 0 || n > list[i - 1], `entry ${i}: NSID ${n} is not increasing`);
      });
    },
  },
  {
    id: "log-page.changed-ns.attach-listed-then-cleared",
    title: "Changed Namespace List names a newly attached NSID, and no longer after being read",
    section: CHANGED_NS,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      needNsNotices(ctx, admin);
      ctx.expectStatus(setFeature(admin, FeatureId.ASYNC_EVENT_CONFIG, AEC_NS_ATTR), 0, "AEC");
      changedList(ctx, admin, 0);
      const cntlid = ownCntlid(ctx, admin);
      const nsid = createNamespace(ctx, admin);
      try {
        ctx.expectStatus(attachNamespace(admin, nsid, cntlid), 0, `attach NSID ${nsid}`);
        const first = changedList(ctx, admin, 0);
        if (!first.includes(nsid) && first[0] !== CHANGED_NS_LIST_OVERFLOW) {
          ctx.skip("the target lists no change made through this controller itself");
        }
        const second = changedList(ctx, admin, 0);
        ctx.check(!second.includes(nsid), `NSID ${nsid} still listed after a RAE = 0 read`);
      } finally {
        attachNamespace(admin, nsid, cntlid, true);
        deleteNamespace(admin, nsid);
      }
    },
  },
  {
    id: "log-page.smart.temperature-warning",
    title: "An over-temperature threshold below the composite temperature sets Critical Warning " +
      "bit 1",
    section: SMART,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const smart = () => {
        const r = getLogPage(admin, LogPageId.SMART, SMART_LOG_SIZE);
        ctx.expectStatus(r.c, 0, "SMART / Health");
        return SmartLog.decode(r.data);
      };
      const t = smart().temperature;
      if (t <= THRESHOLD_MARGIN_K) ctx.skip(`composite temperature ${t} K is too low to cross`);
      const old = getFeature(admin, FeatureId.TEMPERATURE_THRESHOLD);
      ctx.expectStatus(old, 0, "Get Temperature Threshold");
      const threshold = t - THRESHOLD_MARGIN_K;
      ctx.expectStatus(
        setFeature(admin, FeatureId.TEMPERATURE_THRESHOLD, threshold),
        0,
        `Set over-temperature threshold ${threshold} K (composite ${t} K)`,
      );
      let warning = 0;
      pollUntil(ctx.host, () => {
        warning = smart().critical_warning;
        if (testBit(warning, CriticalWarning.TEMPERATURE)) return true;
        ctx.host.sleep(SMART_POLL_NS);
        return false;
      }, EVENT_TIMEOUT_NS);
      setFeature(admin, FeatureId.TEMPERATURE_THRESHOLD, old.dw0 & TMPTH_MASK);
      ctx.check(
        testBit(warning, CriticalWarning.TEMPERATURE),
        `Critical Warning ${hex(warning)}: bit 1 not set with threshold ${threshold} K ≤ ${t} K`,
      );
    },
  },
]);
