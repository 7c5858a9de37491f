// Types for `parseArgs` from deno-std@1.4.0 (npm, untyped JS), following jsr:@std/cli 1.x loosely.

/** Options accepted by {@linkcode parseArgs}. */
export interface ParseOptions {
  /** Flags that take no value. */
  boolean?: string | readonly string[] | true;
  /** Flags whose value is always a string. */
  string?: string | readonly string[];
  /** Flags that may be given several times and collect into an array. */
  collect?: string | readonly string[];
  /** Flags that may be negated with `--no-`. */
  negatable?: string | readonly string[];
  /** Aliases, for example `{ h: "help" }`. */
  alias?: Record<string, string | readonly string[]>;
  /** Default values. */
  default?: Record<string, unknown>;
  /** Stop parsing at the first non-flag. */
  stopEarly?: boolean;
  /** Put everything after `--` into `args["--"]`. */
  "--"?: boolean;
  /** Called for each unknown flag; return false to drop it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}
/** The parsed command line. */
export interface Args {
  /** Positional arguments. */
  _: Array<string | number>;
  /** Anything after `--` when requested. */
  "--"?: string[];
  /** Flags. */
  [flag: string]: unknown;
}
/** Parses command-line arguments. */
export function parseArgs(args: readonly string[], options?: ParseOptions): Args;
