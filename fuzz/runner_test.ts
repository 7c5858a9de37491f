import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import fc from "fast-check";
import { type FuzzProperty, PropertyViolation } from "./property.ts";
import {
  parseReplay,
  readReplay,
  REPLAY_FORMAT,
  ReplayFileError,
  replayRecord,
  writeReplay,
} from "./replay.ts";
import { perSecond, replayPathOf, runProperty } from "./runner.ts";

/** Fails for any number ≥ 10: fast-check must shrink to exactly 10. */
const atLeastTen: FuzzProperty = {
  name: "below-ten",
  description: "every generated number is below ten",
  section: "none",
  usesDriver: false,
  property: () =>
    fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
      if (n >= 10) throw new PropertyViolation(`${n} is not below ten`);
    }),
};

Deno.test("runner: a failure is shrunk, rendered as steps, and replays from its path", () => {
  const r = runProperty(atLeastTen, {}, { seed: 3, runs: 100 });
  assertEquals(r.status, "fail");
  assertEquals(r.error, "PropertyViolation: 10 is not below ten");
  assertEquals(r.steps, ["10"], "no steps(): fast-check's rendering of each value");
  assert(r.shrinks > 0 && r.path !== null);
  const again = runProperty(atLeastTen, {}, { seed: r.seed, path: r.path! });
  assertEquals([again.status, again.error, again.runs], ["fail", r.error, 1]);
});

/** Always holds. */
const belowTen: FuzzProperty = {
  ...atLeastTen,
  property: () => fc.property(fc.integer({ min: 0, max: 9 }), () => {}),
};

Deno.test("runner: a pass reports its runs; a driver crash is a failure, not a throw", () => {
  const r = runProperty(belowTen, {}, { seed: 3, runs: 17 });
  assertEquals([r.status, r.runs, r.steps, r.path], ["pass", 17, [], null]);
  const crashing: FuzzProperty = {
    ...atLeastTen,
    name: "crash",
    property: () =>
      fc.property(fc.constant(0), () => {
        throw new TypeError("driver bug: x is undefined");
      }),
  };
  const c = runProperty(crashing, {}, { seed: 1, runs: 5 });
  assertEquals([c.status, c.error], ["fail", "TypeError: driver bug: x is undefined"]);
});

Deno.test("runner: replayPathOf finds fast-check's hint in a rendered commands value", () => {
  assertEquals(replayPathOf('write(1+1),read(1+1) /*replayPath="AAB"*/'), "AAB");
  assertEquals(replayPathOf("[1,2]"), null);
});

Deno.test("replay files: written, read back, and bad ones rejected with a clear message", () => {
  const r = runProperty(atLeastTen, {}, { seed: 5, runs: 100 });
  const record = replayRecord(r, { driver: null, controller: { mutants: ["write-data-dropped"] } });
  assertEquals(record.format, REPLAY_FORMAT);
  const dir = Deno.makeTempDirSync({ prefix: "fuzz_replay_test_" });
  try {
    const path = writeReplay(dir, record);
    assertStringIncludes(path, "below-ten-seed5.json");
    assertEquals(readReplay(path), record);
    assertThrows(() => readReplay(`${dir}/missing.json`), ReplayFileError, "cannot read");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  assertThrows(() => parseReplay("{", "x.json"), ReplayFileError, "not JSON");
  assertThrows(() => parseReplay("{}", "x.json"), ReplayFileError, "not a replay file");
  const bad = JSON.stringify({ ...record, path: "a:b" });
  assertThrows(() => parseReplay(bad, "x.json"), ReplayFileError, `"path"`);
  const pass = runProperty(belowTen, {}, { seed: 3, runs: 1 });
  assertThrows(() => replayRecord(pass, {}), ReplayFileError, "did not fail");
});

Deno.test("runner: a result carries executions, commands and rates; progress follows each run", async () => {
  const { resolveDriver } = await import("../driver/registry.ts");
  const { dataIntegrityProperty } = await import("./prop_data_integrity.ts");
  const seen: number[] = [];
  const r = runProperty(dataIntegrityProperty(), { driver: await resolveDriver("linux") }, {
    seed: 8,
    runs: 4,
    onProgress: (p) => seen.push(p.executions),
  });
  assertEquals([r.status, r.runs, r.executions, r.commandUnit], ["pass", 4, 4, "commands"]);
  assertEquals(seen, [1, 2, 3, 4]);
  assert(r.commands > 0, "data-integrity issues commands");
  assert(r.durationMs >= 0 && r.executionsPerSecond >= 0 && r.commandsPerSecond >= 0);
  assertEquals(r.commandsPerSecond, perSecond(r.commands, r.durationMs));
  assertEquals(perSecond(10, 0), 0);
  assertEquals(perSecond(10, 500), 20);
});

Deno.test("runner: after a failure the executions are shrink attempts, and progress says so", () => {
  let shrinking = 0;
  const r = runProperty(atLeastTen, {}, {
    seed: 3,
    runs: 100,
    onProgress: (p) => {
      if (p.shrinking) shrinking++;
    },
  });
  assertEquals(r.status, "fail");
  // The failing case itself is the first report with `shrinking` set.
  assertEquals(r.executions, r.runs + shrinking - 1);
  assert(shrinking >= r.shrinks && r.shrinks > 0);
  assertEquals([r.commands, r.commandUnit], [0, "commands"]);
});
