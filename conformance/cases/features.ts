/**
 * Conformance cases: features — each mandatory feature (and the optional ones a target
 * advertises) set and read back with Get Features, out-of-range values refused, and the Number
 * Base 2.1 §5.1.25 Set Features, §5.1.11 Get Features, the feature sections of spec/features.ts.
 * SEL, SV, reserved FIDs, resets and the Number of Queues rules are in features_select.ts.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import {
  FeatureId,
  HostMemoryBufferAttributes,
  HostMemoryBufferDescriptor,
  Timestamp,
} from "../../spec/features.ts";
import { IdentifyController, Oaes, testBit } from "../../spec/identify_controller.ts";
import { Status } from "../../spec/status.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { featureNsid, featureSection, roundTrip } from "./_admin_features.ts";
import {
  type Admin,
  dataBuffer,
  enableAdmin,
  getFeature,
  hex,
  identifyOk,
  PAGE_SIZE,
  readBuffer,
  setFeature,
} from "./_admin_util.ts";

const F = FeatureId;
/** Arbitration: AB 011b (bursts of 8), LPW 1, MPW 3, HPW 7 (0's based weights). */
const ARBITRATION_VALUE = 3 | (1 << 8) | (3 << 16) | (7 << 24);
const AB_MASK = 0x7;
const PS_MASK = 0x1f, MAX_POWER_STATE = 31;
const TMPTH_MASK = 0xffff;
/** THSEL (CDW11 bits 21:20): 00b over temperature, 01b under temperature threshold. */
const THSEL_SHIFT = 20, THSEL_UNDER = 1;
/** An under-temperature threshold no real sensor reaches: 10 K. */
const LOW_UNDER_THRESHOLD_K = 10;
const TLER_500_MS = 5, TLER_MASK = 0xffff;
/** Interrupt Coalescing: THR 7 (8 entries, 0's based), TIME 2 (200 µs). */
const COALESCING_VALUE = 7 | (2 << 8);
const IV_MASK = 0xffff, CD = 1 << 16;
/** Async Event Config: SMART/Health critical warnings 0..4 (defined since NVMe 1.0). */
const SHCW_BASIC = 0x1f;
/** Keep Alive Timer: KAS is in 100 ms units, KATO in ms. */
const KAS_UNIT_MS = 100, KATO_MULTIPLE = 10;
/** Timestamp set by the host: 2026-01-01T00:00:00Z in ms; TO 001b = set by Set Features. */
const HOST_TIMESTAMP_MS = Date.UTC(2026, 0, 1);
const TO_SET_FEATURES = 1;
/** Upper bound on how far a timestamp may run ahead in one case: an hour of target time. */
const TIMESTAMP_SLACK_MS = 3_600_000;
/** HMMIN/HMPRE are in 4 KiB units; cases test buffers up to 64 MiB. */
const HMB_UNIT = 4096, HMB_TEST_LIMIT = 64 * 1024 * 1024;
const EHM = 1;

function idCtrl(ctx: CaseContext, admin: Admin): IdentifyControllerValue {
  return IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER));
}

/** A temperature threshold CDW11 for the composite sensor (TMPSEL 0). */
const threshold = (kelvin: number, thsel = 0) => (kelvin | (thsel << THSEL_SHIFT)) >>> 0;

/** The feature cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "features.arbitration.round-trip",
    title: "Arbitration: the burst (and weights, with WRR) read back as set",
    section: featureSection(F.ARBITRATION),
    run(ctx: CaseContext) {
      const wrr = (ctx.caps.cap.ams & 1) === 1;
      roundTrip(ctx, enableAdmin(ctx), F.ARBITRATION, ARBITRATION_VALUE, {
        mask: wrr ? 0xffff_ffff : AB_MASK,
      });
    },
  },
  {
    id: "features.power-management.round-trip",
    title: "Power Management: the highest supported power state reads back as set",
    section: featureSection(F.POWER_MANAGEMENT),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      roundTrip(ctx, admin, F.POWER_MANAGEMENT, idCtrl(ctx, admin).npss, { mask: PS_MASK });
    },
  },
  {
    id: "features.power-management.unsupported-state",
    title: "Power Management with PS above NPSS is Invalid Field and the state is kept",
    section: featureSection(F.POWER_MANAGEMENT),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { npss } = idCtrl(ctx, admin);
      if (npss >= MAX_POWER_STATE) ctx.skip("all 32 power states are supported");
      const before = getFeature(admin, F.POWER_MANAGEMENT);
      ctx.expectStatus(before, 0, "Get Power Management");
      const c = setFeature(admin, F.POWER_MANAGEMENT, npss + 1);
      ctx.expectStatus(c, Status.INVALID_FIELD, `Set Power Management PS ${npss + 1} > NPSS`);
      const after = getFeature(admin, F.POWER_MANAGEMENT);
      ctx.check(
        (after.dw0 & PS_MASK) === (before.dw0 & PS_MASK),
        `power state changed from ${before.dw0 & PS_MASK} to ${after.dw0 & PS_MASK}`,
      );
    },
  },
  {
    id: "features.temperature-threshold.round-trip",
    title: "Temperature Threshold: the composite over-temperature threshold reads back as set",
    section: featureSection(F.TEMPERATURE_THRESHOLD),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const old = getFeature(admin, F.TEMPERATURE_THRESHOLD, { cdw11: threshold(0) });
      ctx.expectStatus(old, 0, "Get Temperature Threshold (over)");
      // One kelvin higher than the current threshold: never a new warning.
      const kelvin = Math.min((old.dw0 & TMPTH_MASK) + 1, TMPTH_MASK);
      roundTrip(ctx, admin, F.TEMPERATURE_THRESHOLD, threshold(kelvin), {
        mask: TMPTH_MASK,
        getCdw11: threshold(0),
      });
    },
  },
  {
    id: "features.temperature-threshold.over-under-independent",
    title: "Temperature Threshold: over and under thresholds are kept apart (THSEL)",
    section: featureSection(F.TEMPERATURE_THRESHOLD),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const over = getFeature(admin, F.TEMPERATURE_THRESHOLD, { cdw11: threshold(0) });
      ctx.expectStatus(over, 0, "Get Temperature Threshold (over)");
      const overK = over.dw0 & TMPTH_MASK;
      const under = threshold(LOW_UNDER_THRESHOLD_K, THSEL_UNDER);
      ctx.expectStatus(
        setFeature(admin, F.TEMPERATURE_THRESHOLD, under),
        0,
        `Set under-temperature threshold ${LOW_UNDER_THRESHOLD_K} K`,
      );
      const o = getFeature(admin, F.TEMPERATURE_THRESHOLD, { cdw11: threshold(0) });
      const u = getFeature(admin, F.TEMPERATURE_THRESHOLD, { cdw11: threshold(0, THSEL_UNDER) });
      ctx.expectStatus(u, 0, "Get Temperature Threshold (under)");
      ctx.check(
        (o.dw0 & TMPTH_MASK) === overK,
        `setting the under threshold changed the over threshold ${overK} K → ` +
          `${o.dw0 & TMPTH_MASK} K`,
      );
      ctx.check(
        (u.dw0 & TMPTH_MASK) === LOW_UNDER_THRESHOLD_K,
        `under threshold reads ${u.dw0 & TMPTH_MASK} K, set ${LOW_UNDER_THRESHOLD_K} K`,
      );
    },
  },
  {
    id: "features.error-recovery.round-trip",
    title: "Error Recovery: TLER reads back as set",
    section: featureSection(F.ERROR_RECOVERY),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const nsid = featureNsid(ctx, admin, F.ERROR_RECOVERY);
      roundTrip(ctx, admin, F.ERROR_RECOVERY, TLER_500_MS, { mask: TLER_MASK, nsid });
    },
  },
  {
    id: "features.volatile-write-cache.toggle",
    title: "Volatile Write Cache: WCE can be cleared and set again",
    section: featureSection(F.VOLATILE_WRITE_CACHE),
    needs: ["vwc"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      roundTrip(ctx, admin, F.VOLATILE_WRITE_CACHE, 0, { mask: 1 });
      roundTrip(ctx, admin, F.VOLATILE_WRITE_CACHE, 1, { mask: 1 });
    },
  },
  {
    id: "features.volatile-write-cache.absent",
    title: "Volatile Write Cache cannot be enabled when Identify VWC says none is present",
    section: featureSection(F.VOLATILE_WRITE_CACHE),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      if (idCtrl(ctx, admin).vwc & 1) ctx.skip("a volatile write cache is present");
      ctx.expectStatus(
        setFeature(admin, F.VOLATILE_WRITE_CACHE, 1),
        [Status.INVALID_FIELD, Status.FEATURE_NOT_CHANGEABLE],
        "Set Volatile Write Cache WCE = 1 without a cache",
      );
    },
  },
  {
    id: "features.interrupt-coalescing.round-trip",
    title: "Interrupt Coalescing: THR and TIME read back as set",
    section: featureSection(F.INTERRUPT_COALESCING),
    run(ctx: CaseContext) {
      roundTrip(ctx, enableAdmin(ctx), F.INTERRUPT_COALESCING, COALESCING_VALUE, {
        mask: 0xffff,
      });
    },
  },
  {
    id: "features.interrupt-vector.per-vector",
    title: "Interrupt Vector Configuration is kept per vector (the IV given to Get Features)",
    section: featureSection(F.INTERRUPT_VECTOR_CONFIG),
    needs: ["msix"],
    run(ctx: CaseContext) {
      if (ctx.caps.msixVectors < 3) ctx.skip("fewer than 3 MSI-X vectors");
      const admin = enableAdmin(ctx);
      ctx.expectStatus(setFeature(admin, F.INTERRUPT_VECTOR_CONFIG, 1 | CD), 0, "Set IV 1 CD");
      ctx.expectStatus(setFeature(admin, F.INTERRUPT_VECTOR_CONFIG, 2), 0, "Set IV 2 no CD");
      for (const [iv, cd] of [[1, CD], [2, 0]]) {
        const c = getFeature(admin, F.INTERRUPT_VECTOR_CONFIG, { cdw11: iv });
        ctx.expectStatus(c, 0, `Get Interrupt Vector Configuration IV ${iv}`);
        ctx.check(
          (c.dw0 & IV_MASK) === iv && (c.dw0 & CD) === cd,
          `IV ${iv}: Get Features returned ${hex(c.dw0)}, expected IV ${iv} CD ${cd ? 1 : 0}`,
        );
      }
    },
  },
  {
    id: "features.interrupt-vector.invalid-vector",
    title: "Interrupt Vector Configuration for a vector the function does not have is refused",
    section: featureSection(F.INTERRUPT_VECTOR_CONFIG),
    needs: ["msix"],
    run(ctx: CaseContext) {
      const iv = ctx.caps.msixVectors;
      ctx.expectStatus(
        setFeature(enableAdmin(ctx), F.INTERRUPT_VECTOR_CONFIG, iv | CD),
        [Status.INVALID_FIELD, Status.INVALID_INTERRUPT_VECTOR],
        `Set Interrupt Vector Configuration IV ${iv} (the function has ${iv} vectors)`,
      );
    },
  },
  {
    id: "features.write-atomicity.round-trip",
    title: "Write Atomicity Normal: DN reads back set and cleared",
    section: featureSection(F.WRITE_ATOMICITY),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      roundTrip(ctx, admin, F.WRITE_ATOMICITY, 1, { mask: 1 });
      roundTrip(ctx, admin, F.WRITE_ATOMICITY, 0, { mask: 1 });
    },
  },
  {
    id: "features.async-event-config.round-trip",
    title: "Asynchronous Event Configuration: the supported event enables read back as set",
    section: featureSection(F.ASYNC_EVENT_CONFIG),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { oaes } = idCtrl(ctx, admin);
      let value = SHCW_BASIC;
      for (const bit of [Oaes.NS_ATTR, Oaes.FW_ACTIVATION]) {
        if (testBit(oaes, bit)) value |= 1 << bit;
      }
      roundTrip(ctx, admin, F.ASYNC_EVENT_CONFIG, value);
    },
  },
  {
    id: "features.keep-alive.kas",
    title: "Keep Alive Timer: KATO reads back when KAS ≠ 0, the feature is refused when KAS = 0",
    section: featureSection(F.KEEP_ALIVE_TIMER),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { kas } = idCtrl(ctx, admin);
      if (kas === 0) {
        ctx.expectStatus(
          setFeature(admin, F.KEEP_ALIVE_TIMER, KAS_UNIT_MS),
          Status.INVALID_FIELD,
          "Set Keep Alive Timer with KAS = 0 (Keep Alive not supported)",
        );
        return;
      }
      roundTrip(ctx, admin, F.KEEP_ALIVE_TIMER, kas * KAS_UNIT_MS * KATO_MULTIPLE);
      roundTrip(ctx, admin, F.KEEP_ALIVE_TIMER, 0);
    },
  },
  {
    id: "features.timestamp.round-trip",
    title: "Timestamp: a host-set value reads back, counting on from it, with origin 001b",
    section: featureSection(F.TIMESTAMP),
    needs: ["timestamp"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const buf = dataBuffer(ctx.host, Timestamp.size);
      ctx.host.memWrite(buf.addr, Timestamp.encode({ timestamp: HOST_TIMESTAMP_MS }));
      ctx.expectStatus(setFeature(admin, F.TIMESTAMP, 0, { buf }), 0, "Set Timestamp");
      const out = dataBuffer(ctx.host, Timestamp.size);
      ctx.expectStatus(getFeature(admin, F.TIMESTAMP, { buf: out }), 0, "Get Timestamp");
      const t = Timestamp.decode(readBuffer(ctx.host, out));
      ctx.check(
        t.timestamp >= HOST_TIMESTAMP_MS && t.timestamp < HOST_TIMESTAMP_MS + TIMESTAMP_SLACK_MS,
        `Timestamp ${t.timestamp} ms does not continue from the ${HOST_TIMESTAMP_MS} ms set`,
      );
      ctx.check(t.to === TO_SET_FEATURES, `Timestamp Origin ${t.to}, expected 001b (Set Features)`);
    },
  },
  {
    id: "features.host-memory-buffer.enable-disable",
    title: "Host Memory Buffer: enabled with an HMMIN-sized buffer, attributes read back, disabled",
    section: featureSection(F.HOST_MEMORY_BUFFER),
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { hmpre, hmmin } = idCtrl(ctx, admin);
      if (hmpre === 0) ctx.skip("HMPRE is 0: no Host Memory Buffer");
      const bytes = Math.max(hmmin, 1) * HMB_UNIT;
      if (bytes > HMB_TEST_LIMIT) ctx.skip(`HMMIN ${bytes} bytes is too large to test`);
      const pages = bytes / PAGE_SIZE;
      const hmb = ctx.host.allocate(bytes, PAGE_SIZE);
      const list = ctx.host.allocate(PAGE_SIZE, PAGE_SIZE);
      ctx.host.memWrite(
        list,
        HostMemoryBufferDescriptor.encode({ badd: BigInt(hmb), bsize: pages }),
      );
      const enable = setFeature(admin, F.HOST_MEMORY_BUFFER, EHM, {
        cdw12: pages,
        cdw13: list % 2 ** 32,
        cdw14: Math.floor(list / 2 ** 32),
        cdw15: 1,
      });
      ctx.expectStatus(enable, 0, `Set Host Memory Buffer EHM, ${pages} pages`);
      const attrs = dataBuffer(ctx.host, HostMemoryBufferAttributes.size);
      const got = getFeature(admin, F.HOST_MEMORY_BUFFER, { buf: attrs });
      ctx.expectStatus(got, 0, "Get Host Memory Buffer");
      ctx.check((got.dw0 & EHM) === EHM, `EHM not set after enabling (DW0 ${hex(got.dw0)})`);
      const a = HostMemoryBufferAttributes.decode(readBuffer(ctx.host, attrs));
      ctx.check(
        a.hsize === pages && a.hmdlal === list % 2 ** 32 &&
          a.hmdlau === Math.floor(list / 2 ** 32) && a.hmdlec === 1,
        `attributes HSIZE ${a.hsize} HMDLA ${hex(a.hmdlau)}:${hex(a.hmdlal)} HMDLEC ${a.hmdlec}` +
          ` differ from those set (${pages}, ${hex(list)}, 1)`,
      );
      ctx.expectStatus(setFeature(admin, F.HOST_MEMORY_BUFFER, 0), 0, "Set Host Memory Buffer off");
      const off = getFeature(admin, F.HOST_MEMORY_BUFFER, { buf: attrs });
      ctx.expectStatus(off, 0, "Get Host Memory Buffer after disabling");
      ctx.check((off.dw0 & EHM) === 0, `EHM still set after disabling (DW0 ${hex(off.dw0)})`);
    },
  },
]);
