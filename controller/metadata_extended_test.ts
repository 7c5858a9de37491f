// Extended LBAs (FLBAS bit 4 / Format NVM MSET = 1: metadata interleaved after each block's data)
// end to end, MDTS with metadata (Base 2.1 §5.1.13.2.1, CTRATT.MEM = 0: interleaved metadata
// counts, a separate buffer does not), and Format NVM switching between formats with and without
// metadata.

import { assertEquals } from "@std/assert";
import { Flbas, IdentifyNamespace } from "../spec/identify_namespace.ts";
import { Status } from "../spec/status.ts";
import {
  formatNvm,
  type MetaRig,
  metaRig,
  pattern,
  read,
  sd,
  UNMAPPED,
  write,
} from "./_metadata_test_host.ts";

const B512 = 512, MS8 = 8, B4K = 4096, MS64 = 64;
const EXTENDED = 1 << Flbas.EXTENDED;
/** MDTS 7 with CAP.MPSMIN 4 KiB (the default options). */
const MDTS_BYTES = 128 * 4096;

/** `blocks` extended LBAs: each block's data then its metadata. */
function interleaved(data: Uint8Array, meta: Uint8Array, bs: number, ms: number): Uint8Array {
  const blocks = data.length / bs, out = new Uint8Array(blocks * (bs + ms));
  for (let i = 0; i < blocks; i++) {
    out.set(data.subarray(i * bs, (i + 1) * bs), i * (bs + ms));
    out.set(meta.subarray(i * ms, (i + 1) * ms), i * (bs + ms) + bs);
  }
  return out;
}

function flbas(r: MetaRig): number {
  return IdentifyNamespace.decode(r.ns.identify(new Uint8Array(4096))).flbas;
}

Deno.test("extended 512+8: interleaved round trip, stored per block, MPTR unused", () => {
  const r = metaRig(0 | EXTENDED);
  assertEquals([r.ns.extendedLba, flbas(r)], [true, EXTENDED]);
  const data = pattern(3 * B512, 1), meta = pattern(3 * MS8, 2);
  const ext = interleaved(data, meta, B512, MS8);
  // MPTR points nowhere: an extended-LBA command must not touch it.
  assertEquals(sd(write(r, 20, 3, ext, null, { mptr: UNMAPPED })), [0, 0]);
  const stored = new Uint8Array(3 * B512), storedMeta = new Uint8Array(3 * MS8);
  r.ns.media.read(20, 3, stored, 0);
  r.ns.media.readMetadata(20, 3, storedMeta, 0);
  assertEquals([stored, storedMeta], [data, meta]);
  const back = read(r, 20, 3, ext.length, 0, { mptr: UNMAPPED });
  assertEquals(sd(back.c), [0, 0]);
  assertEquals(back.data, ext);
  // A read starting one block in sees the second and third extended LBAs.
  assertEquals(read(r, 21, 2, 2 * (B512 + MS8), 0, { mptr: UNMAPPED }).data, ext.subarray(520));
});

Deno.test("extended 4096+64: MDTS counts data and metadata; a separate buffer does not count", () => {
  const blocks = MDTS_BYTES / B4K; // exactly MDTS of data
  const ext = metaRig(1 | EXTENDED);
  const tooBig = write(ext, 0, blocks, new Uint8Array(blocks * (B4K + MS64)), null);
  assertEquals(sd(tooBig), [Status.INVALID_FIELD, 1]);
  const fits = blocks - 2; // 126 × 4160 bytes ≤ 512 KiB
  const data = pattern(fits * B4K, 3), meta = pattern(fits * MS64, 4);
  assertEquals(sd(write(ext, 0, fits, interleaved(data, meta, B4K, MS64), null)), [0, 0]);
  assertEquals(read(ext, 0, fits, fits * (B4K + MS64), 0).data, interleaved(data, meta, B4K, MS64));
  const sep = metaRig(1);
  const full = pattern(blocks * B4K, 5), fullMeta = pattern(blocks * MS64, 6);
  assertEquals(sd(write(sep, 0, blocks, full, fullMeta)), [0, 0]);
  const back = read(sep, 0, blocks, blocks * B4K, blocks * MS64);
  assertEquals([back.data, back.meta], [full, fullMeta]);
});

Deno.test("Format NVM switches formats and metadata settings and erases the metadata", () => {
  const r = metaRig(0);
  assertEquals(sd(write(r, 0, 1, pattern(B512, 7), pattern(MS8, 8))), [0, 0]);
  // To 4096+64, separate buffer: the old metadata is gone and the new size applies.
  assertEquals(sd(formatNvm(r, 1)), [0, 0]);
  assertEquals([r.ns.blockSize, r.ns.metadataSize, flbas(r)], [B4K, MS64, 1]);
  let back = read(r, 0, 1, B4K, MS64);
  assertEquals([sd(back.c), back.meta], [[0, 0], new Uint8Array(MS64)]);
  assertEquals(sd(write(r, 0, 1, pattern(B4K, 9), pattern(MS64, 10))), [0, 0]);
  assertEquals(read(r, 0, 1, B4K, MS64).meta, pattern(MS64, 10));
  // To 512+8 with MSET = 1: FLBAS bit 4 is reported and the data buffer carries the metadata.
  assertEquals(sd(formatNvm(r, 0, 1)), [0, 0]);
  assertEquals([r.ns.extendedLba, flbas(r)], [true, EXTENDED]);
  const ext = interleaved(pattern(B512, 11), pattern(MS8, 12), B512, MS8);
  assertEquals(sd(write(r, 1, 1, ext, null)), [0, 0]);
  assertEquals(read(r, 1, 1, B512 + MS8, 0).data, ext);
  // To 512+0: no metadata, so MPTR is not used at all (MSET is moot).
  assertEquals(sd(formatNvm(r, 2, 1)), [0, 0]);
  assertEquals([r.ns.extendedLba, r.ns.metadataSize, flbas(r)], [false, 0, 2]);
  assertEquals(sd(write(r, 1, 1, pattern(B512, 13), null, { mptr: UNMAPPED })), [0, 0]);
  back = read(r, 1, 1, B512, 0, { mptr: UNMAPPED });
  assertEquals([sd(back.c), back.data], [[0, 0], pattern(B512, 13)]);
  assertEquals(r.ns.media.bytesStored(), B512);
});
