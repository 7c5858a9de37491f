// The conformance suite under `deno test`: one test per case in ALL_CASES against the reference
// controller. Some cases check what a controller does when it lacks a feature (no volatile write
// cache, no SGLs, no Doorbell Buffer Config, no Controller Ready Independent of Media mode) or
// need a larger MDTS, so every case runs against the default reference and a configured variant:
// a case must never fail on either and must pass on at least one. Cases no configuration of the
// reference can run would be listed below with the reason, and must skip (never fail) everywhere.

import { assert } from "@std/assert";
import type { ControllerOptions } from "../controller/options.ts";
import type { Capabilities } from "./capabilities.ts";
import { ALL_CASES } from "./registry.ts";
import { probeTarget, runCase } from "./run_case.ts";
import { referenceTarget, type Target } from "./target.ts";

/** Reference configurations: the default first, then variants that lack features. */
const CONFIGS: readonly [string, Partial<ControllerOptions>][] = [
  ["default", {}],
  // CAP.CRMS = 01b: ready with media only, so CC.CRIME is read-only (CRWMS stays: VS ≥ 2.0).
  ["lean", {
    volatileWriteCache: false,
    sgl: "none",
    shadowDoorbells: false,
    mdts: 10,
    crms: { crwms: true, crims: false },
  }],
];

/** Cases no configuration of the reference controller can run yet, and why (none today). */
const NOT_RUNNABLE_ON_REFERENCE: Readonly<Record<string, string>> = {};

const targets: { name: string; target: Target; caps: Capabilities }[] = CONFIGS.map((
  [name, options],
) => {
  const target = referenceTarget(options, `reference-${name}`);
  return { name, target, caps: probeTarget(target) };
});

for (const c of ALL_CASES) {
  Deno.test(`${c.id} — ${c.title} (${c.section})`, () => {
    const outcomes: string[] = [];
    let passed = false;
    for (const { name, target, caps } of targets) {
      const r = runCase(target, caps, c);
      outcomes.push(`${name}: ${r.status}${r.message ? ` (${r.message})` : ""}`);
      assert(
        r.status !== "fail",
        `${c.id} (${c.section}) fails on reference-${name}: ${r.message}`,
      );
      if (r.status === "pass") passed = true;
    }
    const why = NOT_RUNNABLE_ON_REFERENCE[c.id];
    if (why) {
      assert(!passed, `${c.id} now passes on the reference: remove it from the not-runnable list`);
      return;
    }
    assert(passed, `${c.id} passes on no reference configuration: ${outcomes.join("; ")}`);
  });
}
