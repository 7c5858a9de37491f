/**
 * Generates `spec/value_types.ts`: one named value type per structure in the catalogue
 * (`ALL_STRUCTURES`), with one property per non-reserved field typed exactly as `ValueOf` decides
 * and documented from the field table. Every exported table is annotated with its type
 * (`export const CAP: Layout<CAPValue> = defineStruct(...)`), so `deno check` proves that each
 * table and its generated type agree, and `value_types_test.ts` proves that the committed file is
 * what this generator writes today.
 *
 * Run after changing a field table:
 *
 * ```sh
 * deno run --allow-read --allow-write=spec spec/_gen_value_types.ts
 * ```
 *
 * @module
 */

import { ALL_STRUCTURES } from "./catalog.ts";
import * as spec from "./mod.ts";
import type { Field, Struct } from "./struct.ts";

/** The command that regenerates `spec/value_types.ts` (run from the repository root). */
export const REGENERATE_COMMAND =
  "deno run --allow-read --allow-write=spec spec/_gen_value_types.ts";

/** Where the generated file lives. */
export const VALUE_TYPES_URL: URL = new URL("./value_types.ts", import.meta.url);

// deno fmt's line width for this repository (deno.json `fmt.lineWidth`).
const LINE_WIDTH = 100;

/** The name of a structure's value type: `CAP` → `CAPValue`. */
export function valueTypeName(s: Pick<Struct, "name">): string {
  return `${s.name}Value`;
}

/** The TypeScript type of one decoded field, mirroring `ValueOf` in `struct.ts`; null if reserved. */
export function fieldValueType(f: Field): string | null {
  switch (f.kind) {
    case "uint":
      return f.bits || f.size <= 4 ? "number" : "bigint";
    case "ascii":
      return "string";
    case "bytes":
      return "Uint8Array";
    case "array":
      return `${valueTypeName(f.element)}[]`;
    case "uints":
      return "number[]";
    case "reserved":
      return null;
  }
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}

/** One line describing where a field lives and how it is encoded, e.g. for a bit field. */
export function describeField(f: Field, structSize: number): string {
  const digits = Math.max(2, (structSize - 1).toString(16).length);
  const at = hex(f.offset, digits);
  const span = f.size === 1 ? `byte ${at}` : `bytes ${at}..${hex(f.offset + f.size - 1, digits)}`;
  switch (f.kind) {
    case "uint": {
      if (f.bits) {
        const [lo, hi] = f.bits;
        const range = lo === hi ? `bit ${lo}` : `bits ${hi}:${lo}`;
        return `${range} of the ${f.size}-byte value at offset ${at}`;
      }
      const order = f.size === 1 ? "" : " little-endian";
      return `${span}, ${f.size * 8}-bit unsigned${order}`;
    }
    case "ascii":
      return `${span}, ASCII (${f.pad === " " ? "space" : "NUL"} padded)`;
    case "bytes":
      return `${span}, raw bytes`;
    case "array":
      return `${span}, ${f.count} × ${f.element.name} (${f.element.size} bytes each)`;
    case "uints":
      return `${span}, ${f.count} × ${f.elementSize * 8}-bit unsigned little-endian`;
    case "reserved":
      return `${span}, reserved`;
  }
}

// Wraps `text` into JSDoc lines (" * ...") no wider than the formatter's line width.
function jsdoc(text: string, indent = ""): string[] {
  const width = LINE_WIDTH - indent.length - 3;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  if (lines.length === 1 && indent.length + lines[0].length + 7 <= LINE_WIDTH) {
    return [`${indent}/** ${lines[0]} */`];
  }
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`];
}

function propertyKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

// Every exported binding of `spec/mod.ts` that is a catalogue structure, by structure.
function exportNames(): Map<Struct, string> {
  const structures = new Set<unknown>(ALL_STRUCTURES);
  const names = new Map<Struct, string>();
  for (const [name, value] of Object.entries(spec).sort(([a], [b]) => a.localeCompare(b))) {
    if (structures.has(value) && !names.has(value as Struct)) names.set(value as Struct, name);
  }
  return names;
}

function renderType(s: Struct, exported: string | undefined, known: Set<string>): string[] {
  const what = exported === undefined || exported === s.name
    ? `\`${s.name}\` (${s.size} bytes)`
    : `\`${exported}\` (structure \`${s.name}\`, ${s.size} bytes)`;
  const libnvme = s.libnvme ? ` Same layout as libnvme \`struct ${s.libnvme}\`.` : "";
  const out = jsdoc(`The decoded value of ${what}: ${s.section}.${libnvme}`);
  const props: string[] = [];
  for (const f of s.fields) {
    const type = fieldValueType(f);
    if (type === null) continue;
    if (f.kind === "array" && !known.has(f.element.name)) {
      throw new Error(`${s.name}.${f.name}: element ${f.element.name} is not in ALL_STRUCTURES`);
    }
    props.push(`  /** \`${f.name}\`: ${describeField(f, s.size)}. */`);
    props.push(`  ${propertyKey(f.name)}: ${type};`);
  }
  const body = props.length ? ["{", ...props, "};"] : ["Record<never, never>;"];
  out.push(`export type ${valueTypeName(s)} = ${body[0]}`, ...body.slice(1));
  return out;
}

/** The text of `spec/value_types.ts` for the current field tables (deno fmt clean). */
export function generateValueTypes(): string {
  const known = new Set(ALL_STRUCTURES.map((s) => s.name));
  const names = exportNames();
  const lines = [
    "// Generated by spec/_gen_value_types.ts from the field tables in ALL_STRUCTURES. Do not edit:",
    `// regenerate with \`${REGENERATE_COMMAND}\`.`,
    "",
    ...jsdoc(
      "The decoded value type of every structure in the catalogue: one property per " +
        "non-reserved field, typed as the field table's codec decodes it (bit fields and 1-, 2- " +
        "and 4-byte integers are numbers, 8- and 16-byte integers bigints). Each exported table " +
        "is annotated with its type, e.g. `CAP: Layout<CAPValue>`, so `deno check` proves that " +
        "the table and its type agree. These are object type aliases rather than interfaces so " +
        "that every table stays assignable to the wide `Struct` the catalogue lists.",
    ).slice(0, -1),
    " *",
    " * @module",
    " */",
  ];
  for (const s of ALL_STRUCTURES) {
    lines.push("", ...renderType(s, names.get(s), known));
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const text = generateValueTypes();
  await Deno.writeTextFile(VALUE_TYPES_URL, text);
  // deno-lint-ignore no-console
  console.log(`wrote ${VALUE_TYPES_URL.pathname}: ${ALL_STRUCTURES.length} value types`);
}
