import { assertEquals, assertInstanceOf, assertNotEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import {
  Dlfeat,
  DlfeatRead,
  formatIndex,
  IdentifyNamespace,
  LBA_FORMAT_COUNT,
  Mc,
  Nmic,
  Nsfeat,
} from "../spec/identify_namespace.ts";
import {
  decodeNsDescriptorList,
  Nidt,
  nsDescriptorProblem,
  scanNsDescriptorList,
} from "../spec/ns_descriptors.ts";
import { Status } from "../spec/status.ts";
import {
  CSI_NVM,
  DEFAULT_LBA_FORMATS,
  DERIVED_COMPANY_ID,
  InvalidFormatError,
  type LbaFormatSpec,
  Namespace,
  NamespaceConfigError,
  NamespaceStatusError,
} from "./namespace.ts";

function identify(ns: Namespace) {
  return IdentifyNamespace.decode(ns.identify(new Uint8Array(4096)));
}

Deno.test("Namespace", async (t) => {
  await t.step("defaults: 512 B and 4 KiB formats without metadata, LBAF0 in use", () => {
    assertEquals(DEFAULT_LBA_FORMATS.map((f) => [f.lbads, f.ms]), [[9, 0], [12, 0]]);
    const ns = new Namespace({ nsid: 1, nsze: 1000 });
    assertEquals([ns.formatIndex, ns.blockSize, ns.nsze, ns.ncap], [0, 512, 1000, 1000]);
    assertEquals([ns.shared, ns.media.writeCacheEnabled, ns.capacityBytes], [false, false, 512000]);
  });

  await t.step("Identify Namespace reports size, formats and capabilities", () => {
    const ns = new Namespace({ nsid: 3, nsze: 4096, shared: true, formatIndex: 1 });
    const src = new Uint8Array(4096).fill(1);
    ns.media.write(0, 1, src, 0);
    ns.media.write(9, 1, src, 0);
    const id = identify(ns);
    assertEquals([id.nsze, id.ncap, id.nuse], [4096n, 4096n, 2n]);
    assertEquals(id.nlbaf, 1); // 0's based: two formats
    assertEquals(formatIndex(id.flbas), 1);
    assertEquals(id.lbaf.slice(0, 3).map((f) => [f.ds, f.ms, f.rp]), [[9, 0, 1], [12, 0, 0], [
      0,
      0,
      0,
    ]]);
    assertEquals(id.nsfeat & (1 << Nsfeat.THINP), 0);
    assertEquals(id.nmic, 1 << Nmic.SHARED);
    assertEquals(id.dlfeat & 7, DlfeatRead.ZEROES);
    assertEquals(id.dlfeat & (1 << Dlfeat.WRITE_ZEROES_DEALLOC), 1 << Dlfeat.WRITE_ZEROES_DEALLOC);
    assertEquals([id.mc, id.dpc, id.dps], [0, 0, 0]);
    assertEquals(id.nvmcap, 4096n * 4096n);
    assertEquals(id.nguid, ns.nguid);
    assertEquals(id.eui64, ns.eui64);
  });

  await t.step("identify encodes at an offset and clears what was there", () => {
    const ns = new Namespace({ nsid: 1, nsze: 8 });
    const buf = new Uint8Array(4096 + 16).fill(0xff);
    ns.identify(buf, 16);
    assertEquals(buf.subarray(0, 16), new Uint8Array(16).fill(0xff));
    assertEquals(IdentifyNamespace.decode(buf, 16).nsze, 8n);
    assertEquals(buf[16 + 4095], 0);
  });

  await t.step("a private namespace reports NMIC 0; NCAP < NSZE reports thin provisioning", () => {
    const ns = new Namespace({ nsid: 2, nsze: 100, ncap: 50 });
    const id = identify(ns);
    assertEquals(id.nmic, 0);
    assertEquals([id.nsze, id.ncap], [100n, 50n]);
    assertEquals(id.nsfeat & (1 << Nsfeat.THINP), 1 << Nsfeat.THINP);
  });

  await t.step("metadata formats set MC (separate buffer and extended LBA)", () => {
    const ns = new Namespace({
      nsid: 1,
      nsze: 8,
      lbaFormats: [{ ms: 0, lbads: 9 }, { ms: 8, lbads: 9 }, { ms: 64, lbads: 12, rp: 2 }],
    });
    const id = identify(ns);
    assertEquals(id.mc, (1 << Mc.SEPARATE) | (1 << Mc.EXTENDED));
    assertEquals(id.nlbaf, 2);
    assertEquals(id.lbaf[2], { ms: 64, ds: 12, rp: 2 });
  });

  await t.step("format switches block size, keeps capacity in bytes and erases data", () => {
    const ns = new Namespace({ nsid: 1, nsze: 2 ** 21 });
    ns.media.write(5, 1, new Uint8Array(512).fill(7), 0);
    ns.format(1);
    assertEquals([ns.formatIndex, ns.blockSize, ns.nsze, ns.ncap], [1, 4096, 2 ** 18, 2 ** 18]);
    assertEquals(ns.media.bytesStored(), 0);
    assertEquals(formatIndex(identify(ns).flbas), 1);
    assertEquals(identify(ns).nsze, 2n ** 18n);
    ns.format(0);
    assertEquals(ns.nsze, 2 ** 21);
  });

  await t.step("format to an unsupported index is Invalid Format (10Ah)", () => {
    const ns = new Namespace({ nsid: 1, nsze: 8 });
    for (const bad of [2, -1, 1.5, 63]) {
      const e = assertThrows(() => ns.format(bad), InvalidFormatError, "use 0..1");
      assertInstanceOf(e, NamespaceStatusError);
      assertEquals(e.status, Status.INVALID_FORMAT);
    }
    const tiny = new Namespace({ nsid: 1, nsze: 4 }); // 2 KiB
    const e = assertThrows(() => tiny.format(1), InvalidFormatError);
    assertEquals(e.status, 0x10a);
    assertEquals(tiny.formatIndex, 0);
  });

  await t.step("descriptor list: EUI64, NGUID, UUID and CSI round-trip", () => {
    const ns = new Namespace({ nsid: 9, nsze: 8 });
    const buf = ns.encodeDescriptors(new Uint8Array(4096));
    const scan = scanNsDescriptorList(buf);
    assertEquals(scan.stop, "terminator");
    assertEquals(scan.descriptors, ns.descriptors());
    assertEquals(scan.descriptors.map((d) => d.nidt), [
      Nidt.EUI64,
      Nidt.NGUID,
      Nidt.UUID,
      Nidt.CSI,
    ]);
    assertEquals(scan.descriptors[3].nid, Uint8Array.of(CSI_NVM));
    assertEquals(scan.descriptors.map(nsDescriptorProblem), [null, null, null, null]);
  });

  await t.step("identifiers are deterministic, seed-specific and well formed", () => {
    const a = new Namespace({ nsid: 1, nsze: 8 });
    const b = new Namespace({ nsid: 1, nsze: 8 });
    const c = new Namespace({ nsid: 2, nsze: 8 });
    const d = new Namespace({ nsid: 1, nsze: 8, idSeed: "other" });
    assertEquals([a.eui64, a.nguid, a.uuid], [b.eui64, b.nguid, b.uuid]);
    for (const x of [c, d]) {
      assertNotEquals(a.eui64, x.eui64);
      assertNotEquals(a.nguid, x.nguid);
      assertNotEquals(a.uuid, x.uuid);
    }
    assertEquals([...a.eui64.subarray(0, 3)], [...DERIVED_COMPANY_ID]);
    assertEquals([...a.nguid.subarray(8, 11)], [...DERIVED_COMPANY_ID]);
    assertEquals([a.uuid[6] >> 4, a.uuid[8] >> 6], [8, 2]);
  });

  await t.step("rejects options that cannot describe a namespace", () => {
    const bad = [
      { nsid: 0, nsze: 8 },
      { nsid: 0xffff_ffff, nsze: 8 },
      { nsid: 1, nsze: 0 },
      { nsid: 1, nsze: 8, ncap: 9 },
      { nsid: 1, nsze: 8, formatIndex: 2 },
      { nsid: 1, nsze: 8, lbaFormats: [] },
      { nsid: 1, nsze: 8, lbaFormats: [{ ms: 0, lbads: 8 }] },
      { nsid: 1, nsze: 8, lbaFormats: [{ ms: -1, lbads: 9 }] },
      { nsid: 1, nsze: 2 ** 50, formatIndex: 1 },
    ];
    for (const o of bad) assertThrows(() => new Namespace(o), NamespaceConfigError, "use");
  });
});

const formatArb: fc.Arbitrary<LbaFormatSpec> = fc.record({
  ms: fc.constantFrom(0, 8, 16, 64),
  lbads: fc.integer({ min: 9, max: 16 }),
  rp: fc.integer({ min: 0, max: 3 }),
});

Deno.test("Namespace property: Identify Namespace mirrors the configuration", () => {
  fc.assert(
    fc.property(
      fc.array(formatArb, { minLength: 1, maxLength: LBA_FORMAT_COUNT }),
      fc.nat(),
      fc.integer({ min: 1, max: 2 ** 32 }),
      fc.boolean(),
      (formats, pick, nsze, shared) => {
        const index = pick % formats.length;
        const ns = new Namespace({
          nsid: 1,
          nsze,
          lbaFormats: formats,
          formatIndex: index,
          shared,
        });
        const id = identify(ns);
        assertEquals(id.nlbaf, formats.length - 1);
        assertEquals(formatIndex(id.flbas), index);
        assertEquals(id.nsze, BigInt(nsze));
        assertEquals(id.nmic, shared ? 1 : 0);
        for (const [i, f] of formats.entries()) {
          assertEquals([id.lbaf[i].ds, id.lbaf[i].ms, id.lbaf[i].rp], [f.lbads, f.ms, f.rp]);
        }
        for (let i = formats.length; i < LBA_FORMAT_COUNT; i++) assertEquals(id.lbaf[i].ds, 0);
      },
    ),
  );
});

Deno.test("Namespace property: the descriptor list round-trips for any seed", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xffff_fffe }), fc.string(), (nsid, seed) => {
      const ns = new Namespace({ nsid, nsze: 1, idSeed: seed });
      assertEquals(
        decodeNsDescriptorList(ns.encodeDescriptors(new Uint8Array(4096))),
        ns.descriptors(),
      );
      assertEquals(ns.eui64.some((b) => b !== 0) && ns.nguid.some((b) => b !== 0), true);
    }),
  );
});
