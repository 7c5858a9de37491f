// The conformance suite under `deno test`: one test per case in ALL_CASES against the reference
// controller. Some cases check what a controller does when it lacks a feature (no volatile write
// cache, no SGLs, no Doorbell Buffer Config) or need a larger MDTS, so every case runs against the
// default reference and a few configured variants: a case must never fail on any of them and must
// pass on at least one. The few cases no configuration of the reference can run are listed below
// with the reason, and they must skip (never fail) everywhere.

import { assert } from "@std/assert";
import type { ControllerOptions } from "../controller/options.ts";
import type { Capabilities } from "./capabilities.ts";
import { ALL_CASES } from "./registry.ts";
import { probeTarget, runCase } from "./run_case.ts";
import { referenceTarget, type Target } from "./target.ts";

/** Reference configurations: the default first, then variants that lack features. */
const CONFIGS: readonly [string, Partial<ControllerOptions>][] = [
  ["default", {}],
  ["lean", { volatileWriteCache: false, sgl: "none", shadowDoorbells: false, mdts: 10 }],
];

/** Cases no configuration of the reference controller can run yet, and why. */
const NOT_RUNNABLE_ON_REFERENCE: Readonly<Record<string, string>> = {
  "registers.cc.crime-read-only": "the reference always reports CAP.CRMS = 11b (no option)",
  "log-page.supported-pages.mandatory-listed":
    "the reference does not implement the Supported Log Pages page (LPA bit 5)",
  "data-pointer.sgl.bit-bucket": "the reference does not advertise SGL Bit Buckets (SGLS bit 16)",
};

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
