// Metadata in a separate buffer (MPTR) end to end (nvm_metadata.ts; Base 2.1 Figure 92 MPTR,
// NVM Command Set 1.1 metadata): round trips on 512+8 and 4096+64 formats, MPTR errors, Write
// Zeroes / deallocation, Compare, the write cache and power loss, Copy, and the sparse store.
// Every test reads the metadata back, so a controller that ignored it would fail them.

import { assert, assertEquals } from "@std/assert";
import {
  Copy,
  CopySourceRange,
  DatasetManagement,
  DsmRange,
  Flush,
  WriteZeroes,
} from "../spec/nvm_commands.ts";
import { IdentifyNamespace, Mc } from "../spec/identify_namespace.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { Psdt } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import {
  compare,
  hostBuffer,
  metaBuffer,
  type MetaRig,
  metaRig,
  pattern,
  read,
  sd,
  UNMAPPED,
  write,
} from "./_metadata_test_host.ts";

const B512 = 512, MS8 = 8, B4K = 4096, MS64 = 64;
/** Status with DNR, as `sd` reports it. */
const INVALID_FIELD_DNR: [number, number] = [Status.INVALID_FIELD, 1];

function submit(r: MetaRig, sqe: Uint8Array): [number, number] {
  sqe[2] = 0xe0; // CIDs here never overlap the helpers' (those wrap below 256, one at a time)
  r.q.submit(sqe);
  return sd(r.q.wait());
}

Deno.test("512+8 separate buffer: data and metadata round trip, other blocks read zeros", () => {
  const r = metaRig(0);
  const data = pattern(4 * B512, 1), meta = pattern(4 * MS8, 2);
  assertEquals(sd(write(r, 10, 4, data, meta)), [0, 0]);
  const back = read(r, 10, 4, 4 * B512, 4 * MS8);
  assertEquals(sd(back.c), [0, 0]);
  assertEquals(back.data, data);
  assertEquals(back.meta, meta);
  // One block into the range: the metadata of LBA 11..12 is bytes 8..23 of what was written.
  assertEquals(read(r, 11, 2, 2 * B512, 2 * MS8).meta, meta.subarray(MS8, 3 * MS8));
  // Never-written blocks read zeros in both buffers (DLFEAT 001b).
  const fresh = read(r, 100, 2, 2 * B512, 2 * MS8);
  assertEquals([fresh.data, fresh.meta], [new Uint8Array(2 * B512), new Uint8Array(2 * MS8)]);
});

Deno.test("4096+64 separate buffer: a three-page write and read, metadata at MPTR", () => {
  const r = metaRig(1);
  assertEquals(r.ns.blockSize, B4K);
  const data = pattern(3 * B4K, 3), meta = pattern(3 * MS64, 4);
  assertEquals(sd(write(r, 7, 3, data, meta)), [0, 0]);
  const back = read(r, 7, 3, 3 * B4K, 3 * MS64);
  assertEquals(sd(back.c), [0, 0]);
  assertEquals(back.data, data);
  assertEquals(back.meta, meta);
  // The metadata sits beside the data in the media, per block.
  const stored = new Uint8Array(MS64);
  r.ns.media.readMetadata(8, 1, stored, 0);
  assertEquals(stored, meta.subarray(MS64, 2 * MS64));
});

Deno.test("MPTR not dword aligned, or PSDT 10b (metadata SGL): Invalid Field, media untouched", () => {
  const r = metaRig(0);
  const meta = metaBuffer(r, pattern(2 * MS8 + 4, 5));
  const c = write(r, 0, 1, pattern(B512, 6), null, { mptr: meta + 2 });
  assertEquals(sd(c), INVALID_FIELD_DNR);
  assertEquals(r.ns.media.bytesStored(), 0);
  assertEquals(sd(read(r, 0, 1, B512, MS8, { mptr: meta + 1 }).c), INVALID_FIELD_DNR);
  const sgl = write(r, 0, 1, pattern(B512, 6), null, { mptr: meta, psdt: Psdt.SGL_MPTR_SGL });
  assertEquals(sd(sgl), INVALID_FIELD_DNR);
  assertEquals(r.ns.media.bytesStored(), 0);
});

Deno.test("MPTR in unmapped memory: the IOMMU refuses the DMA, Data Transfer Error", () => {
  const r = metaRig(0);
  const c = write(r, 3, 2, pattern(2 * B512, 7), null, { mptr: UNMAPPED });
  assertEquals(sd(c), [Status.DATA_TRANSFER_ERROR, 0]);
  assertEquals(r.ns.media.bytesStored(), 0); // neither data nor metadata was stored
  assertEquals(sd(write(r, 3, 2, pattern(2 * B512, 7), pattern(2 * MS8, 8))), [0, 0]);
  const back = read(r, 3, 2, 2 * B512, 2 * MS8, { mptr: UNMAPPED });
  assertEquals(sd(back.c), [Status.DATA_TRANSFER_ERROR, 0]);
  assert(r.host.counters.dmaFaults > 0);
});

Deno.test("Write Zeroes (with and without DEAC) and deallocation clear the metadata", () => {
  const r = metaRig(0);
  const meta = pattern(8 * MS8, 9);
  assertEquals(sd(write(r, 0, 8, pattern(8 * B512, 10), meta)), [0, 0]);
  const wz = (slba: number, deac: number) =>
    WriteZeroes.encode({
      opcode: NvmOpcode.WRITE_ZEROES,
      nsid: 1,
      slba: BigInt(slba),
      nlb: 1,
      deac,
    });
  assertEquals(submit(r, wz(0, 0)), [0, 0]); // LBAs 0..1 through the cache
  assertEquals(submit(r, wz(2, 1)), [0, 0]); // LBAs 2..3 deallocated
  const ranges = hostBuffer(r, DsmRange.encode({ nlb: 2, slba: 4n }));
  const dsm = DatasetManagement.encode({
    opcode: NvmOpcode.DATASET_MANAGEMENT,
    nsid: 1,
    prp1: ranges.prp1,
    nr: 0,
    ad: 1,
  });
  assertEquals(submit(r, dsm), [0, 0]); // LBAs 4..5
  const back = read(r, 0, 8, 8 * B512, 8 * MS8);
  assertEquals(back.meta.subarray(0, 6 * MS8), new Uint8Array(6 * MS8));
  assertEquals(back.meta.subarray(6 * MS8), meta.subarray(6 * MS8));
});

Deno.test("Compare: equal data and metadata succeed; a metadata mismatch is Compare Failure", () => {
  const r = metaRig(0);
  const data = pattern(2 * B512, 11), meta = pattern(2 * MS8, 12);
  assertEquals(sd(write(r, 5, 2, data, meta)), [0, 0]);
  assertEquals(sd(compare(r, 5, 2, data, meta)), [0, 0]);
  const other = meta.slice();
  other[MS8 + 3] ^= 1; // one bit of the second block's metadata
  assertEquals(sd(compare(r, 5, 2, data, other)), [Status.COMPARE_FAILURE, 1]);
  const dataOff = data.slice();
  dataOff[0] ^= 1;
  assertEquals(sd(compare(r, 5, 2, dataOff, meta)), [Status.COMPARE_FAILURE, 1]);
  // Unwritten blocks hold zero metadata: only zeros compare equal.
  assertEquals(sd(compare(r, 50, 1, new Uint8Array(B512), new Uint8Array(MS8))), [0, 0]);
  assertEquals(sd(compare(r, 50, 1, new Uint8Array(B512), pattern(MS8, 1))), [
    Status.COMPARE_FAILURE,
    1,
  ]);
  assertEquals(sd(compare(r, 5, 1, data, null)), [Status.DATA_TRANSFER_ERROR, 0]); // MPTR 0
});

Deno.test("power loss: cached metadata is lost with its data; Flush and FUA make it durable", () => {
  const r = metaRig(0);
  const m = (seed: number) => pattern(MS8, seed);
  assertEquals(sd(write(r, 0, 1, pattern(B512, 1), m(21), { fua: 1 })), [0, 0]); // durable
  assertEquals(sd(write(r, 1, 1, pattern(B512, 2), m(22))), [0, 0]); // cached, flushed below
  // Flush moves LBA 1 into the granule that LBA 0 already made durable.
  assertEquals(submit(r, Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: 1 })), [0, 0]);
  assertEquals(sd(write(r, 2, 1, pattern(B512, 3), m(23))), [0, 0]); // cached, lost
  assertEquals(sd(write(r, 0, 1, pattern(B512, 4), m(24))), [0, 0]); // cached over durable
  r.ctrl.subsystem.powerLoss();
  const back = read(r, 0, 3, 3 * B512, 3 * MS8);
  assertEquals(back.meta.subarray(0, MS8), m(21)); // the durable version, not the cached one
  assertEquals(back.meta.subarray(MS8, 2 * MS8), m(22));
  assertEquals(back.meta.subarray(2 * MS8), new Uint8Array(MS8));
  assertEquals(back.data.subarray(0, B512), pattern(B512, 1));
});

Deno.test("Copy copies each block's metadata with its data", () => {
  const r = metaRig(0);
  const meta = pattern(3 * MS8, 31);
  assertEquals(sd(write(r, 0, 3, pattern(3 * B512, 30), meta)), [0, 0]);
  const entry = hostBuffer(r, CopySourceRange.encode({ slba: 1n, nlb: 1 }));
  const copy = Copy.encode({
    opcode: NvmOpcode.COPY,
    nsid: 1,
    prp1: entry.prp1,
    sdlba: 100n,
    nr: 0,
  });
  assertEquals(submit(r, copy), [0, 0]);
  assertEquals(read(r, 100, 2, 2 * B512, 2 * MS8).meta, meta.subarray(MS8));
});

Deno.test("sparse: a write at the last LBA of a 1 TiB namespace stores one block of each", () => {
  const last = 2 ** 31 - 1;
  const r = metaRig(0, { nsze: 2 ** 31 });
  assertEquals(sd(write(r, last, 1, pattern(B512, 40), pattern(MS8, 41))), [0, 0]);
  assertEquals(r.ns.media.bytesStored(), B512 + MS8);
  assertEquals(read(r, last, 1, B512, MS8).meta, pattern(MS8, 41));
});

Deno.test("Identify Namespace: MC bits 0 and 1, FLBAS without bit 4 for a separate buffer", () => {
  const r = metaRig(1);
  const id = IdentifyNamespace.decode(r.ns.identify(new Uint8Array(4096)));
  assertEquals(id.mc, (1 << Mc.SEPARATE) | (1 << Mc.EXTENDED));
  assertEquals(id.flbas, 1);
  assertEquals(id.lbaf[1], { ms: MS64, ds: 12, rp: 0 });
});
