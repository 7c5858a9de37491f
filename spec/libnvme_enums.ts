/**
 * Cross-check of the register map, register bit fields and status codes against the enums in
 * libnvme's `nvme/types.h` (`NVME_REG_*`, `NVME_<REG>_<FIELD>_SHIFT/_MASK`, `NVME_SC_*`). The
 * expectations are derived from our tables; a C probe prints libnvme's values. Run this module to
 * regenerate the committed fixture `spec/testdata/libnvme_enums.json`:
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run spec/libnvme_enums.ts
 * ```
 *
 * @module
 */

import { compileAndRun } from "./libnvme_probe.ts";
import { REGISTERS } from "./registers.ts";
import { STATUS_CODES } from "./status.ts";

/** One constant we expect libnvme to define, with the value our tables imply. */
export interface EnumExpectation {
  /** The C identifier, e.g. `NVME_CAP_MQES_SHIFT`. */
  readonly name: string;
  /** Our value. */
  readonly value: number;
  /** What it checks, for messages. */
  readonly what: string;
}

/** Every libnvme enum constant our register and status tables can be checked against. */
export function enumExpectations(): EnumExpectation[] {
  const out: EnumExpectation[] = [];
  for (const r of REGISTERS) {
    const reg = r.name.toUpperCase();
    out.push({ name: `NVME_REG_${reg}`, value: r.offset, what: `${r.name} offset` });
    for (const f of r.layout.fields) {
      if (f.kind !== "uint" || !f.bits) continue;
      const mapped = r.layout.libnvmeNames[f.name];
      if (mapped === null) continue;
      const field = (mapped ?? f.name).toUpperCase();
      const [lo, hi] = f.bits;
      out.push({
        name: `NVME_${reg}_${field}_SHIFT`,
        value: lo,
        what: `${r.name}.${f.name} shift`,
      });
      out.push({
        name: `NVME_${reg}_${field}_MASK`,
        value: 2 ** (hi - lo + 1) - 1,
        what: `${r.name}.${f.name} mask`,
      });
    }
  }
  for (const s of STATUS_CODES) {
    out.push({ name: `NVME_SC_${s.libnvme}`, value: s.sc, what: `status ${s.name}` });
  }
  return out;
}

/** What the probe learned from libnvme: values of the constants it has, and the ones it lacks. */
export interface EnumProbeResult {
  /** libnvme's value for each constant it defines. */
  readonly values: Record<string, number>;
  /** Constants libnvme does not define (sorted). */
  readonly missing: string[];
}

function probeSource(names: readonly string[]): string {
  const lines = names.map((n) => `  printf("\\"${n}\\": %lld,\\n", (long long)(${n}));`);
  return `#include <stdio.h>\n#include <nvme/types.h>\nint main(void) {\n  printf("{\\n");\n${
    lines.join("\n")
  }\n  printf("\\"_\\": 0}\\n");\n  return 0;\n}\n`;
}

/**
 * Compiles and runs the probe with gcc. Constants libnvme lacks are found from the compiler's
 * "undeclared" errors and reported in `missing`, so an unexpected absence is visible to the test.
 */
export async function runEnumProbe(names: readonly string[]): Promise<EnumProbeResult> {
  let wanted = [...names];
  const missing = new Set<string>();
  // Each round removes the constants gcc reported undeclared; gcc reports them all at once, so
  // two rounds suffice, a third is slack.
  for (let round = 0; round < 3; round++) {
    const r = await compileAndRun(probeSource(wanted));
    if (r.compiled) {
      const values = JSON.parse(r.stdout) as Record<string, number>;
      delete values._;
      return { values, missing: [...missing].sort() };
    }
    const undeclared = [...r.stderr.matchAll(/'(NVME_[A-Z0-9_]+)' undeclared/g)].map((m) => m[1]);
    if (undeclared.length === 0) {
      throw new Error(`libnvme enum probe failed to compile:\n${r.stderr}`);
    }
    for (const n of undeclared) missing.add(n);
    wanted = wanted.filter((n) => !missing.has(n));
  }
  throw new Error("libnvme enum probe: could not converge on the set of defined constants");
}

/** Path of the committed fixture. */
export const ENUM_FIXTURE = new URL("./testdata/libnvme_enums.json", import.meta.url);

if (import.meta.main) {
  const result = await runEnumProbe(enumExpectations().map((e) => e.name));
  Deno.writeTextFileSync(ENUM_FIXTURE, JSON.stringify(result, null, 2) + "\n");
  console.log(
    `wrote ${ENUM_FIXTURE.pathname}: ${
      Object.keys(result.values).length
    } constants, ${result.missing.length} missing`,
  );
}
