/**
 * Conformance cases: features — Get Features SEL (current, default, saved, supported
 * capabilities; Base 2.1 §5.1.11), Set Features SV for a feature that is not saveable (Feature
 * Identifier Not Saveable, Base 2.1 §5.1.25), reserved Feature Identifiers, and the return to
 * saved/default values at a Controller Level Reset (Base 2.1 §3.7.2, §5.1.25 Feature
 * Identifiers: none of the features used here persists across a reset), and the Number of Queues
 * rules (Base 2.1 §5.1.25.2.1: set before any I/O queue exists, allocation fixed until a reset).
 *
 * @module
 */

import { FeatureCapability, FeatureSelect } from "../../spec/admin_commands.ts";
import { FeatureId } from "../../spec/features.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  capabilitiesOf,
  featureName,
  featureNsid,
  featureSection,
  getSelected,
  saveSelect,
} from "./_admin_features.ts";
import { adminOf, enableAdmin, getFeature, hex, setFeature } from "./_admin_util.ts";

const F = FeatureId;
const GET_FEATURES = "Base 2.1 §5.1.11";
const SET_FEATURES = "Base 2.1 §5.1.25";
/** Mandatory dword features whose current value can be written back as is. */
const DWORD_FEATURES = [
  F.ARBITRATION,
  F.POWER_MANAGEMENT,
  F.TEMPERATURE_THRESHOLD,
  F.ERROR_RECOVERY,
  F.INTERRUPT_COALESCING,
  F.WRITE_ATOMICITY,
  F.ASYNC_EVENT_CONFIG,
];
/** Supported-capabilities DW0 bits 31:3 are reserved. */
const CAPABILITY_RESERVED = ~0b111 >>> 0;
/** SEL values 100b..111b are reserved. */
const RESERVED_SEL = [4, 5, 6, 7];
/** Feature Identifiers no Base 2.1 feature uses: 00h and one from the reserved 22h..77h range. */
const RESERVED_FIDS = [0x00, 0x6f];
/** Values that differ from any plausible default: Interrupt Coalescing THR 3, TIME 1; DN 1. */
const CHANGED: ReadonlyMap<number, number> = new Map([
  [F.INTERRUPT_COALESCING, 3 | (1 << 8)],
  [F.WRITE_ATOMICITY, 1],
]);

/** Number of Queues: NSQR/NCQR FFFFh asks for 65536 queues, which is invalid. */
const NOQ_ALL = 0xffff;

/** A Number of Queues CDW11 asking for `n` SQs and `n` CQs. */
const queues = (n: number) => (((n - 1) << 16) | (n - 1)) >>> 0;

/** The select/save cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "features.select.default-unchanged-by-set",
    title: "SEL 001b (default) is unaffected by setting the current value; SEL 000b follows it",
    section: GET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const fid = F.INTERRUPT_COALESCING;
      const before = getSelected(ctx, admin, fid, FeatureSelect.DEFAULT).dw0;
      const value = CHANGED.get(fid)! === before ? 0 : CHANGED.get(fid)!;
      ctx.expectStatus(setFeature(admin, fid, value), 0, `Set ${featureName(fid)} ${hex(value)}`);
      const after = getSelected(ctx, admin, fid, FeatureSelect.DEFAULT).dw0;
      ctx.check(after === before, `default changed from ${hex(before)} to ${hex(after)}`);
      const current = getFeature(admin, fid);
      ctx.check(current.dw0 === value, `current ${hex(current.dw0)} ≠ value set ${hex(value)}`);
    },
  },
  {
    id: "features.select.saved-is-default-when-not-saveable",
    title: "SEL 010b (saved) of a feature that is not saveable returns the default value",
    section: GET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      let checked = 0;
      for (const fid of DWORD_FEATURES) {
        const caps = capabilitiesOf(ctx, admin, fid);
        if (caps === null) ctx.skip("SEL 3 refused and ONCS bit 4 (Save/Select) is clear");
        if (caps & FeatureCapability.SAVEABLE) continue;
        const nsid = featureNsid(ctx, admin, fid);
        const saved = getSelected(ctx, admin, fid, FeatureSelect.SAVED, { nsid }).dw0;
        const dflt = getSelected(ctx, admin, fid, FeatureSelect.DEFAULT, { nsid }).dw0;
        ctx.check(
          saved === dflt,
          `${featureName(fid)}: saved ${hex(saved)} ≠ default ${hex(dflt)} (not saveable)`,
        );
        checked++;
      }
      if (checked === 0) ctx.skip("every mandatory dword feature is saveable");
    },
  },
  {
    id: "features.select.capabilities-consistent",
    title: "SEL 011b: reserved bits clear; a changeable feature accepts its own value, " +
      "a fixed one is Feature Not Changeable",
    section: GET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const fid of DWORD_FEATURES) {
        const caps = capabilitiesOf(ctx, admin, fid);
        if (caps === null) ctx.skip("SEL 3 refused and ONCS bit 4 (Save/Select) is clear");
        const name = featureName(fid);
        ctx.check((caps & CAPABILITY_RESERVED) === 0, `${name}: SEL 3 DW0 ${hex(caps)} reserved`);
        const nsid = featureNsid(ctx, admin, fid);
        const current = getFeature(admin, fid, { nsid });
        ctx.expectStatus(current, 0, `Get ${name}`);
        const changeable = (caps & FeatureCapability.CHANGEABLE) !== 0;
        ctx.expectStatus(
          setFeature(admin, fid, current.dw0, { nsid }),
          changeable ? Status.SUCCESS : Status.FEATURE_NOT_CHANGEABLE,
          `Set ${name} to its current value ${hex(current.dw0)} (changeable: ${changeable})`,
        );
      }
    },
  },
  {
    id: "features.select.reserved",
    title: "Get Features with a reserved SEL (100b–111b) is Invalid Field in Command",
    section: GET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const sel of RESERVED_SEL) {
        ctx.expectStatus(
          getFeature(admin, F.ARBITRATION, { sel }),
          Status.INVALID_FIELD,
          `Get Arbitration SEL ${sel}`,
        );
      }
    },
  },
  {
    id: "features.save.not-saveable",
    title: "Set Features with SV = 1 for a feature that is not saveable is refused",
    section: SET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      let checked = 0;
      for (const fid of DWORD_FEATURES) {
        const caps = capabilitiesOf(ctx, admin, fid);
        if (caps !== null && caps & FeatureCapability.SAVEABLE) continue;
        const nsid = featureNsid(ctx, admin, fid);
        const current = getFeature(admin, fid, { nsid });
        ctx.expectStatus(current, 0, `Get ${featureName(fid)}`);
        // Without ONCS bit 4 the Save field itself is unsupported: Invalid Field is allowed too.
        const allowed = saveSelect(ctx)
          ? [Status.FEATURE_NOT_SAVEABLE]
          : [Status.FEATURE_NOT_SAVEABLE, Status.INVALID_FIELD];
        ctx.expectStatus(
          setFeature(admin, fid, current.dw0, { sv: 1, nsid }),
          allowed,
          `Set ${featureName(fid)} with SV = 1 (not saveable)`,
        );
        checked++;
      }
      if (checked === 0) ctx.skip("every mandatory dword feature is saveable");
    },
  },
  {
    id: "features.fid.reserved",
    title: "Get/Set Features with a reserved Feature Identifier is Invalid Field in Command",
    section: SET_FEATURES,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const fid of RESERVED_FIDS) {
        ctx.expectStatus(getFeature(admin, fid), Status.INVALID_FIELD, `Get FID ${hex(fid)}`);
        ctx.expectStatus(setFeature(admin, fid, 0), Status.INVALID_FIELD, `Set FID ${hex(fid)}`);
      }
      ctx.expectStatus(getFeature(admin, F.ARBITRATION), 0, "Get Arbitration afterwards");
    },
  },
  {
    id: "features.reset.current-reverts",
    title: "After a Controller Level Reset the current value is the power-on one again",
    section: "Base 2.1 §3.7.2",
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const initial = new Map<number, number>();
      for (const [fid, value] of CHANGED) {
        const c = getFeature(admin, fid);
        ctx.expectStatus(c, 0, `Get ${featureName(fid)}`);
        initial.set(fid, c.dw0);
        const v = value === c.dw0 ? 0 : value;
        ctx.expectStatus(setFeature(admin, fid, v), 0, `Set ${featureName(fid)} ${hex(v)}`);
      }
      ctx.ctrl.disable();
      ctx.ctrl.enable();
      const after = adminOf(ctx.ctrl);
      for (const [fid, want] of initial) {
        const c = getFeature(after, fid);
        ctx.expectStatus(c, 0, `Get ${featureName(fid)} after the reset`);
        ctx.check(
          c.dw0 === want,
          `${featureName(fid)} is ${hex(c.dw0)} after CC.EN 1→0→1, was ${hex(want)} at power-on`,
        );
      }
    },
  },
  {
    id: "features.number-of-queues.get-after-set",
    title: "Number of Queues: Get Features returns the allocation Set Features reported",
    section: featureSection(F.NUMBER_OF_QUEUES),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const set = setFeature(admin, F.NUMBER_OF_QUEUES, queues(2));
      ctx.expectStatus(set, 0, "Set Number of Queues 2/2");
      const got = getFeature(admin, F.NUMBER_OF_QUEUES);
      ctx.expectStatus(got, 0, "Get Number of Queues");
      ctx.check(
        got.dw0 === set.dw0,
        `Get returned NSQA/NCQA ${hex(got.dw0)}, Set reported ${hex(set.dw0)}`,
      );
    },
  },
  {
    id: "features.number-of-queues.allocation-stable",
    title: "Number of Queues set again before any I/O queue exists keeps the allocation",
    section: featureSection(F.NUMBER_OF_QUEUES),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const first = setFeature(admin, F.NUMBER_OF_QUEUES, queues(2));
      ctx.expectStatus(first, 0, "Set Number of Queues 2/2");
      // "The value allocated shall not change between resets": a second request may be refused,
      // or succeed reporting the same allocation.
      const again = setFeature(admin, F.NUMBER_OF_QUEUES, queues(1));
      ctx.expectStatus(again, [0, Status.COMMAND_SEQUENCE_ERROR], "Set Number of Queues again");
      if (again.status !== 0) return;
      ctx.check(
        again.dw0 === first.dw0,
        `allocation changed from ${hex(first.dw0)} to ${hex(again.dw0)} without a reset`,
      );
    },
  },
  {
    id: "features.number-of-queues.after-io-queues",
    title: "Number of Queues after an I/O queue was created is Command Sequence Error",
    section: featureSection(F.NUMBER_OF_QUEUES),
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      ctx.ctrl.ioSetup(1, 2);
      ctx.expectStatus(
        setFeature(adminOf(ctx.ctrl), F.NUMBER_OF_QUEUES, queues(1)),
        Status.COMMAND_SEQUENCE_ERROR,
        "Set Number of Queues with I/O queue 1 created",
      );
    },
  },
  {
    id: "features.number-of-queues.ffff-invalid",
    title: "Number of Queues with NSQR or NCQR = FFFFh is Invalid Field in Command",
    section: featureSection(F.NUMBER_OF_QUEUES),
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const [what, v] of [["NSQR", NOQ_ALL], ["NCQR", NOQ_ALL << 16]] as const) {
        ctx.expectStatus(
          setFeature(admin, F.NUMBER_OF_QUEUES, v >>> 0),
          Status.INVALID_FIELD,
          `Set Number of Queues ${what} = FFFFh`,
        );
      }
    },
  },
]);
