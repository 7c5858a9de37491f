// Builds a 64-byte command structure from the common SQE header plus a command's own CDW10..15
// fields; dwords the command does not use are declared reserved so the layout stays complete.

import { sqeDptrPrp, sqeHeader } from "./sqe.ts";
import { defineStruct, type Field, rsvd, type Struct } from "./struct.ts";

const CDW10_OFFSET = 40;
const SQE_END = 64;

/** The fields every command shares (header and PRP data pointer). */
export type CommonFields = readonly [...typeof sqeHeader, ...typeof sqeDptrPrp];

/** Declares a command: the common header and PRP pointer plus `specific` CDW10..15 fields. */
export function commandStruct<const F extends readonly Field[]>(
  name: string,
  section: string,
  specific: F,
): Struct<readonly [...CommonFields, ...F]> {
  const fill: Field[] = [];
  for (let off = CDW10_OFFSET; off < SQE_END; off += 4) {
    const used = specific.some((f) => f.offset < off + 4 && f.offset + f.size > off);
    if (!used) fill.push(rsvd(off, 4));
  }
  const fields = [...sqeHeader, ...sqeDptrPrp, ...specific, ...fill];
  return defineStruct(name, SQE_END, fields, { section, libnvme: null }) as unknown as Struct<
    readonly [...CommonFields, ...F]
  >;
}
