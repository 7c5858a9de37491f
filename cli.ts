/**
 * The nvme-harness command line: `deno run cli.ts <command> [options]`, usually through the
 * tasks in `deno.json` (`deno task conformance`, `deno task spec`, …). Exit codes: 0 success,
 * 1 failures or findings, 2 usage error (one line on stderr).
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["conformance", "--filter", "registers.", "--format", "json"]));
 * ```
 *
 * @module
 */

import { UsageError } from "./cli/_args.ts";
import { type CliIo, processIo } from "./cli/_io.ts";
import { runSpec } from "./cli/spec_command.ts";

export type { CliIo } from "./cli/_io.ts";

/**
 * What a command's run resolves to: text for stdout (printed with a newline, exit code 0), or an
 * exit code when the command wrote its own output through the {@linkcode CliIo} (a command that
 * streams results, or that can end in failures).
 */
type CommandOutcome = string | number;

/** One subcommand: its one-line summary and its runner (which answers its own `--help`). */
interface Command {
  readonly summary: string;
  run(argv: readonly string[], io: CliIo): CommandOutcome | Promise<CommandOutcome>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  conformance: {
    summary: "run the conformance suite against a target and a driver model",
    // Loaded on use: the suite pulls in the controller, the cases and the driver models.
    run: async (argv, io) =>
      (await import("./cli/conformance_command.ts")).runConformance(argv, io),
  },
  decode: {
    summary: "decode an SQE, CQE, Identify page or any structure from hex or a file",
    run: async (argv) => (await import("./cli/decode_command.ts")).runDecode(argv),
  },
  fuzz: {
    summary: "fuzz a driver model with fast-check properties; shrunk, replayable failures",
    run: async (argv, io) => (await import("./cli/fuzz_command.ts")).runFuzz(argv, io),
  },
  spec: {
    summary: "print the typed NVMe structures (tables or --json)",
    run: runSpec,
  },
  sweep: {
    summary: "benchmark sweep: completion modes × doorbell options under a cost model",
    run: async (argv, io) => (await import("./cli/sweep_command.ts")).runSweep(argv, io),
  },
  trace: {
    summary: "trace one scenario, both sides: QEMU-style lines, a timeline, or Perfetto JSON",
    run: async (argv, io) => (await import("./cli/trace_command.ts")).runTrace(argv, io),
  },
};

/** Top-level help. */
export function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `nvme-harness — conformance, fuzzing and benchmarks for NVMe drivers and controllers

Usage:
  deno run -A cli.ts <command> [options]     (or: deno task <command>)

Commands:
${rows.join("\n")}

Run \`<command> --help\` for its options and examples.
`;
}

/**
 * Runs the command line; resolves to the exit code (0 success, 1 failures, 2 usage error). Never
 * throws for a user mistake. `io` defaults to the process's stdout and stderr; tests pass their
 * own to capture output in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; try --help`);
    const out = await command.run(rest, io);
    if (typeof out === "number") return out;
    if (out !== "") io.stdout(out.endsWith("\n") ? out : out + "\n");
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`nvme-harness: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
