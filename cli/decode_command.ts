// `decode`: decode bytes from a dump (hex on the command line, or a binary/hex file) into the named
// fields of a structure — an SQE, a CQE, an Identify page, a log page — with nvme-cli field names.

import { findStructure } from "../spec/catalog.ts";
import type { Struct } from "../spec/struct.ts";
import { parseFlags, UsageError } from "./_args.ts";

/** Help text for `decode`. */
export const DECODE_HELP = `Decode a dump into named fields (nvme-cli / libnvme field names).

Usage:
  deno task decode STRUCTURE [HEX…] [--file PATH] [--json]

Arguments:
  STRUCTURE   sqe, cqe, id-ctrl, id-ns, cap, cc, csts, or any name \`deno task spec\` lists
  HEX…        the bytes as hex, in memory order; spaces, colons and 0x prefixes are ignored

Options:
  --file PATH  read the bytes from a file: binary, or hex text if it is all hex digits
  --json       print {"structure", "size", "fields": {...}} (64-bit values as hex strings)
  -h, --help   this help

Examples:
  deno task decode cqe 00000000 00000000 01000100 07000100
  deno task decode sqe --file sqe.bin
  deno task decode id-ctrl --file id-ctrl.hex --json | jq .fields.mdts
`;

const HEX = /^[0-9a-fA-F\s:,]*$/;

/** Parses hex text into bytes; throws UsageError with what is wrong. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, "").replace(/[\s:,]/g, "");
  if (!/^[0-9a-fA-F]*$/.test(clean)) {
    throw new UsageError("decode: the input is not hex (digits 0-9 a-f, spaces, colons)");
  }
  if (clean.length % 2 !== 0) throw new UsageError("decode: odd number of hex digits");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return `0x${v.toString(16)}`;
  if (v instanceof Uint8Array) return [...v].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return typeof v === "string" ? v.trimEnd() : v;
}

function textRows(fields: Record<string, unknown>, prefix = ""): string[] {
  const rows: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      rows.push(...textRows(v as Record<string, unknown>, `${prefix}${k}.`));
    } else if (Array.isArray(v) && v.some((x) => x && typeof x === "object")) {
      v.forEach((x, i) =>
        rows.push(...textRows(x as Record<string, unknown>, `${prefix}${k}[${i}].`))
      );
    } else {
      const shown = typeof v === "number" && v > 9 ? `${v} (0x${v.toString(16)})` : String(v);
      rows.push(`${(prefix + k).padEnd(24)}: ${shown}`);
    }
  }
  return rows;
}

/** Runs `decode`; returns the text to print. */
export function runDecode(argv: readonly string[]): string {
  const args = parseFlags("decode", argv, { boolean: ["json"], string: ["file"] });
  if (args.help) return DECODE_HELP;
  // Positional arguments from argv itself: the flag parser turns "00000000" into the number 0.
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--file") i++;
    else if (!argv[i].startsWith("-")) positional.push(argv[i]);
  }
  const [name, ...hex] = positional;
  if (!name) {
    throw new UsageError("decode: name the structure (e.g. sqe, cqe, id-ctrl); see --help");
  }
  const layout: Struct | undefined = findStructure(name);
  if (!layout) throw new UsageError(`decode: unknown structure "${name}"; see \`deno task spec\``);
  let bytes: Uint8Array;
  if (args.file !== undefined) {
    if (hex.length) throw new UsageError("decode: give the bytes as HEX or --file, not both");
    let raw: Uint8Array;
    try {
      raw = Deno.readFileSync(String(args.file));
    } catch (e) {
      throw new UsageError(`decode: cannot read ${args.file}: ${(e as Error).message}`);
    }
    const text = new TextDecoder().decode(raw);
    bytes = HEX.test(text) && text.trim() !== "" ? parseHex(text) : raw;
  } else {
    if (!hex.length) throw new UsageError("decode: no bytes given (HEX… or --file PATH)");
    bytes = parseHex(hex.join(""));
  }
  if (bytes.length < layout.size) {
    throw new UsageError(
      `decode: ${layout.name} is ${layout.size} bytes, got ${bytes.length}`,
    );
  }
  const fields = plain(layout.decode(bytes)) as Record<string, unknown>;
  if (args.json) {
    return JSON.stringify({ structure: layout.name, size: layout.size, fields }, null, 2);
  }
  const extra = bytes.length > layout.size
    ? ` (${bytes.length - layout.size} trailing bytes ignored)`
    : "";
  return [`${layout.name} — ${layout.size} bytes — ${layout.section}${extra}`, ...textRows(fields)]
    .join("\n");
}
