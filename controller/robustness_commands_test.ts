// "The controller survives every input" (issue #3), command half: arbitrary 64-byte commands each
// complete exactly once (C0–C5, defined in _robustness_command_property.ts).
//
// Seeds: the property runs with a fixed seed (reproducible CI) which fast-check prints with the
// shrunk counterexample on failure. Set NVME_FUZZ_SEED=<n> (with --allow-env) to explore others.

import fc from "fast-check";
import { commandProperty } from "./_robustness_command_property.ts";
import { COMMAND_RUNS, SEED, TIME_LIMIT_MS } from "./_robustness_test_helpers.ts";

Deno.test("robustness: arbitrary commands each complete exactly once (C0–C5)", () => {
  fc.assert(commandProperty(), {
    seed: SEED,
    numRuns: COMMAND_RUNS,
    interruptAfterTimeLimit: TIME_LIMIT_MS,
  });
});
