/**
 * A small synchronous block-device API on top of any {@linkcode DriverModel}: identify, read,
 * write (optionally FUA), flush, write zeroes, deallocate, and a raw `exec` — for tests, tools and
 * people. Transfers larger than the driver's maximum are split; data goes through one DMA buffer
 * allocated once.
 *
 * @example Write, read back, flush
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { createDriver } from "./linux/driver.ts";
 * import { BlockDevice } from "./block_device.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = createDriver(host);
 * driver.bringUp();
 * const disk = new BlockDevice(host, driver);
 * disk.write(8, new Uint8Array(disk.blockSize).fill(0xab));
 * disk.flush();
 * if (disk.read(8, 1)[100] !== 0xab) throw new Error("read back");
 * ```
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { statusName } from "../spec/status.ts";
import type {
  ControllerInfo,
  DriverCommand,
  DriverCompletion,
  DriverModel,
  NamespaceInfo,
} from "./model.ts";
import { DriverError } from "./model.ts";

/** A command that ended with an error status or a host error. */
export class IoError extends Error {
  /** `SCT << 8 | SC`. */
  readonly status: number;
  /** The host error kind, or null when the device answered. */
  readonly hostError: string | null;
  /** Creates the error from a completion. */
  constructor(what: string, c: DriverCompletion) {
    super(
      c.hostError
        ? `${what}: ended by the host (${c.hostError})`
        : `${what}: status 0x${c.status.toString(16).padStart(3, "0")} ${statusName(c.status)}${
          c.dnr ? " (DNR)" : ""
        }`,
    );
    this.name = "IoError";
    this.status = c.status;
    this.hostError = c.hostError;
  }
}

/** Options of a {@linkcode BlockDevice}. */
export interface BlockDeviceOptions {
  /** Namespace (default: the first active one). */
  readonly nsid?: number;
  /** Submitting context (default 0). */
  readonly context?: number;
  /** Longest wait for one command, in ns of virtual time (default 120 s: past the driver's own
   * timeout handling). */
  readonly waitNs?: number;
}

/** Write Zeroes / Read / Write: NLB is 0's based in CDW12 bits 15:0 (NVM CS 1.1 §3.3). */
const NLB_MASK = 0xffff;
/** CDW12 bit 30: Force Unit Access. */
const FUA = 1 << 30;
/** Dataset Management CDW11 bit 2: Attribute – Deallocate (NVM CS 1.1 §3.3.3). */
const DSM_DEALLOCATE = 1 << 2;
const DSM_RANGE_BYTES = 16;

/** A namespace as a block device. */
export class BlockDevice {
  /** The namespace. */
  readonly namespace: NamespaceInfo;
  /** Logical block size in bytes. */
  readonly blockSize: number;
  readonly #buffer: number;
  readonly #bufferBytes: number;
  readonly #context: number;
  readonly #waitNs: number;

  /** Wraps a brought-up driver. */
  constructor(
    readonly host: HostPort,
    readonly driver: DriverModel,
    options: BlockDeviceOptions = {},
  ) {
    const info = driver.info;
    if (!info) throw new DriverError("BlockDevice: bring the driver up first");
    const ns = options.nsid === undefined
      ? info.namespaces[0]
      : info.namespaces.find((n) => n.nsid === options.nsid);
    if (!ns) {
      throw new DriverError(
        options.nsid === undefined
          ? "BlockDevice: the controller has no active namespace"
          : `BlockDevice: namespace ${options.nsid} is not active`,
      );
    }
    this.namespace = ns;
    this.blockSize = ns.blockSize;
    const maxBlocks = Math.min(NLB_MASK + 1, Math.floor(info.maxTransferBytes / ns.blockSize));
    this.#bufferBytes = Math.max(1, maxBlocks) * ns.blockSize;
    this.#buffer = host.allocate(this.#bufferBytes, 4096);
    this.#context = options.context ?? 0;
    this.#waitNs = options.waitNs ?? 120e9;
  }

  /** What the driver found at bring-up. */
  identify(): ControllerInfo {
    return this.driver.info!;
  }

  /** Runs one command to completion and returns a copy of its completion (any status). */
  exec(cmd: DriverCommand): DriverCompletion {
    let result: DriverCompletion | null = null;
    const done = (c: DriverCompletion) => (result = { ...c });
    const deadline = this.host.now() + this.#waitNs;
    while (!this.driver.submit(cmd, done)) {
      if (this.host.now() >= deadline) throw new DriverError("BlockDevice: no free queue slot");
      this.driver.wait(this.#waitNs);
    }
    while (result === null) {
      if (this.host.now() >= deadline) {
        throw new DriverError(`BlockDevice: no completion within ${this.#waitNs / 1e9} s`);
      }
      this.driver.wait(deadline - this.host.now());
    }
    return result;
  }

  #check(what: string, c: DriverCompletion): void {
    if (c.status !== 0 || c.hostError) throw new IoError(what, c);
  }

  #rw(opcode: number, lba: number, blocks: number, extra = 0): void {
    const c = this.exec({
      opcode,
      nsid: this.namespace.nsid,
      cdw10: lba >>> 0,
      cdw11: Math.floor(lba / 2 ** 32) >>> 0,
      cdw12: ((blocks - 1) | extra) >>> 0,
      data: [{ addr: this.#buffer, length: blocks * this.blockSize }],
      context: this.#context,
    });
    this.#check(`${opcode === NvmOpcode.READ ? "Read" : "Write"} LBA ${lba}+${blocks}`, c);
  }

  #chunks(lba: number, blocks: number, each: (lba: number, n: number, offset: number) => void) {
    const per = this.#bufferBytes / this.blockSize;
    for (let done = 0; done < blocks; done += per) {
      each(lba + done, Math.min(per, blocks - done), done * this.blockSize);
    }
  }

  /** Reads `blocks` blocks from `lba`. */
  read(lba: number, blocks: number): Uint8Array {
    const out = new Uint8Array(blocks * this.blockSize);
    this.#chunks(lba, blocks, (l, n, off) => {
      this.#rw(NvmOpcode.READ, l, n);
      this.host.memRead(this.#buffer, out, off, n * this.blockSize);
    });
    return out;
  }

  /** Writes whole blocks of `data` at `lba` (FUA when asked). */
  write(lba: number, data: Uint8Array, { fua = false } = {}): void {
    if (data.length === 0 || data.length % this.blockSize !== 0) {
      throw new DriverError(
        `BlockDevice.write: ${data.length} bytes is not a multiple of ${this.blockSize}`,
      );
    }
    this.#chunks(lba, data.length / this.blockSize, (l, n, off) => {
      this.host.memWrite(this.#buffer, data, off, n * this.blockSize);
      this.#rw(NvmOpcode.WRITE, l, n, fua ? FUA : 0);
    });
  }

  /** Flush (Base 2.1 / NVM CS 1.1 §3.3: makes the volatile write cache durable). */
  flush(): void {
    const c = this.exec({ opcode: NvmOpcode.FLUSH, nsid: this.namespace.nsid });
    this.#check("Flush", c);
  }

  /** Write Zeroes over `blocks` blocks from `lba`. */
  writeZeroes(lba: number, blocks: number): void {
    for (let done = 0; done < blocks; done += NLB_MASK + 1) {
      const n = Math.min(NLB_MASK + 1, blocks - done);
      const l = lba + done;
      const c = this.exec({
        opcode: NvmOpcode.WRITE_ZEROES,
        nsid: this.namespace.nsid,
        cdw10: l >>> 0,
        cdw11: Math.floor(l / 2 ** 32) >>> 0,
        cdw12: n - 1,
      });
      this.#check(`Write Zeroes LBA ${l}+${n}`, c);
    }
  }

  /** Dataset Management deallocate of one range. */
  deallocate(lba: number, blocks: number): void {
    const range = new Uint8Array(DSM_RANGE_BYTES);
    const dv = new DataView(range.buffer);
    dv.setUint32(4, blocks, true);
    dv.setBigUint64(8, BigInt(lba), true);
    this.host.memWrite(this.#buffer, range);
    const c = this.exec({
      opcode: NvmOpcode.DATASET_MANAGEMENT,
      nsid: this.namespace.nsid,
      cdw10: 0,
      cdw11: DSM_DEALLOCATE,
      data: [{ addr: this.#buffer, length: DSM_RANGE_BYTES }],
    });
    this.#check(`Deallocate LBA ${lba}+${blocks}`, c);
  }

  /** Frees the DMA buffer. */
  close(): void {
    this.host.free(this.#buffer);
  }
}
