/**
 * The libnvme cross-check: an independent source for every structure layout. For each field
 * table with a `libnvme` struct name, a tiny C program prints `sizeof(struct X)` and, for every
 * member that corresponds to one of our byte-level fields, its `offsetof` and `sizeof`, compiled
 * against `nvme/types.h` from Debian's `libnvme-dev`. The result is compared with our tables.
 *
 * Which fields are checked: every non-reserved field that is not a bit field, under its libnvme
 * spelling (`libnvmeNames` renames it, or maps it to null when libnvme lacks it). Struct and
 * integer arrays (`array`, `uints`) are checked as one member: offset and total size. A field
 * name libnvme does not know fails the compile, and {@linkcode runProbe} names it, so a typo in
 * a table can never be skipped silently.
 *
 * Machines without gcc or the header use the committed fixture `spec/testdata/libnvme_layout.json`
 * instead; regenerate it with
 * `deno run --allow-read --allow-write --allow-run spec/libnvme_probe.ts`.
 *
 * @module
 */

import { DATA_STRUCTURES } from "./_catalog_data.ts";
import type { Struct } from "./struct.ts";

/** The header the probe includes. */
export const LIBNVME_HEADER = "/usr/include/nvme/types.h";

/** Where the committed probe output lives. */
export const FIXTURE_URL: URL = new URL("./testdata/libnvme_layout.json", import.meta.url);

/** The command that regenerates the fixture. */
export const REGENERATE_COMMAND =
  "deno run --allow-read --allow-write --allow-run spec/libnvme_probe.ts";

/** Offset and size of one C struct member. */
export interface MemberLayout {
  /** `offsetof(struct, member)`. */
  offset: number;
  /** `sizeof(((struct *)0)->member)`. */
  size: number;
}

/** What the probe reports for one libnvme struct. */
export interface StructLayout {
  /** `sizeof(struct)`. */
  size: number;
  /** Probed members by libnvme member designator (`vid`, `frs[0]`, …). */
  members: Record<string, MemberLayout>;
}

/** The probe's output: libnvme struct name → layout, plus where it came from. */
export interface LibnvmeLayout {
  /** The header that was compiled. */
  header: string;
  /** The libnvme-dev package version, when known. */
  libnvme: string;
  /** The layouts, in catalogue order. */
  structs: Record<string, StructLayout>;
}

/** The part of a {@linkcode Struct} the cross-check reads (so tests can build variants). */
export type StructShape = Pick<Struct, "name" | "size" | "fields" | "libnvme" | "libnvmeNames">;

/** One of our fields and the libnvme member it must match. */
export interface ExpectedMember {
  /** Our field name. */
  field: string;
  /** The libnvme member designator. */
  member: string;
  /** Our byte offset. */
  offset: number;
  /** Our width in bytes (total width for arrays). */
  size: number;
}

/** Thrown when the probe cannot be generated, compiled or run. */
export class LibnvmeProbeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LibnvmeProbeError";
  }
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const C_DESIGNATOR = /^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\]|\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The fields of `s` that the cross-check compares with libnvme: non-reserved, not bit fields,
 * not mapped to null in `libnvmeNames`.
 */
export function expectedMembers(s: StructShape): ExpectedMember[] {
  const out: ExpectedMember[] = [];
  for (const f of s.fields) {
    if (f.kind === "reserved" || (f.kind === "uint" && f.bits)) continue;
    const mapped = Object.hasOwn(s.libnvmeNames, f.name) ? s.libnvmeNames[f.name] : f.name;
    if (mapped === null) continue;
    out.push({ field: f.name, member: mapped, offset: f.offset, size: f.size });
  }
  return out;
}

/** The structures with a libnvme name, grouped by that name in first-seen order. */
export function byLibnvmeStruct(structs: readonly StructShape[]): Map<string, StructShape[]> {
  const groups = new Map<string, StructShape[]>();
  for (const s of structs) {
    if (!s.libnvme) continue;
    const list = groups.get(s.libnvme) ?? [];
    if (!list.includes(s)) list.push(s);
    groups.set(s.libnvme, list);
  }
  return groups;
}

/** What produced one line of the generated C source, for turning gcc errors into messages. */
export interface ProbeLine {
  /** The libnvme struct. */
  libnvme: string;
  /** The member designator, or null for the `sizeof(struct)` line. */
  member: string | null;
  /** Our `Struct.field` names that map to this member (or our struct names). */
  ours: string[];
}

/** Generated probe source and a map from its line numbers to what each line checks. */
export interface ProbeSource {
  /** The C program. */
  source: string;
  /** 1-based line number → what that line checks. */
  lines: Map<number, ProbeLine>;
}

/**
 * Generates a C program that prints, as JSON, `sizeof` of every libnvme struct named by
 * `structs` and `offsetof`/`sizeof` of every member from {@linkcode expectedMembers}, one member
 * per source line.
 */
export function generateProbeSource(
  structs: readonly StructShape[],
  header: string = LIBNVME_HEADER,
): ProbeSource {
  const out: string[] = [
    "/* Generated by spec/libnvme_probe.ts: do not edit. */",
    "#include <stddef.h>",
    "#include <stdio.h>",
    `#include "${header}"`,
    "",
    "int main(void) {",
    '  printf("{\\n");',
  ];
  const lines = new Map<number, ProbeLine>();
  const groups = [...byLibnvmeStruct(structs)];
  groups.forEach(([lib, group], gi) => {
    if (!C_IDENTIFIER.test(lib)) {
      throw new LibnvmeProbeError(`${group[0].name}: libnvme struct name "${lib}" is not C`);
    }
    lines.set(out.length + 1, { libnvme: lib, member: null, ours: group.map((s) => s.name) });
    out.push(
      `  printf("  \\"${lib}\\": {\\"size\\": %zu, \\"members\\": {\\n", sizeof(struct ${lib}));`,
    );
    const members = new Map<string, string[]>();
    for (const s of group) {
      for (const e of expectedMembers(s)) {
        if (!C_DESIGNATOR.test(e.member)) {
          throw new LibnvmeProbeError(
            `${s.name}.${e.field}: libnvme member "${e.member}" is not a C member designator`,
          );
        }
        members.set(e.member, [...(members.get(e.member) ?? []), `${s.name}.${e.field}`]);
      }
    }
    [...members].forEach(([member, ours], mi) => {
      const comma = mi < members.size - 1 ? "," : "";
      lines.set(out.length + 1, { libnvme: lib, member, ours });
      out.push(
        `  printf("    \\"${member}\\": {\\"offset\\": %zu, \\"size\\": %zu}${comma}\\n", ` +
          `offsetof(struct ${lib}, ${member}), sizeof(((struct ${lib} *)0)->${member}));`,
      );
    });
    out.push(`  printf("  }}${gi < groups.length - 1 ? "," : ""}\\n");`);
  });
  out.push('  printf("}\\n");', "  return 0;", "}", "");
  return { source: out.join("\n"), lines };
}

/** Options for {@linkcode runProbe}. */
export interface ProbeOptions {
  /** The C compiler (default `gcc`). */
  cc?: string;
  /** The header to include (default {@linkcode LIBNVME_HEADER}). */
  header?: string;
}

function describeCompileErrors(stderr: string, probe: ProbeSource, header: string): string {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const m of stderr.matchAll(/probe\.c:(\d+):\d+: error: ([^\n]*)/g)) {
    const lineNo = Number(m[1]);
    if (seen.has(lineNo)) continue;
    seen.add(lineNo);
    const line = probe.lines.get(lineNo);
    if (!line) {
      problems.push(`gcc: ${m[2]}`);
    } else if (line.member === null) {
      problems.push(
        `${line.ours.join(", ")}: ${header} does not define struct ${line.libnvme} ` +
          `(gcc: ${m[2]}); fix the struct's libnvme option`,
      );
    } else {
      problems.push(
        `${line.ours.join(", ")}: struct ${line.libnvme} has no member "${line.member}" ` +
          `(gcc: ${m[2]}); fix the field name, or map it in libnvmeNames to libnvme's ` +
          `spelling, or to null if libnvme lacks it`,
      );
    }
  }
  if (problems.length === 0) problems.push(stderr.trim() || "gcc failed without a message");
  return `libnvme probe does not compile against ${header}:\n  ${problems.join("\n  ")}`;
}

/** Whether {@linkcode runProbe} can run here: the compiler runs and the header exists. */
export async function probeAvailable(options: ProbeOptions = {}): Promise<boolean> {
  try {
    await Deno.stat(options.header ?? LIBNVME_HEADER);
    const r = await new Deno.Command(options.cc ?? "gcc", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success;
  } catch {
    // NotFound (no header, no compiler) or no permission to read or run: not available.
    return false;
  }
}

async function packageVersion(): Promise<string> {
  try {
    const r = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Version}", "libnvme-dev"],
      stderr: "null",
    }).output();
    const v = new TextDecoder().decode(r.stdout).trim();
    return r.success && v ? v : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Compiles and runs the probe for `structs` with gcc, returning what libnvme says. Throws
 * {@linkcode LibnvmeProbeError} naming each of our fields whose libnvme member does not exist.
 */
export async function runProbe(
  structs: readonly StructShape[],
  options: ProbeOptions = {},
): Promise<LibnvmeLayout> {
  const header = options.header ?? LIBNVME_HEADER;
  const probe = generateProbeSource(structs, header);
  const result = await compileAndRun(probe.source, options.cc);
  if (!result.compiled) {
    throw new LibnvmeProbeError(describeCompileErrors(result.stderr, probe, header));
  }
  const structsOut = JSON.parse(result.stdout) as Record<string, StructLayout>;
  return { header, libnvme: await packageVersion(), structs: structsOut };
}

/** What compiling and running a C probe produced. */
export interface CProbeRun {
  /** False when the compiler rejected the source (see `stderr`). */
  readonly compiled: boolean;
  /** The compiler's diagnostics (LC_ALL=C), or empty. */
  readonly stderr: string;
  /** What the probe printed. */
  readonly stdout: string;
}

/**
 * Compiles `source` with gcc in a temporary directory and runs it, for the libnvme probes.
 * Throws {@linkcode LibnvmeProbeError} when the compiled probe itself fails.
 */
export async function compileAndRun(source: string, cc = "gcc"): Promise<CProbeRun> {
  const dir = await Deno.makeTempDir({ prefix: "libnvme_probe_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.c`, source);
    const built = await new Deno.Command(cc, {
      args: ["-std=gnu11", "-o", `${dir}/probe`, `${dir}/probe.c`],
      cwd: dir,
      env: { LC_ALL: "C" },
    }).output();
    const stderr = new TextDecoder().decode(built.stderr);
    if (!built.success) return { compiled: false, stderr, stdout: "" };
    const run = await new Deno.Command(`${dir}/probe`).output();
    if (!run.success) throw new LibnvmeProbeError(`libnvme probe exited with ${run.code}`);
    return { compiled: true, stderr, stdout: new TextDecoder().decode(run.stdout) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Compares one structure with a probe result. Returns one message per disagreement (an empty list
 * means the layouts agree): a missing struct or member, a struct size, a member offset or size,
 * or a `libnvmeNames` key that names none of our fields.
 */
export function compareWithLibnvme(s: StructShape, layout: LibnvmeLayout): string[] {
  if (!s.libnvme) return [];
  const problems: string[] = [];
  const names = new Set(s.fields.map((f) => f.name));
  for (const key of Object.keys(s.libnvmeNames)) {
    if (!names.has(key)) problems.push(`${s.name}: libnvmeNames names unknown field "${key}"`);
  }
  const theirs = layout.structs[s.libnvme];
  if (!theirs) {
    return [
      ...problems,
      `${s.name}: struct ${s.libnvme} is not in the probe output; run \`${REGENERATE_COMMAND}\``,
    ];
  }
  if (theirs.size !== s.size) {
    problems.push(`${s.name}: size ${s.size} but sizeof(struct ${s.libnvme}) is ${theirs.size}`);
  }
  for (const e of expectedMembers(s)) {
    const m = theirs.members[e.member];
    const where = e.member === e.field ? `${s.name}.${e.field}` : `${s.name}.${e.field} ` +
      `(libnvme ${e.member})`;
    if (!m) {
      problems.push(`${where}: not in the probe output; run \`${REGENERATE_COMMAND}\``);
      continue;
    }
    if (m.offset !== e.offset) {
      problems.push(`${where}: offset ${e.offset} but libnvme has ${m.offset}`);
    }
    if (m.size !== e.size) problems.push(`${where}: size ${e.size} but libnvme has ${m.size}`);
  }
  return problems;
}

/** Reads the committed fixture. */
export async function readFixture(url: URL = FIXTURE_URL): Promise<LibnvmeLayout> {
  return JSON.parse(await Deno.readTextFile(url)) as LibnvmeLayout;
}

/** Serialises a layout as the fixture's stable, one-member-per-line JSON. */
export function formatLayout(layout: LibnvmeLayout): string {
  const q = JSON.stringify;
  const structs = Object.entries(layout.structs).map(([lib, s]) => {
    const members = Object.entries(s.members).map(([m, v]) =>
      `        ${q(m)}: { "offset": ${v.offset}, "size": ${v.size} }`
    );
    const body = members.length ? `{\n${members.join(",\n")}\n      }` : "{}";
    return `    ${q(lib)}: {\n      "size": ${s.size},\n      "members": ${body}\n    }`;
  });
  return [
    "{",
    `  "generator": ${q(REGENERATE_COMMAND)},`,
    `  "header": ${q(layout.header)},`,
    `  "libnvme": ${q(layout.libnvme)},`,
    `  "structs": {\n${structs.join(",\n")}\n  }`,
    "}",
    "",
  ].join("\n");
}

/** The structures to cross-check and the catalogue modules they came from. */
export interface Catalogue {
  /** Every structure, deduplicated. */
  structs: Struct[];
  /** Where they came from, e.g. `["spec/_catalog_data.ts", "spec/catalog.ts"]`. */
  sources: string[];
}

/**
 * Loads the structures to cross-check: `DATA_STRUCTURES` from `spec/_catalog_data.ts` and, when
 * `spec/catalog.ts` exists, its `ALL_STRUCTURES`.
 */
export async function loadCatalogue(): Promise<Catalogue> {
  const structs: Struct[] = [...DATA_STRUCTURES];
  const sources = ["spec/_catalog_data.ts"];
  const catalog = new URL("./catalog.ts", import.meta.url);
  let present = true;
  try {
    await Deno.stat(catalog);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    present = false;
  }
  if (present) {
    const mod = await import(catalog.href) as { ALL_STRUCTURES?: unknown };
    if (!Array.isArray(mod.ALL_STRUCTURES)) {
      throw new LibnvmeProbeError("spec/catalog.ts exists but does not export ALL_STRUCTURES");
    }
    for (const s of mod.ALL_STRUCTURES as Struct[]) if (!structs.includes(s)) structs.push(s);
    sources.push("spec/catalog.ts");
  }
  return { structs, sources };
}

if (import.meta.main) {
  const { structs, sources } = await loadCatalogue();
  try {
    const layout = await runProbe(structs);
    await Deno.writeTextFile(FIXTURE_URL, formatLayout(layout));
    const checked = Object.values(layout.structs)
      .reduce((n, s) => n + Object.keys(s.members).length, 0);
    // deno-lint-ignore no-console
    console.log(
      `wrote ${FIXTURE_URL.pathname}: ${Object.keys(layout.structs).length} libnvme structs, ` +
        `${checked} members, from ${sources.join(" + ")} (libnvme-dev ${layout.libnvme})`,
    );
  } catch (e) {
    // deno-lint-ignore no-console
    console.error(e instanceof Error ? e.message : String(e));
    Deno.exit(1);
  }
}
