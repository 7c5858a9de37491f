/**
 * Field tables: every NVMe structure is declared once as data (name, byte offset, size, optional
 * bit range, kind) and its codec is derived from that table. The same tables feed the
 * `spec --json` catalogue, the layout tests and the libnvme cross-check.
 *
 * Naming: field names follow libnvme / nvme-cli (`vid`, `sn`, `mdts`, `nsze`, …) so that a decoded
 * structure reads like `nvme id-ctrl -o json`.
 *
 * @example Declare and use a structure
 * ```ts
 * import { bits, defineStruct, rsvd, u16, u32 } from "./struct.ts";
 *
 * const Toy = defineStruct("Toy", 8, [
 *   u16("vid", 0),
 *   bits("en", 2, 2, 0, 0),
 *   bits("mode", 2, 2, 1, 3),
 *   rsvd(4, 4),
 * ], { section: "none" });
 * const bytes = Toy.encode({ vid: 0x1b36, en: 1, mode: 5 });
 * const back = Toy.decode(bytes);
 * if (back.vid !== 0x1b36 || back.mode !== 5) throw new Error("round trip");
 * void u32;
 * ```
 *
 * @module
 */

import { getBits, getUint, getUintBig, setBits, setUint, setUintBig } from "./_bytes.ts";

/** An unsigned integer field of 1, 2, 4, 8 or 16 bytes, little-endian, optionally a bit range. */
export interface UintField<N extends string = string> {
  /** The libnvme / nvme-cli spelling of the field. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "uint";
  /** Byte offset of the containing integer. */
  readonly offset: number;
  /** Width of the containing integer in bytes. */
  readonly size: 1 | 2 | 4 | 8 | 16;
  /** Inclusive bit range `[lo, hi]` inside the containing integer, when the field is a bit field. */
  readonly bits?: readonly [number, number];
}

/** A fixed-width ASCII string, padded with spaces (Identify strings) or NULs (NQNs). */
export interface AsciiField<N extends string = string> {
  /** Field name. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "ascii";
  /** Byte offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: number;
  /** Padding character written after the value and stripped on decode. */
  readonly pad: " " | "\0";
}

/** Raw bytes (EUI-64, NGUID, vendor-specific areas). */
export interface BytesField<N extends string = string> {
  /** Field name. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "bytes";
  /** Byte offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: number;
}

/** Reserved bytes: never decoded, written as zero. */
export interface ReservedField<N extends string = string> {
  /** Field name, `rsvd<offset>` as libnvme spells it. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "reserved";
  /** Byte offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: number;
}

/** A repeated sub-structure (power state descriptors, LBA formats). */
export interface StructArrayField<N extends string = string, E extends Struct = Struct> {
  /** Field name. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "array";
  /** Byte offset of element 0. */
  readonly offset: number;
  /** Total width in bytes (`count * element.size`). */
  readonly size: number;
  /** Number of elements. */
  readonly count: number;
  /** The element structure. */
  readonly element: E;
}

/** A repeated unsigned integer (NSID lists, command effects entries). */
export interface UintArrayField<N extends string = string> {
  /** Field name. */
  readonly name: N;
  /** Field kind. */
  readonly kind: "uints";
  /** Byte offset of element 0. */
  readonly offset: number;
  /** Total width in bytes (`count * elementSize`). */
  readonly size: number;
  /** Number of elements. */
  readonly count: number;
  /** Width of one element: 1, 2 or 4 bytes. */
  readonly elementSize: 1 | 2 | 4;
}

/** Any field of a structure. */
export type Field =
  | UintField
  | AsciiField
  | BytesField
  | ReservedField
  | StructArrayField
  | UintArrayField;

/** The decoded type of an unsigned field: bit fields and 1/2/4-byte fields are numbers. */
export type UintValue<F> = F extends { bits: readonly [number, number] } ? number
  : F extends { size: 1 | 2 | 4 } ? number
  : F extends { size: 8 | 16 } ? bigint
  : number | bigint;

/** The decoded JavaScript type of one field. */
export type ValueOf<F> = F extends { kind: "uint" } ? UintValue<F>
  : F extends { kind: "ascii" } ? string
  : F extends { kind: "bytes" } ? Uint8Array
  : F extends { kind: "array"; element: Layout<infer V> } ? V[]
  : F extends { kind: "uints" } ? number[]
  : never;

/** The value type `encode` accepts for one field (64/128-bit integers also take a number). */
export type InputOf<F> = F extends { kind: "uint" } ? (UintValue<F> extends bigint ? bigint | number
    : UintValue<F>)
  : F extends { kind: "ascii" } ? string
  : F extends { kind: "bytes" } ? Uint8Array
  : F extends { kind: "array"; element: Layout<infer V> } ? Partial<EncodeInput<V>>[]
  : F extends { kind: "uints" } ? readonly number[]
  : never;

/** The decoded object of a field table: one property per non-reserved field. */
export type Decoded<F extends readonly Field[]> = {
  -readonly [E in F[number] as E extends ReservedField ? never : E["name"]]: ValueOf<E>;
};

/**
 * What `encode` accepts for a field table: {@linkcode InputOf} for every non-reserved field,
 * spelt as the {@linkcode EncodeInput} of the decoded object so that every `Struct<F>` is a
 * `Layout<Decoded<F>>`.
 */
export type Encodable<F extends readonly Field[]> = EncodeInput<Decoded<F>>;

/** Metadata that goes with a structure's field table. */
export interface StructOptions {
  /** Where the structure is defined, e.g. `"Base 2.1 §5.1.13.2.1 (Identify Controller)"`. */
  readonly section: string;
  /** The libnvme `struct` with the same layout, or null when libnvme has none. */
  readonly libnvme?: string | null;
  /**
   * Fields whose name differs in libnvme (`ours → theirs`), or that libnvme lacks (`→ null`).
   * Every other byte-aligned, non-reserved field must exist in the libnvme struct.
   */
  readonly libnvmeNames?: Readonly<Record<string, string | null>>;
}

/** A structure: its field table and the codec derived from it. */
export interface Struct<F extends readonly Field[] = readonly Field[]> {
  /** Structure name, e.g. `"IdentifyController"`. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** The field table, in offset order. */
  readonly fields: F;
  /** Spec section defining the layout. */
  readonly section: string;
  /** The libnvme struct name, or null. */
  readonly libnvme: string | null;
  /** Renames and omissions relative to the libnvme struct. */
  readonly libnvmeNames: Readonly<Record<string, string | null>>;
  /** Looks up a field by name; throws {@linkcode UnknownFieldError} if absent. */
  field(name: string): Field;
  /** Decodes `size` bytes at `offset`. Never throws for in-bounds input: any bytes decode. */
  decode(bytes: Uint8Array, offset?: number): Decoded<F>;
  /** Encodes `value` (missing fields are zero) into `into` at `offset`, or into a new buffer. */
  encode(value: Partial<Encodable<F>>, into?: Uint8Array, offset?: number): Uint8Array;
}

/**
 * What `encode` accepts for a decoded value type `T` (the value-type form of
 * {@linkcode Encodable}): 64- and 128-bit integers (`bigint`) also take a number, integer arrays
 * may be read-only, and arrays of structures take partial element inputs.
 */
export type EncodeInput<T> = {
  [K in keyof T]: T[K] extends bigint ? bigint | number
    : T[K] extends Uint8Array ? Uint8Array
    : T[K] extends readonly number[] ? readonly number[]
    : T[K] extends readonly (infer E)[] ? Partial<EncodeInput<E>>[]
    : T[K];
};

/**
 * A structure whose decoded value is `T`: what an exported table is annotated with, e.g.
 * `export const CAP: Layout<CAPValue> = defineStruct(...)`. It has the members of
 * {@linkcode Struct}, but its codec is typed by a named value type (generated into
 * `value_types.ts`) instead of the field tuple. Every `Struct<F>` is a `Layout<Decoded<F>>`, so
 * the annotation is checked: the table must decode every property of `T`, each with its type (a
 * table field missing from `T` is caught by the `value_types_test.ts` drift check instead).
 *
 * @example
 * ```ts
 * import { defineStruct, type Layout, u16, u64 } from "./struct.ts";
 *
 * type ToyValue = { vid: number; addr: bigint };
 * const Toy: Layout<ToyValue> = defineStruct("Toy", 10, [u16("vid", 0), u64("addr", 2)], {
 *   section: "none",
 * });
 * const toy: ToyValue = Toy.decode(Toy.encode({ vid: 1, addr: 0x1000 }));
 * if (toy.addr !== 0x1000n) throw new Error("round trip");
 * ```
 */
export interface Layout<T> {
  /** Structure name, e.g. `"IdentifyController"`. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** The field table, in offset order. */
  readonly fields: readonly Field[];
  /** Spec section defining the layout. */
  readonly section: string;
  /** The libnvme struct name, or null. */
  readonly libnvme: string | null;
  /** Renames and omissions relative to the libnvme struct. */
  readonly libnvmeNames: Readonly<Record<string, string | null>>;
  /** Looks up a field by name; throws {@linkcode UnknownFieldError} if absent. */
  field(name: string): Field;
  /** Decodes `size` bytes at `offset`. Never throws for in-bounds input: any bytes decode. */
  decode(bytes: Uint8Array, offset?: number): T;
  /** Encodes `value` (missing fields are zero) into `into` at `offset`, or into a new buffer. */
  encode(value: Partial<EncodeInput<T>>, into?: Uint8Array, offset?: number): Uint8Array;
}

/** Thrown when a structure has no field of the requested name. */
export class UnknownFieldError extends Error {
  /** Creates the error for `structName.fieldName`. */
  constructor(structName: string, fieldName: string) {
    super(`${structName} has no field "${fieldName}"; see \`deno task spec ${structName}\``);
    this.name = "UnknownFieldError";
  }
}

/** Thrown when a field table is not a valid layout (overlap, gap, out of bounds). */
export class LayoutError extends Error {
  /** Creates the error for a structure. */
  constructor(structName: string, problem: string) {
    super(`${structName}: ${problem}`);
    this.name = "LayoutError";
  }
}

/** Thrown by `encode` for a value that does not fit its field. */
export class FieldValueError extends RangeError {
  /** Creates the error for a field. */
  constructor(structName: string, fieldName: string, problem: string) {
    super(`${structName}.${fieldName}: ${problem}`);
    this.name = "FieldValueError";
  }
}

// ---- field builders: keep the tables terse and literal-typed ----

/** An 8-bit unsigned field. */
export function u8<const N extends string>(name: N, offset: number): UintField<N> & { size: 1 } {
  return { name, kind: "uint", offset, size: 1 };
}
/** A 16-bit unsigned little-endian field. */
export function u16<const N extends string>(name: N, offset: number): UintField<N> & { size: 2 } {
  return { name, kind: "uint", offset, size: 2 };
}
/** A 32-bit unsigned little-endian field. */
export function u32<const N extends string>(name: N, offset: number): UintField<N> & { size: 4 } {
  return { name, kind: "uint", offset, size: 4 };
}
/** A 64-bit unsigned little-endian field (decoded as bigint). */
export function u64<const N extends string>(name: N, offset: number): UintField<N> & { size: 8 } {
  return { name, kind: "uint", offset, size: 8 };
}
/** A 128-bit unsigned little-endian field (decoded as bigint), e.g. SMART counters. */
export function u128<const N extends string>(
  name: N,
  offset: number,
): UintField<N> & { size: 16 } {
  return { name, kind: "uint", offset, size: 16 };
}
/**
 * A bit field: bits `lo..hi` (inclusive) of the `size`-byte little-endian integer at `offset`.
 * Decoded as a number; at most 32 bits wide in a dword and 53 bits in a qword.
 */
export function bits<const N extends string>(
  name: N,
  offset: number,
  size: 1 | 2 | 4 | 8,
  lo: number,
  hi: number,
): UintField<N> & { bits: readonly [number, number] } {
  return { name, kind: "uint", offset, size, bits: [lo, hi] };
}
/** A bit field in a 32-bit dword: shorthand for `bits(name, offset, 4, lo, hi)`. */
export function dwBits<const N extends string>(
  name: N,
  offset: number,
  lo: number,
  hi: number,
): UintField<N> & { bits: readonly [number, number] } {
  return bits(name, offset, 4, lo, hi);
}
/** A space-padded ASCII string (Identify `sn`, `mn`, `fr`). */
export function ascii<const N extends string>(
  name: N,
  offset: number,
  size: number,
  pad: " " | "\0" = " ",
): AsciiField<N> {
  return { name, kind: "ascii", offset, size, pad };
}
/** Raw bytes. */
export function bytes<const N extends string>(
  name: N,
  offset: number,
  size: number,
): BytesField<N> {
  return { name, kind: "bytes", offset, size };
}
/** Reserved bytes, named `rsvd<offset>` as libnvme does. */
export function rsvd(offset: number, size: number): ReservedField<`rsvd${number}`> {
  return { name: `rsvd${offset}`, kind: "reserved", offset, size };
}
/** `count` consecutive copies of `element` starting at `offset`. */
export function array<const N extends string, E extends Struct>(
  name: N,
  offset: number,
  count: number,
  element: E,
): StructArrayField<N, E> {
  return { name, kind: "array", offset, size: count * element.size, count, element };
}
/** `count` consecutive unsigned integers of `elementSize` bytes starting at `offset`. */
export function uints<const N extends string>(
  name: N,
  offset: number,
  count: number,
  elementSize: 1 | 2 | 4,
): UintArrayField<N> {
  return { name, kind: "uints", offset, size: count * elementSize, count, elementSize };
}

// ---- layout validation ----

// A bit field decodes to a number: at most 32 bits inside a dword, at most 53 (exact doubles)
// inside a qword, which covers 4 KiB-aligned 64-bit addresses such as ASQ.ASQB (bits 63:12).
const MAX_BIT_WIDTH: Readonly<Record<number, number>> = { 1: 8, 2: 16, 4: 32, 8: 53 };

/**
 * Checks a field table: every field in bounds; byte-level fields neither overlap nor leave gaps
 * (reserved fields fill the holes, so the table accounts for every byte); bit fields sharing one
 * integer agree on its size and do not overlap. Throws {@linkcode LayoutError}.
 */
export function validateLayout(name: string, size: number, fields: readonly Field[]): void {
  const seen = new Set<string>();
  // Containers: offset → size; bit fields at one offset share a container.
  const containers = new Map<number, { size: number; used: bigint; bitField: boolean }>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new LayoutError(name, `duplicate field name "${f.name}"`);
    seen.add(f.name);
    if (!Number.isInteger(f.offset) || f.offset < 0 || f.offset + f.size > size) {
      throw new LayoutError(name, `${f.name} [${f.offset}, +${f.size}) is outside ${size} bytes`);
    }
    if (f.size <= 0) throw new LayoutError(name, `${f.name} has size ${f.size}`);
    const bitRange = f.kind === "uint" ? f.bits : undefined;
    const c = containers.get(f.offset);
    if (bitRange) {
      const [lo, hi] = bitRange;
      if (f.size > 8 || lo < 0 || hi < lo || hi >= f.size * 8 || hi - lo >= MAX_BIT_WIDTH[f.size]) {
        throw new LayoutError(
          name,
          `${f.name} bits ${lo}..${hi} do not fit a ${f.size}-byte field`,
        );
      }
      const mask = ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
      if (c) {
        if (!c.bitField || c.size !== f.size) {
          throw new LayoutError(name, `${f.name} shares offset ${f.offset} with a different field`);
        }
        if (c.used & mask) throw new LayoutError(name, `${f.name} overlaps another bit field`);
        c.used |= mask;
      } else {
        containers.set(f.offset, { size: f.size, used: mask, bitField: true });
      }
    } else {
      if (c) throw new LayoutError(name, `${f.name} overlaps a field at offset ${f.offset}`);
      containers.set(f.offset, { size: f.size, used: 0n, bitField: false });
    }
  }
  let cursor = 0;
  for (const off of [...containers.keys()].sort((a, b) => a - b)) {
    if (off > cursor) throw new LayoutError(name, `bytes ${cursor}..${off - 1} are not declared`);
    if (off < cursor) throw new LayoutError(name, `field at offset ${off} overlaps its neighbour`);
    cursor = off + containers.get(off)!.size;
  }
  if (cursor !== size) throw new LayoutError(name, `bytes ${cursor}..${size - 1} are not declared`);
}

// ---- the derived codec ----

function decodeField(f: Field, b: Uint8Array, base: number): unknown {
  const at = base + f.offset;
  switch (f.kind) {
    case "uint":
      if (f.bits) return getBits(b, at, f.size as 1 | 2 | 4 | 8, f.bits[0], f.bits[1]);
      return f.size <= 4 ? getUint(b, at, f.size as 1 | 2 | 4) : getUintBig(b, at, f.size);
    case "ascii": {
      let end = f.size;
      while (end > 0 && (b[at + end - 1] === 0x20 || b[at + end - 1] === 0)) end--;
      // One character per byte (0..255), so any byte image decodes and re-encodes unchanged.
      let text = "";
      for (let i = 0; i < end; i++) text += String.fromCharCode(b[at + i]);
      return text;
    }
    case "bytes":
      return b.slice(at, at + f.size);
    case "array": {
      const out = new Array(f.count);
      for (let i = 0; i < f.count; i++) out[i] = f.element.decode(b, at + i * f.element.size);
      return out;
    }
    case "uints": {
      const out = new Array<number>(f.count);
      for (let i = 0; i < f.count; i++) out[i] = getUint(b, at + i * f.elementSize, f.elementSize);
      return out;
    }
    case "reserved":
      return undefined;
  }
}

function encodeField(s: string, f: Field, v: unknown, b: Uint8Array, base: number): void {
  const at = base + f.offset;
  switch (f.kind) {
    case "uint": {
      if (f.bits) {
        const width = f.bits[1] - f.bits[0] + 1;
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** width) {
          throw new FieldValueError(s, f.name, `${String(v)} does not fit ${width} bits`);
        }
        setBits(b, at, f.size as 1 | 2 | 4 | 8, f.bits[0], f.bits[1], v);
      } else if (f.size <= 4) {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** (8 * f.size)) {
          throw new FieldValueError(s, f.name, `${String(v)} does not fit ${8 * f.size} bits`);
        }
        setUint(b, at, f.size as 1 | 2 | 4, v);
      } else {
        const n = typeof v === "bigint"
          ? v
          : typeof v === "number" && Number.isInteger(v)
          ? BigInt(v)
          : undefined;
        if (n === undefined || n < 0n || n >> BigInt(8 * f.size) !== 0n) {
          throw new FieldValueError(s, f.name, `${String(v)} does not fit ${8 * f.size} bits`);
        }
        setUintBig(b, at, f.size, n);
      }
      return;
    }
    case "ascii": {
      if (typeof v !== "string") throw new FieldValueError(s, f.name, "expected a string");
      if (v.length > f.size) {
        throw new FieldValueError(s, f.name, `"${v}" is longer than ${f.size} bytes`);
      }
      for (let i = 0; i < f.size; i++) {
        const code = i < v.length ? v.charCodeAt(i) : f.pad.charCodeAt(0);
        if (code > 0xff) throw new FieldValueError(s, f.name, "only 8-bit characters fit");
        b[at + i] = code;
      }
      return;
    }
    case "bytes": {
      if (!(v instanceof Uint8Array) || v.length > f.size) {
        throw new FieldValueError(s, f.name, `expected at most ${f.size} bytes`);
      }
      b.set(v, at);
      return;
    }
    case "array": {
      const items = v as readonly Record<string, unknown>[];
      if (!Array.isArray(items) || items.length > f.count) {
        throw new FieldValueError(s, f.name, `expected at most ${f.count} elements`);
      }
      for (let i = 0; i < items.length; i++) {
        f.element.encode(items[i] as never, b, at + i * f.element.size);
      }
      return;
    }
    case "uints": {
      const items = v as readonly number[];
      if (!Array.isArray(items) || items.length > f.count) {
        throw new FieldValueError(s, f.name, `expected at most ${f.count} elements`);
      }
      for (let i = 0; i < items.length; i++) {
        encodeField(
          s,
          { name: `${f.name}[${i}]`, kind: "uint", offset: 0, size: f.elementSize },
          items[i],
          b,
          at + i * f.elementSize,
        );
      }
      return;
    }
    case "reserved":
      return;
  }
}

/**
 * Declares a structure from its field table, validating the layout (see
 * {@linkcode validateLayout}) and deriving the codec.
 */
export function defineStruct<const F extends readonly Field[]>(
  name: string,
  size: number,
  fields: F,
  options: StructOptions,
): Struct<F> {
  validateLayout(name, size, fields);
  const byName = new Map<string, Field>(fields.map((f) => [f.name, f]));
  const live = fields.filter((f) => f.kind !== "reserved");
  return Object.freeze({
    name,
    size,
    fields,
    section: options.section,
    libnvme: options.libnvme ?? null,
    libnvmeNames: options.libnvmeNames ?? {},
    field(fieldName: string): Field {
      const f = byName.get(fieldName);
      if (!f) throw new UnknownFieldError(name, fieldName);
      return f;
    },
    decode(b: Uint8Array, offset = 0): Decoded<F> {
      if (offset < 0 || offset + size > b.length) {
        throw new RangeError(`${name}: need ${size} bytes at offset ${offset}, have ${b.length}`);
      }
      const out: Record<string, unknown> = {};
      for (const f of live) out[f.name] = decodeField(f, b, offset);
      return out as Decoded<F>;
    },
    encode(value: Partial<Encodable<F>>, into?: Uint8Array, offset = 0): Uint8Array {
      const b = into ?? new Uint8Array(size);
      if (offset < 0 || offset + size > b.length) {
        throw new RangeError(`${name}: need ${size} bytes at offset ${offset}, have ${b.length}`);
      }
      b.fill(0, offset, offset + size);
      const v = value as Record<string, unknown>;
      for (const key of Object.keys(v)) {
        if (v[key] === undefined) continue;
        const f = byName.get(key);
        if (!f || f.kind === "reserved") throw new UnknownFieldError(name, key);
        encodeField(name, f, v[key], b, offset);
      }
      return b;
    },
  });
}

/**
 * The byte offset of a field, for hot paths that use a `DataView` directly instead of the codec.
 *
 * @example
 * ```ts
 * import { offsetOf } from "./struct.ts";
 * import { SubmissionQueueEntry } from "./sqe.ts";
 * if (offsetOf(SubmissionQueueEntry, "cid") !== 2) throw new Error("CID is at byte 2");
 * ```
 */
export function offsetOf(s: Struct, fieldName: string): number {
  return s.field(fieldName).offset;
}

/**
 * Decodes an integer value (a register, a feature dword, a completion DW0) through a 1-, 2-, 4-
 * or 8-byte field table.
 *
 * @example
 * ```ts
 * import { decodeValue } from "./struct.ts";
 * import { CSTS } from "./registers.ts";
 * if (decodeValue(CSTS, 0x9).shst !== 2) throw new Error("SHST = complete");
 * ```
 */
export function decodeValue<T>(layout: Layout<T>, value: number | bigint): T {
  const b = new Uint8Array(layout.size);
  setUintBig(b, 0, layout.size, BigInt(value));
  return layout.decode(b);
}

/** Encodes fields into an integer value through a small field table (bigint, exact for 8 bytes). */
export function encodeValue<T>(layout: Layout<T>, fields: Partial<EncodeInput<T>>): bigint {
  return getUintBig(layout.encode(fields), 0, layout.size);
}
