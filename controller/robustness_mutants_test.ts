// Mutant checks of the robustness properties (issue #3): each property fails, for the reason
// expected, against a deliberately broken wrapper of the reference controller — so a property that
// passes against the real controller is known to be able to fail. Mutants distort MMIO reads, MMIO
// writes or DMA writes through the rig's Interposed wrapper (_robustness_test_helpers.ts). Each
// check runs its property with the seed of the properties (NVME_FUZZ_SEED when set).

import type { DevicePort } from "../platform/ports.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { commandProperty } from "./_robustness_command_property.ts";
import { registerProperty } from "./_robustness_register_property.ts";
import {
  ADMIN_SIZE,
  assertPropertyFails,
  CC_EN,
  CSTS_CFS,
  CSTS_RDY,
  type Interposed,
  IO_QID,
} from "./_robustness_test_helpers.ts";

Deno.test("robustness mutants: the register property catches a broken controller", async (t) => {
  await t.step("CSTS.RDY stays 1 after CC.EN is cleared (sticky RDY) → R4", () => {
    assertPropertyFails(
      registerProperty(() => {
        let sawReady = false;
        return {
          mmioRead(offset, value) {
            if (offset !== R.CSTS) return value;
            if (value & CSTS_RDY) sawReady = true;
            return sawReady ? value | CSTS_RDY : value;
          },
        };
      }),
      /R4/,
    );
  });
  await t.step("CSTS.CFS reported while becoming ready after a valid enable → R5", () => {
    assertPropertyFails(
      registerProperty(() => ({
        mmioRead(offset, value, ctrl) {
          const enabling = (ctrl.regs.cc & CC_EN) !== 0 && !(value & CSTS_RDY);
          return offset === R.CSTS && enabling ? value | CSTS_CFS : value;
        },
      })),
      /R5/,
    );
  });
  await t.step("a write to INTMS starts device work that reschedules itself forever → R0", () => {
    const spin = (port: DevicePort) => {
      port.schedule(0, spin, port);
    };
    assertPropertyFails(
      registerProperty(() => ({
        mmioWrite(offset, _value, port) {
          if (offset === R.INTMS) spin(port);
        },
      })),
      /hang/,
    );
  });
});

/** True for the DMA that writes a whole CQE (the controller posts each entry in one DMA). */
function isCqeWrite(w: Interposed, addr: number, len: number): boolean {
  if (len !== CQE_SIZE) return false;
  const cqs: [number, number][] = [[w.ctrl.regs.acq, ADMIN_SIZE]];
  const io = w.ctrl.cqs[IO_QID];
  if (io) cqs.push([io.base, io.size]);
  return cqs.some(([base, size]) =>
    addr >= base && addr < base + size * CQE_SIZE && (addr - base) % CQE_SIZE === 0
  );
}

/** Byte offset of the status word (with the phase tag) in a CQE. */
const CQE_STATUS_BYTE = 14;

Deno.test("robustness mutants: the command property catches a broken controller", async (t) => {
  await t.step("one completion dropped (its phase tag never written) → C2", () => {
    assertPropertyFails(
      commandProperty(() => {
        let n = 0;
        return {
          dmaWrite(addr, _src, _off, len, w) {
            // The 4th CQE of the case (after at most 2 setup completions) is never published.
            return isCqeWrite(w, addr, len) && n++ === 3 ? true : undefined;
          },
        };
      }),
      /C2/,
    );
  });
  await t.step("one completion duplicated (an earlier CID posted again) → C2", () => {
    assertPropertyFails(
      commandProperty(() => {
        let last = -1, n = 0;
        return {
          dmaWrite(addr, src, off, len, w) {
            if (!isCqeWrite(w, addr, len)) return undefined; // CQE: …, SQID, CID, status
            const cid = src[off + 12] | (src[off + 13] << 8);
            if (n++ === 3 && last >= 0) { // the 4th CQE repeats the CID of the 3rd
              const copy = src.slice();
              copy[off + 12] = last & 0xff;
              copy[off + 13] = last >>> 8;
              return w.port.dmaWrite(addr, copy, off, len);
            }
            last = cid;
            return undefined;
          },
        };
      }),
      /C2/,
    );
  });
  await t.step("success reported for a command whose DMA was refused → C4", () => {
    assertPropertyFails(
      commandProperty(() => ({
        dmaWrite(addr, src, off, len, w) {
          if (isCqeWrite(w, addr, len) && w.lastCommandFaulted) {
            const copy = src.slice(off, off + len);
            copy[CQE_STATUS_BYTE] &= 1; // keep the phase tag, report success
            copy[CQE_STATUS_BYTE + 1] = 0;
            return w.port.dmaWrite(addr, copy, 0, len);
          }
          return undefined;
        },
      })),
      /C4/,
    );
  });
});
