// The help text and defaults of `fuzz` (cli/fuzz_command.ts), kept apart from the command's logic.

import { BUILTIN_DRIVERS } from "../driver/registry.ts";

/** The seed `--mutants` uses unless `--seed` is given. */
export const DEFAULT_MUTANT_SEED = 1;
/** Where replay files go unless `--out` says otherwise. */
export const DEFAULT_OUT_DIR = "fuzz-failures";

/** Help text for `fuzz`. */
export const FUZZ_HELP =
  `Fuzz a driver model (and the reference controller) with fast-check properties.

Usage:
  deno task fuzz [options]

Options:
  --driver D          the driver model under test (default: linux):
                        ${
    Object.keys(BUILTIN_DRIVERS).join(" | ")
  } | ./module.ts exporting createDriver(host, options?)
  --driver-options J  JSON object passed to the driver factory, e.g. '{"timeoutAction":"reset"}';
                      with none, hostile-device runs spdk with '{"timeoutAction":"reset"}' (see
                      below)
  --property P        all (default) or a comma-separated list of property names (see --list)
  --runs N            generated cases per property (default: each property's own, see --list)
  --seed S            fast-check seed, an integer 0..2147483647 (default: random, printed first)
  --time-limit SEC    wall-clock budget for the whole run; each property gets an equal share of
                      what is left (shrinking included); a property cut short passes with the
                      cases it ran and says so
  --out DIR           where failures are written as replay files (default: ./${DEFAULT_OUT_DIR})
  --replay FILE       re-run exactly the failing case recorded in FILE (its property, driver,
                      driver options, controller options, seed and path)
  --mutants           run the seeded-bug mutants instead: each must be killed by its property
                      within the mutant's budget (with --property, only mutants killed by those
                      properties; seed 1 unless --seed is given)
  --in-process        run a ./module.ts driver inside this process; by default it runs in a
                      subprocess that may only read the harness and the module's directory, so
                      a crash or a hang of the module is reported as a failure of the property
                      that was running (the session goes on with the rest)
  --hang-timeout SEC  isolated module: kill it after SEC seconds without output (it reports
                      progress about once a second between cases, so this bounds one case)
                      (default 600, or the --time-limit plus 60) and report a hang
  --format F          text (default) or json: one JSON document on stdout with the seed, the
                      driver, every property's result (status, runs, executions, elapsedMs as
                      durationMs, commands, commandUnit, executionsPerSecond, commandsPerSecond,
                      counterexample, replayFile) and the totals
  --quiet             no progress line, no header and no PASS lines: only FAIL results and the
                      closing lines (with --mutants: only mutants that survived)
  --events            (internal) event lines for the isolating parent process
  --list              print the properties (name, default runs, section, invariant) and exit
  --differential qemu differential fuzzing of the reference controller against QEMU instead
                      (its own options: deno task fuzz --differential qemu --help)
  -h, --help          this help

Output: the seed first ("seed 1234567"), then one line per property as it finishes,
  PASS need-event  20000 runs  9,500 runs/s  19,000 checks/s  Base 2.1 §5.2.5  (2.1 s)
  FAIL queue-wraparound  after 5 runs, shrunk 37 times  410 execs/s  9,800 cmds/s  …  (1.7 s)
with a failure's error, its shrunk counterexample as numbered steps and the replay command
indented below, a line "N passed, N failed", and a totals line (runs, commands and checks, each
with its rate). Rates are over wall-clock time, every case's bring-up (and any shrinking)
included. cmds/s counts the NVMe commands a property issued through the driver (its bring-up
commands are timed, not counted); checks/s counts oracle or register checks of the properties
that issue no I/O (need-event, prp-builder, cc-csts). Each property's JSDoc defines its count.
While a property runs, stderr shows "[3/8] prp-builder 1200/2000 runs" when it is a terminal.

hostile-device and command timeouts: a dropped doorbell or an unknown CID loses a completion,
which only a driver with a command timeout can end. SPDK leaves that to the application (driver
default timeoutAction "none"), so when no --driver-options are given hostile-device runs spdk
with '{"timeoutAction":"reset"}' (bdev_nvme's action_on_timeout). Pass options to run it as you
configure it: '{"timeoutAction":"none"}' then fails with the lost completion, named as a
consequence of that configuration.

Exit codes: 0 every property passed (with --mutants: every mutant was killed), 1 a property
failed (a mutant survived, or a replay file could not be written), 2 usage error.

Examples:
  deno task fuzz                                      every property, linux driver, random seed
  deno task fuzz --property need-event,prp-builder --runs 5000 --seed 42
  deno task fuzz --driver ./my_driver.ts --time-limit 120
  deno task fuzz --driver spdk --driver-options '{"timeoutAction":"reset","timeoutNs":1e9}'
  deno task fuzz --replay fuzz-failures/queue-wraparound-seed42.json
  deno task fuzz --mutants
  deno task fuzz --seed 1 --quiet --format json > fuzz-results.json
  deno task fuzz --differential qemu --runs 1000 --seed 7
`;
