/**
 * Private helpers of the features cases (Base 2.1 §5.1.25 Set Features, §5.1.11 Get Features):
 * set → get round trips with a mask of the bits a feature defines, the SEL values a target may
 * not support without ONCS bit 4, and the section each feature is defined in (from spec/).
 *
 * @module
 */

import { FeatureCapability, FeatureSelect } from "../../spec/admin_commands.ts";
import { FEATURES } from "../../spec/features.ts";
import { Oncs, testBit } from "../../spec/identify_controller.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, SECTION_PATTERN } from "../case.ts";
import type { Completion } from "../raw_host.ts";
import { type Admin, getFeature, type GetFeatureOptions, hex, setFeature } from "./_admin_util.ts";

/** Where Set Features itself is defined. */
const SET_FEATURES = "Base 2.1 §5.1.25 (Set Features)";

/**
 * The spec section defining feature `fid`, from spec/features.ts. The I/O Command Set specific
 * features (Error Recovery, Write Atomicity Normal) are cited there without a section number, so
 * they get the Set Features section in front: a case must cite a numbered section.
 */
export function featureSection(fid: number): string {
  const info = FEATURES.get(fid);
  if (!info) throw new RangeError(`feature ${hex(fid)} is not declared in spec/features.ts`);
  return SECTION_PATTERN.test(info.section) ? info.section : `${SET_FEATURES}; ${info.section}`;
}

/** The feature's name, for messages. */
export function featureName(fid: number): string {
  return FEATURES.get(fid)?.name ?? `FID ${hex(fid)}`;
}

/** True when the target advertises Save/Select (Identify ONCS bit 4). */
export function saveSelect(ctx: CaseContext): boolean {
  return ctx.caps.identify !== null && testBit(ctx.caps.identify.oncs, Oncs.SAVE_SELECT);
}

/** Options of {@linkcode roundTrip}. */
export interface RoundTripOptions {
  /** Bits of DW0 the feature defines and the check compares (default all). */
  readonly mask?: number;
  /** CDW11 of the Get Features (selects e.g. a sensor or vector; default 0). */
  readonly getCdw11?: number;
  /** NSID of both commands (default 0). */
  readonly nsid?: number;
}

/** Sets `fid` to `value`, then fails unless Get Features (current) returns it under `mask`. */
export function roundTrip(
  ctx: CaseContext,
  admin: Admin,
  fid: number,
  value: number,
  o: RoundTripOptions = {},
): Completion {
  const mask = o.mask ?? 0xffff_ffff;
  const name = featureName(fid);
  ctx.expectStatus(setFeature(admin, fid, value, { nsid: o.nsid }), 0, `Set ${name} ${hex(value)}`);
  const got = getFeature(admin, fid, { cdw11: o.getCdw11, nsid: o.nsid });
  ctx.expectStatus(got, 0, `Get ${name}`);
  ctx.check(
    ((got.dw0 ^ value) & mask) === 0,
    `${name}: set ${hex(value)}, Get Features returned ${hex(got.dw0)} (compared bits ${
      hex(mask)
    })`,
  );
  return got;
}

/**
 * Get Features with a non-zero SEL: the completion when it succeeds. A target without ONCS bit 4
 * may refuse SEL ≠ 0 with Invalid Field in Command: the case is skipped then; with ONCS bit 4 it
 * must succeed.
 */
export function getSelected(
  ctx: CaseContext,
  admin: Admin,
  fid: number,
  sel: number,
  o: GetFeatureOptions = {},
): Completion {
  const c = getFeature(admin, fid, { ...o, sel });
  if (c.status === Status.INVALID_FIELD && !saveSelect(ctx)) {
    ctx.skip(`Get Features SEL ${sel} refused and ONCS bit 4 (Save/Select) is clear`);
  }
  ctx.expectStatus(c, 0, `Get ${featureName(fid)} SEL ${sel}`);
  return c;
}

/** Supported-capabilities DW0 (SEL 3) of `fid`, or null when SEL 3 is refused without ONCS
 * bit 4 (a target with ONCS bit 4 must answer). */
export function capabilitiesOf(ctx: CaseContext, admin: Admin, fid: number): number | null {
  const c = getFeature(admin, fid, { sel: FeatureSelect.SUPPORTED_CAPABILITIES });
  if (c.status === Status.INVALID_FIELD && !saveSelect(ctx)) return null;
  ctx.expectStatus(c, 0, `Get ${featureName(fid)} SEL 3 (supported capabilities)`);
  return c.dw0;
}

/**
 * The NSID to use with `fid`: the first active namespace when the feature is namespace specific
 * (SEL 3 bit 1, or spec/features.ts when SEL 3 is not available), else 0.
 */
export function featureNsid(ctx: CaseContext, admin: Admin, fid: number): number {
  const caps = capabilitiesOf(ctx, admin, fid);
  const specific = caps === null
    ? FEATURES.get(fid)?.namespaceSpecific ?? false
    : (caps & FeatureCapability.NAMESPACE_SPECIFIC) !== 0;
  return specific ? ctx.caps.nsid : 0;
}
