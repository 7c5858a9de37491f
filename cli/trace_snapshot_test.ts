// Golden snapshots of `deno task trace` on the reference target: every scenario in every format,
// byte for byte. Virtual time and the deterministic allocator make the output reproducible, so a
// change to what either side does (or to a format) shows up here as a diff. After an intended
// change, regenerate with:
//
//   deno test --update-snapshots --allow-read --allow-write=/tmp --allow-run --allow-env \
//     cli/trace_snapshot_test.ts

import { assertEquals } from "@std/assert";
import { main } from "../cli.ts";
import { validateTraceJson } from "../platform/trace_perfetto_schema.ts";
import { captureRun } from "./_test_helpers.ts";

const SCENARIOS = ["bringup", "identify", "read", "write", "shutdown"] as const;
const FORMATS = ["qemu", "timeline", "perfetto"] as const;

async function trace(argv: string[]): Promise<string> {
  const r = await captureRun((io) => main(["trace", ...argv], io));
  assertEquals(r.code, 0, r.stderr);
  return r.stdout;
}

for (const format of FORMATS) {
  Deno.test(`trace golden snapshots: --format ${format}`, async (t) => {
    for (const scenario of SCENARIOS) {
      await t.step(scenario, async (s) => {
        const out = await trace(["--scenario", scenario, "--format", format]);
        if (format === "perfetto") assertEquals(validateTraceJson(JSON.parse(out)), []);
        await s.assertSnapshot(out, { serializer: (x) => x });
      });
    }
  });
}
