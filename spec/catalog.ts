/**
 * The catalogue of every structure declared in `spec/`: what `deno task spec --json` prints, and
 * the list the layout tests and the libnvme cross-check walk. Adding a structure means adding it
 * here (or to `_catalog_data.ts`), and the tests then cover it.
 *
 * @example
 * ```ts
 * import { catalogJson, findStructure } from "./catalog.ts";
 * if (findStructure("cqe")?.size !== 16) throw new Error();
 * const json = catalogJson();
 * if (json.structures.SubmissionQueueEntry.size !== 64) throw new Error();
 * ```
 *
 * @module
 */

import * as admin from "./admin_commands.ts";
import { AsyncEventCompletion } from "./async_events.ts";
import { DATA_STRUCTURES } from "./_catalog_data.ts";
import { CompletionQueueEntry } from "./cqe.ts";
import * as feat from "./features.ts";
import * as nvm from "./nvm_commands.ts";
import { ControllerRegisters, REGISTERS } from "./registers.ts";
import { SglDescriptor } from "./sgl.ts";
import { SubmissionQueueEntry, SubmissionQueueEntrySgl } from "./sqe.ts";
import type { Field, Struct } from "./struct.ts";

/** Every structure, grouped as people look for them. */
export const STRUCTURE_GROUPS: Readonly<Record<string, readonly Struct[]>> = Object.freeze({
  registers: [ControllerRegisters, ...REGISTERS.map((r) => r.layout)],
  queues: [SubmissionQueueEntry, SubmissionQueueEntrySgl, CompletionQueueEntry, SglDescriptor],
  admin: [
    admin.CreateIoCq,
    admin.CreateIoSq,
    admin.DeleteIoSq,
    admin.DeleteIoCq,
    admin.GetLogPage,
    admin.Identify,
    admin.Abort,
    admin.SetFeatures,
    admin.GetFeatures,
    admin.AsyncEventRequest,
    admin.NamespaceManagement,
    admin.NamespaceAttachment,
    admin.KeepAlive,
    admin.DoorbellBufferConfig,
    admin.FormatNvm,
    AsyncEventCompletion,
  ],
  nvm: [
    nvm.Flush,
    nvm.Write,
    nvm.Read,
    nvm.WriteUncorrectable,
    nvm.Compare,
    nvm.WriteZeroes,
    nvm.DatasetManagement,
    nvm.Verify,
    nvm.Copy,
    nvm.DsmRange,
    nvm.CopySourceRange,
  ],
  features: [
    feat.Arbitration,
    feat.PowerManagement,
    feat.TemperatureThreshold,
    feat.ErrorRecovery,
    feat.VolatileWriteCache,
    feat.NumberOfQueues,
    feat.InterruptCoalescing,
    feat.InterruptVectorConfig,
    feat.WriteAtomicity,
    feat.AsyncEventConfig,
    feat.AutonomousPowerState,
    feat.ApstTable,
    feat.HostMemoryBuffer,
    feat.HostMemoryBufferAttributes,
    feat.HostMemoryBufferDescriptor,
    feat.Timestamp,
    feat.KeepAliveTimer,
    feat.HostThermalManagement,
  ],
  data: DATA_STRUCTURES,
});

/** Every structure in the catalogue, each once. */
export const ALL_STRUCTURES: readonly Struct[] = Object.freeze([
  ...new Set(Object.values(STRUCTURE_GROUPS).flat()),
]);

/** Finds a structure by name, case-insensitively; also accepts `sqe`, `cqe` and register names. */
export function findStructure(name: string): Struct | undefined {
  const wanted = name.toLowerCase();
  const alias: Record<string, string> = {
    sqe: "submissionqueueentry",
    cqe: "completionqueueentry",
    "id-ctrl": "identifycontroller",
    "id-ns": "identifynamespace",
  };
  const key = alias[wanted] ?? wanted;
  return ALL_STRUCTURES.find((s) => s.name.toLowerCase() === key);
}

/** One field as `spec --json` prints it. */
export interface FieldJson {
  /** Field name (libnvme spelling). */
  name: string;
  /** Byte offset. */
  offset: number;
  /** Size in bytes (of the containing integer for bit fields). */
  size: number;
  /** Inclusive bit range `[lo, hi]` for bit fields. */
  bits?: [number, number];
  /** Kind: uint, ascii, bytes, reserved, array, uints. */
  kind: Field["kind"];
  /** Element count for arrays. */
  count?: number;
  /** Element structure name for arrays of structures. */
  element?: string;
}

/** One structure as `spec --json` prints it. */
export interface StructureJson {
  /** Size in bytes. */
  size: number;
  /** The libnvme struct with the same layout, or null. */
  libnvme: string | null;
  /** Where the layout is specified. */
  section: string;
  /** The field table. */
  fields: FieldJson[];
}

/** The field table of one structure as plain data. */
export function structureJson(s: Struct): StructureJson {
  return {
    size: s.size,
    libnvme: s.libnvme,
    section: s.section,
    fields: s.fields.map((f) => {
      const out: FieldJson = { name: f.name, offset: f.offset, size: f.size, kind: f.kind };
      if (f.kind === "uint" && f.bits) out.bits = [f.bits[0], f.bits[1]];
      if (f.kind === "array") {
        out.count = f.count;
        out.element = f.element.name;
      }
      if (f.kind === "uints") out.count = f.count;
      return out;
    }),
  };
}

/** The whole catalogue as `{ structures: { Name: { size, libnvme, section, fields } } }`. */
export function catalogJson(): { structures: Record<string, StructureJson> } {
  const structures: Record<string, StructureJson> = {};
  for (const s of ALL_STRUCTURES) structures[s.name] = structureJson(s);
  return { structures };
}
