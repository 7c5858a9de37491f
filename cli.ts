/**
 * The nvme-harness command line: `deno run cli.ts <command> [options]`, usually through the
 * tasks in `deno.json` (`deno task spec`, …). Exit codes: 0 success, 1 failures or findings,
 * 2 usage error (one line on stderr).
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["spec", "cqe"]));
 * ```
 *
 * @module
 */

import { UsageError } from "./cli/_args.ts";
import { runSpec, SPEC_HELP } from "./cli/spec_command.ts";

/** One subcommand: its help and its runner (returns stdout text). */
interface Command {
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[]): string | Promise<string>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  spec: {
    summary: "print the typed NVMe structures (tables or --json)",
    help: SPEC_HELP,
    run: runSpec,
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

/** Runs the command line; resolves to the exit code. Never throws for a user mistake. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; try --help`);
    const out = await command.run(rest);
    if (out !== "") console.log(out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`nvme-harness: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
