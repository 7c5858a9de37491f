// Shared command-line plumbing: strict flag parsing (unknown flags are usage errors), the usage
// error type that maps to exit code 2, and output helpers.

import { type Args, parseArgs } from "@std/cli";

/** A mistake on the command line: reported as one line on stderr with exit code 2. */
export class UsageError extends Error {
  /** Creates the error; `message` should say what to do instead. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The flags one subcommand accepts. */
export interface FlagSpec {
  /** Flags without a value. */
  readonly boolean?: readonly string[];
  /** Flags with a string value. */
  readonly string?: readonly string[];
  /** Short aliases. */
  readonly alias?: Readonly<Record<string, string>>;
}

/** Parses `argv` for a subcommand, rejecting unknown flags and missing values. */
export function parseFlags(command: string, argv: readonly string[], spec: FlagSpec): Args {
  const known = new Set([
    ...(spec.boolean ?? []),
    ...(spec.string ?? []),
    ...Object.keys(spec.alias ?? {}),
    "help",
    "h",
  ]);
  const args = parseArgs(argv, {
    boolean: [...(spec.boolean ?? []), "help"],
    string: [...(spec.string ?? [])],
    alias: { h: "help", ...(spec.alias ?? {}) },
    unknown: (arg: string) => {
      if (!arg.startsWith("-")) return true;
      const name = arg.replace(/^-+/, "").split("=")[0];
      if (!known.has(name)) {
        throw new UsageError(`${command}: unknown flag "${arg}"; see \`${command} --help\``);
      }
      return true;
    },
  });
  for (const name of spec.string ?? []) {
    if (args[name] === "") {
      throw new UsageError(`${command}: --${name} needs a value; see \`${command} --help\``);
    }
  }
  return args;
}

/**
 * The renderer `--format` names (`fallback` when the flag is absent). An unknown name, including
 * one only inherited from `Object.prototype` such as `constructor`, is a usage error listing the
 * formats.
 */
export function chooseFormat<R>(
  command: string,
  flag: unknown,
  fallback: string,
  formats: Readonly<Record<string, R>>,
): R {
  const format = String(flag ?? fallback);
  if (!Object.hasOwn(formats, format)) {
    throw new UsageError(
      `${command}: unknown format "${format}"; use ${Object.keys(formats).join(", ")}`,
    );
  }
  return formats[format];
}
