/**
 * Conformance cases: aer — Asynchronous Event Request (Base 2.1 §5.1.2): the AERL limit, AERs
 * staying outstanding until an event, Error status events for invalid doorbell writes (Base 2.1
 * §5.1.2.1; PCIe Transport 1.1 §3.1.2 doorbell registers), masking of a reported event type until
 * its log page is read, the Asynchronous Event Configuration gate for notices, Namespace Attribute
 * Changed notices, and SMART / Health temperature events. Every completion's DW0 is checked for
 * event type, information, log page and reserved bits.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { AsyncEventType, NoticeEvent, SmartEvent } from "../../spec/async_events.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../../spec/doorbell.ts";
import { FeatureId } from "../../spec/features.ts";
import { IdentifyController, Oaes, testBit } from "../../spec/identify_controller.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { CHANGED_NS_LIST_OVERFLOW } from "../../spec/ns_list.ts";
import { SMART_LOG_SIZE, SmartLog } from "../../spec/smart_log.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  type AdminPump,
  checkEvent,
  enablePump,
  EVENT_TIMEOUT_NS,
  expectErrorEventsMaskedUntilLogRead,
  expectEvent,
  expectNoEvent,
  INVALID_VALUE_EVENT,
  QUIET_WINDOW_NS,
  raiseInvalidRegisterEvent,
  readErrorLog,
  submitAer,
  submitAers,
  UNCREATED_QID,
} from "./_admin_events.ts";
import { attachNamespace, createNamespace, deleteNamespace, ownCntlid } from "./_admin_ns.ts";
import { getFeature, getLogPage, hex, identifyOk, nsidList, setFeature } from "./_admin_util.ts";

const AER = "Base 2.1 §5.1.2";
const AER_INFO = "Base 2.1 §5.1.2.1";
/** Identify commands run while AERs are outstanding. */
const BACKGROUND_COMMANDS = 3;
/** A small I/O queue pair whose size the invalid doorbell values exceed. */
const SMALL_QUEUE = 8;
/** AEC: bit 1 of SHCW (temperature warnings) and bit 8 (Namespace Attribute Notices). */
const AEC_TEMPERATURE = 1 << 1, AEC_NS_ATTR = 1 << Oaes.NS_ATTR;
const TMPTH_MASK = 0xffff;
const THRESHOLD_MARGIN_K = 10;
const CHANGED_NS_SIZE = 4096;
/** Admin queue sizes: RawController's default, the largest AQA allows (Base 2.1 §3.1.4.8), and
 * the entries kept free beyond AERL + 1 for the extra AER and ordinary commands. */
const DEFAULT_ADMIN_DEPTH = 32, MAX_ADMIN_DEPTH = 4096, AER_HEADROOM = 16;
const NS_CHANGED_EVENT = {
  aet: AsyncEventType.NOTICE,
  aei: NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED,
  lid: LogPageId.CHANGED_NS,
};

/** Identify Controller through the pump. */
function idCtrl(ctx: CaseContext, pump: AdminPump) {
  return IdentifyController.decode(identifyOk(ctx, pump, Cns.CONTROLLER));
}

/** Creates I/O queue pair 1 with {@linkcode SMALL_QUEUE} entries; returns the pump. */
function smallQueuePump(ctx: CaseContext): AdminPump {
  const pump = enablePump(ctx);
  const grant = ctx.ctrl.requestQueues(1);
  if (grant.pairs < 1) ctx.fail(`Number of Queues granted ${grant.pairs} pairs`);
  ctx.ctrl.createQueuePair(1, SMALL_QUEUE);
  return pump;
}

/**
 * With I/O queue pair 1 of {@linkcode SMALL_QUEUE} entries and an AER outstanding, writes the
 * queue size to `doorbell` (BAR0 offset): an Error event for an invalid doorbell write value must
 * follow, and the Error log must then read (Base 2.1 §5.1.2.1).
 */
function outOfRangeDoorbell(ctx: CaseContext, doorbell: number, what: string): void {
  const pump = smallQueuePump(ctx);
  const cid = submitAer(pump);
  ctx.host.write32(doorbell, SMALL_QUEUE);
  expectEvent(ctx, pump, cid, INVALID_VALUE_EVENT, what);
  readErrorLog(ctx, pump, 0);
}

/** Skips unless OAES bit 8 (Namespace Attribute Notices). */
function needNsNotices(ctx: CaseContext, pump: AdminPump): void {
  if (!testBit(idCtrl(ctx, pump).oaes, Oaes.NS_ATTR)) ctx.skip("OAES bit 8 clear");
}

/** The aer cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "aer.limit.aerl-exceeded",
    title: "AERL + 1 AERs stay outstanding; one more is Asynchronous Event Request Limit Exceeded",
    section: AER,
    needs: ["identify"],
    run(ctx: CaseContext) {
      // Admin queues with room for every AER and more: a controller may hold back fetching
      // while the CQ could not take a completion for each command in flight.
      const depth = Math.min(MAX_ADMIN_DEPTH, (ctx.caps.identify?.aerl ?? 0) + AER_HEADROOM);
      const pump = enablePump(ctx, Math.max(DEFAULT_ADMIN_DEPTH, depth));
      const { aerl } = idCtrl(ctx, pump);
      const cids = submitAers(pump, aerl + 1);
      const extra = submitAer(pump);
      const c = pump.waitFor(extra);
      ctx.expectStatus(c, Status.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED, `AER number ${aerl + 2}`);
      const early = pump.drain(QUIET_WINDOW_NS).filter((x) => cids.includes(x.cid));
      ctx.check(
        early.length === 0,
        `${early.length} of the first AERL + 1 = ${aerl + 1} AERs completed without an event ` +
          `(status ${hex(early[0]?.status ?? 0)})`,
      );
    },
  },
  {
    id: "aer.outstanding.commands-proceed",
    title: "An outstanding AER does not complete without an event while other commands complete",
    section: AER,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      const cid = submitAer(pump);
      for (let i = 0; i < BACKGROUND_COMMANDS; i++) idCtrl(ctx, pump);
      expectNoEvent(ctx, pump, cid, "AER with no event");
    },
  },
  {
    id: "aer.error.invalid-doorbell-register",
    title: "An SQ Tail doorbell write for an uncreated queue: Error event, info 00h, log 01h",
    section: AER_INFO,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      raiseInvalidRegisterEvent(ctx, pump, `SQ ${UNCREATED_QID} Tail doorbell (no such queue)`);
      readErrorLog(ctx, pump, 0);
    },
  },
  {
    id: "aer.error.sq-tail-out-of-range",
    title: "An SQ Tail doorbell value not below the queue size: Error event, info 01h, log 01h",
    section: AER_INFO,
    needs: ["identify", "io-queues"],
    run(ctx: CaseContext) {
      outOfRangeDoorbell(
        ctx,
        sqTailDoorbell(1, ctx.ctrl.dstrd),
        `SQ 1 Tail = ${SMALL_QUEUE} (size)`,
      );
    },
  },
  {
    id: "aer.error.cq-head-out-of-range",
    title: "A CQ Head doorbell value not below the queue size: Error event, info 01h, log 01h",
    section: AER_INFO,
    needs: ["identify", "io-queues"],
    run(ctx: CaseContext) {
      outOfRangeDoorbell(
        ctx,
        cqHeadDoorbell(1, ctx.ctrl.dstrd),
        `CQ 1 Head = ${SMALL_QUEUE} (size)`,
      );
    },
  },
  {
    id: "aer.mask.until-log-read",
    title: "A reported event type is masked until its log page is read with RAE = 0",
    section: AER,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      raiseInvalidRegisterEvent(ctx, pump, "first invalid doorbell");
      expectErrorEventsMaskedUntilLogRead(
        ctx,
        pump,
        "a second Error event before the log page was read",
        "Error event after the log page was read",
      );
    },
  },
  {
    id: "aer.config.ns-attribute-disabled",
    title: "Namespace Attribute Notices disabled in Async Event Configuration are not reported",
    section: `${AER}, Base 2.1 §5.1.25.1.5`,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      needNsNotices(ctx, pump);
      ctx.expectStatus(setFeature(pump, FeatureId.ASYNC_EVENT_CONFIG, 0), 0, "AEC = 0");
      const cntlid = ownCntlid(ctx, pump);
      const cid = submitAer(pump);
      const nsid = createNamespace(ctx, pump);
      try {
        ctx.expectStatus(attachNamespace(pump, nsid, cntlid), 0, `attach NSID ${nsid}`);
        expectNoEvent(ctx, pump, cid, "namespace attached with AEC bit 8 clear");
      } finally {
        attachNamespace(pump, nsid, cntlid, true);
        deleteNamespace(pump, nsid);
      }
    },
  },
  {
    id: "aer.notice.ns-attribute-changed",
    title: "Attaching a namespace with notices enabled: Notice event, info 00h, log 04h naming it",
    section: AER_INFO,
    needs: ["identify", "ns-mgmt"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      needNsNotices(ctx, pump);
      ctx.expectStatus(setFeature(pump, FeatureId.ASYNC_EVENT_CONFIG, AEC_NS_ATTR), 0, "AEC");
      getLogPage(pump, LogPageId.CHANGED_NS, CHANGED_NS_SIZE); // start from an empty list
      const cntlid = ownCntlid(ctx, pump);
      const cid = submitAer(pump);
      const nsid = createNamespace(ctx, pump);
      try {
        ctx.expectStatus(attachNamespace(pump, nsid, cntlid), 0, `attach NSID ${nsid}`);
        const c = pump.within(cid, EVENT_TIMEOUT_NS);
        if (c === null) ctx.skip("no notice for an attachment made through this controller itself");
        checkEvent(ctx, c, NS_CHANGED_EVENT, `NSID ${nsid} attached`);
        const log = getLogPage(pump, LogPageId.CHANGED_NS, CHANGED_NS_SIZE);
        ctx.expectStatus(log.c, 0, "Changed Namespace List");
        const list = nsidList(log.data);
        ctx.check(
          list.includes(nsid) || list[0] === CHANGED_NS_LIST_OVERFLOW,
          `Changed Namespace List [${list}] does not name NSID ${nsid}`,
        );
      } finally {
        attachNamespace(pump, nsid, cntlid, true);
        deleteNamespace(pump, nsid);
      }
    },
  },
  {
    id: "aer.smart.temperature-threshold",
    title: "Crossing the over-temperature threshold: SMART / Health event, info 01h, log 02h",
    section: AER_INFO,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const pump = enablePump(ctx);
      const r = getLogPage(pump, LogPageId.SMART, SMART_LOG_SIZE);
      ctx.expectStatus(r.c, 0, "SMART / Health");
      const t = SmartLog.decode(r.data).temperature;
      if (t <= THRESHOLD_MARGIN_K) ctx.skip(`composite temperature ${t} K is too low to cross`);
      const aec = setFeature(pump, FeatureId.ASYNC_EVENT_CONFIG, AEC_TEMPERATURE);
      ctx.expectStatus(aec, 0, "AEC temperature warnings");
      const old = getFeature(pump, FeatureId.TEMPERATURE_THRESHOLD);
      const cid = submitAer(pump);
      const threshold = t - THRESHOLD_MARGIN_K;
      ctx.expectStatus(
        setFeature(pump, FeatureId.TEMPERATURE_THRESHOLD, threshold),
        0,
        `Set over-temperature threshold ${threshold} K (composite ${t} K)`,
      );
      expectEvent(ctx, pump, cid, {
        aet: AsyncEventType.SMART,
        aei: SmartEvent.TEMPERATURE_THRESHOLD,
        lid: LogPageId.SMART,
      }, "temperature above threshold");
      setFeature(pump, FeatureId.TEMPERATURE_THRESHOLD, old.dw0 & TMPTH_MASK);
    },
  },
]);
