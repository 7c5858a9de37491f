// `spec`: print the typed spec tables, readable or as JSON.

import {
  ALL_STRUCTURES,
  catalogJson,
  findStructure,
  STRUCTURE_GROUPS,
  structureJson,
} from "../spec/catalog.ts";
import type { Field, Struct } from "../spec/struct.ts";
import { parseFlags, UsageError } from "./_args.ts";

/** Help text for `spec`. */
export const SPEC_HELP = `Print the NVMe structures this harness knows, as tables or JSON.

Usage:
  deno task spec [NAME] [--json]

Arguments:
  NAME        one structure (case-insensitive; also sqe, cqe, id-ctrl, id-ns, cap, cc, csts …)

Options:
  --json      machine-readable: {"structures": {"<Name>": {"size", "libnvme", "section",
              "fields": [{"name", "offset", "size", "bits"?, "kind"}]}}}
  -h, --help  this help

Examples:
  deno task spec                 list every structure with its size and spec section
  deno task spec cqe             the Completion Queue Entry field by field
  deno task spec --json | jq '.structures.IdentifyController.size'
  deno task spec cap --json      CAP's bit fields as JSON
`;

function fieldRow(f: Field): string {
  const where = `0x${f.offset.toString(16).padStart(3, "0")}`;
  const span = f.kind === "uint" && f.bits
    ? `bits ${f.bits[1]}:${f.bits[0]} of ${f.size * 8}`
    : `${f.size} byte${f.size === 1 ? "" : "s"}`;
  const kind = f.kind === "array"
    ? `${f.count} × ${f.element.name}`
    : f.kind === "uints"
    ? `${f.count} × u${f.elementSize * 8}`
    : f.kind;
  return `  ${where}  ${span.padEnd(18)} ${f.name.padEnd(14)} ${kind}`;
}

/** Renders one structure as a readable table. */
export function renderStructure(s: Struct): string {
  const head = `${s.name} — ${s.size} bytes — ${s.section}` +
    (s.libnvme ? ` — libnvme struct ${s.libnvme}` : "");
  return [head, ...s.fields.map(fieldRow)].join("\n");
}

/** Renders the list of all structures by group. */
export function renderCatalog(): string {
  const lines: string[] = [];
  for (const [group, list] of Object.entries(STRUCTURE_GROUPS)) {
    lines.push(`${group}:`);
    for (const s of list) {
      lines.push(`  ${s.name.padEnd(30)} ${String(s.size).padStart(5)} B  ${s.section}`);
    }
  }
  lines.push(`${ALL_STRUCTURES.length} structures; \`deno task spec NAME\` shows one.`);
  return lines.join("\n");
}

/** Runs `spec`; returns the text to print on stdout. */
export function runSpec(argv: readonly string[]): string {
  const args = parseFlags("spec", argv, { boolean: ["json"] });
  if (args.help) return SPEC_HELP;
  if (args._.length > 1) throw new UsageError("spec: give at most one structure name");
  const name = args._[0] === undefined ? undefined : String(args._[0]);
  if (name === undefined) {
    return args.json ? JSON.stringify(catalogJson(), null, 2) : renderCatalog();
  }
  const s = findStructure(name);
  if (!s) {
    throw new UsageError(`spec: no structure named "${name}"; \`deno task spec\` lists them`);
  }
  return args.json
    ? JSON.stringify({ structures: { [s.name]: structureJson(s) } }, null, 2)
    : renderStructure(s);
}
