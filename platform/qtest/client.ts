/**
 * A synchronous client of QEMU's qtest line protocol (`reference/qemu-nvme.md` §11): one ASCII
 * command per line, exactly one reply line per command (`OK …`, `FAIL …`, `ERR …`), with
 * asynchronous `IRQ raise N` / `IRQ lower N` lines that may come before any reply. Commands go
 * through the FIFOs of a {@linkcode QemuProcess} with `writeSync`/`readSync`, so a register round
 * trip is a plain function call (about 40 µs).
 *
 * Every argument is validated before it is sent: QEMU `g_assert`s on a malformed number or a
 * zero-length `read`, which would kill it. Every command is guarded by the watchdog; a hang or an
 * exit becomes {@linkcode QemuHangError} / {@linkcode QemuExitedError} with QEMU's stderr, and
 * the client refuses further commands.
 *
 * @module
 */

import {
  QemuExitedError,
  QemuHangError,
  QtestArgumentError,
  QtestProtocolError,
  withStderr,
} from "./errors.ts";
import type { QemuProcess } from "./process.ts";

const NEWLINE = 10;
const TWO_64 = 1n << 64n;
/** Largest I/O port (qtest asserts ADDR ≤ 0xffff for in/out). */
const MAX_PORT = 0xffff;
/** Replies are read in chunks of this many bytes (the buffer grows for long `b64read` lines). */
const READ_CHUNK = 65536;
/** Commands quoted in error messages are cut to this many characters. */
const QUOTE_CHARS = 80;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Formats a guest address / value as qtest expects (`0x…`), validating it. */
export function hex(value: number | bigint, what: string, max?: number | bigint): string {
  if (typeof value === "bigint") {
    if (value < 0n || value >= TWO_64 || (max !== undefined && value > BigInt(max))) {
      throw new QtestArgumentError(`${what} 0x${value.toString(16)} is out of range`);
    }
    return `0x${value.toString(16)}`;
  }
  if (!Number.isSafeInteger(value) || value < 0 || (max !== undefined && value > Number(max))) {
    throw new QtestArgumentError(`${what} ${value} must be an integer in 0..${max ?? "2^53"}`);
  }
  return `0x${value.toString(16)}`;
}

/** Parses the `0x…` value of an `OK 0x…` reply. */
function replyNumber(reply: string, command: string): number {
  const v = Number.parseInt(reply, 16);
  if (!reply.startsWith("0x") || Number.isNaN(v)) {
    throw new QtestProtocolError(`qtest "${command}": expected "OK 0x…", got "OK ${reply}"`);
  }
  return v;
}

/** A qtest connection. */
export class QtestClient {
  /** Commands sent (round trips). */
  roundTrips = 0;
  /** Called for each `IRQ raise|lower N` line, in arrival order. */
  onIrq: ((line: number, level: boolean) => void) | null = null;
  readonly #proc: QemuProcess;
  readonly #watchdogMs: number;
  #buf = new Uint8Array(READ_CHUNK);
  #start = 0;
  #end = 0;
  #scan = 0;
  #dead: Error | null = null;

  /** Talks to `proc`, guarded by its watchdog slot (`watchdogMs` per command). */
  constructor(proc: QemuProcess, watchdogMs: number) {
    this.#proc = proc;
    this.#watchdogMs = watchdogMs;
  }

  /**
   * Sends one command line and returns what follows `OK` in the reply ("" for a bare `OK`).
   * `timeoutMs` overrides the watchdog for this command (e.g. the first one, while QEMU starts).
   */
  command(line: string, timeoutMs = this.#watchdogMs): string {
    if (this.#dead) throw this.#dead;
    this.#proc.assertOpen();
    this.roundTrips++;
    this.#proc.watchdog.arm(timeoutMs);
    let reply: string;
    try {
      this.#writeAll(encoder.encode(line + "\n"), line);
      for (;;) {
        reply = this.#readLine(line, timeoutMs);
        if (!reply.startsWith("IRQ ")) break;
        this.#irq(reply);
      }
    } finally {
      this.#proc.watchdog.disarm();
    }
    if (reply === "OK") return "";
    if (reply.startsWith("OK ")) return reply.slice(3);
    throw new QtestProtocolError(
      withStderr(`qtest "${quote(line)}" answered "${quote(reply)}"`, this.#proc.stderr()),
    );
  }

  // ---------------------------------------------------------------- typed commands

  /** `readb`/`readw`/`readl` of 1, 2 or 4 bytes at a guest physical address. */
  read(addr: number, size: 1 | 2 | 4): number {
    const cmd = `${READS[size]} ${hex(addr, "address")}`;
    return replyNumber(this.command(cmd), cmd);
  }

  /** `readq` at a guest physical address. */
  readq(addr: number): bigint {
    const cmd = `readq ${hex(addr, "address")}`;
    const r = this.command(cmd);
    if (!r.startsWith("0x")) throw new QtestProtocolError(`qtest "${cmd}": got "OK ${r}"`);
    return BigInt(r);
  }

  /** `writeb`/`writew`/`writel` (the value is truncated to the width). */
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    const v = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
    this.command(`${WRITES[size]} ${hex(addr, "address")} 0x${v.toString(16)}`);
  }

  /** `writeq`. */
  writeq(addr: number, value: bigint | number): void {
    this.command(`writeq ${hex(addr, "address")} ${hex(value, "value")}`);
  }

  /** `inb`/`inw`/`inl` from an I/O port. */
  in(port: number, size: 1 | 2 | 4): number {
    const cmd = `${INS[size]} ${hex(port, "port", MAX_PORT)}`;
    return replyNumber(this.command(cmd), cmd);
  }

  /** `outb`/`outw`/`outl` to an I/O port. */
  out(port: number, size: 1 | 2 | 4, value: number): void {
    const v = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
    this.command(`${OUTS[size]} ${hex(port, "port", MAX_PORT)} 0x${v.toString(16)}`);
  }

  /** `b64read`: fills `dst` from guest memory at `addr` (nothing is sent for length 0). */
  b64read(addr: number, dst: Uint8Array): void {
    if (dst.length === 0) return;
    const cmd = `b64read ${hex(addr, "address")} ${dst.length}`;
    const r = this.command(cmd);
    const { written } = dst.setFromBase64(r);
    if (written !== dst.length) {
      throw new QtestProtocolError(`qtest "${cmd}": ${written} bytes decoded, ${dst.length} asked`);
    }
  }

  /** `b64write`: copies `src` into guest memory at `addr` (nothing is sent for length 0). */
  b64write(addr: number, src: Uint8Array): void {
    if (src.length === 0) return;
    this.command(`b64write ${hex(addr, "address")} ${src.length} ${src.toBase64()}`);
  }

  /** `memset`: fills `length` bytes at `addr` with `value`. */
  memset(addr: number, length: number, value: number): void {
    if (length === 0) return;
    this.command(
      `memset ${hex(addr, "address")} ${hex(length, "length")} 0x${(value & 0xff).toString(16)}`,
    );
  }

  /** True when QEMU can no longer answer (exited, hung, or the session closed). */
  get dead(): boolean {
    return this.#dead !== null || this.#proc.killed;
  }

  // ---------------------------------------------------------------- plumbing

  #irq(line: string): void {
    const [, what, n] = line.split(" ");
    const level = what === "raise";
    if ((!level && what !== "lower") || !/^\d+$/.test(n ?? "")) {
      throw new QtestProtocolError(`qtest: unexpected asynchronous line "${quote(line)}"`);
    }
    this.onIrq?.(Number(n), level);
  }

  #writeAll(bytes: Uint8Array, line: string): void {
    try {
      for (let off = 0; off < bytes.length;) {
        off += this.#proc.commands.writeSync(bytes.subarray(off));
      }
    } catch (e) {
      this.#die(line, this.#watchdogMs, e);
    }
  }

  #readLine(line: string, timeoutMs: number): string {
    for (;;) {
      const buf = this.#buf;
      const nl = buf.subarray(this.#scan, this.#end).indexOf(NEWLINE);
      if (nl >= 0) {
        const at = this.#scan + nl;
        const text = decoder.decode(buf.subarray(this.#start, at));
        this.#start = this.#scan = at + 1;
        if (this.#start === this.#end) this.#start = this.#scan = this.#end = 0;
        return text;
      }
      this.#scan = this.#end;
      if (this.#start > 0) {
        buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#scan -= this.#start;
        this.#start = 0;
      }
      if (this.#end === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        this.#buf = bigger;
      }
      let n: number | null = null;
      try {
        n = this.#proc.replies.readSync(this.#buf.subarray(this.#end));
      } catch (e) {
        this.#die(line, timeoutMs, e);
      }
      if (n === null || n === 0) this.#die(line, timeoutMs, null);
      this.#end += n;
    }
  }

  #die(line: string, timeoutMs: number, cause: unknown): never {
    const stderr = this.#proc.stderr();
    const why = cause instanceof Error ? ` (${cause.message})` : "";
    this.#dead = this.#proc.watchdog.fired
      ? new QemuHangError(
        withStderr(
          `QEMU did not answer qtest "${quote(line)}" within ${timeoutMs} ms and was killed by ` +
            "the watchdog: the device is stuck (see reference/qemu-nvme.md §13 for inputs that " +
            "hang QEMU 7.2)",
          stderr,
        ),
      )
      : new QemuExitedError(
        withStderr(`QEMU exited while answering qtest "${quote(line)}"${why}`, stderr),
      );
    this.#proc.kill();
    throw this.#dead;
  }
}

function quote(s: string): string {
  return s.length > QUOTE_CHARS ? `${s.slice(0, QUOTE_CHARS)}…` : s;
}

const READS = { 1: "readb", 2: "readw", 4: "readl" } as const;
const WRITES = { 1: "writeb", 2: "writew", 4: "writel" } as const;
const INS = { 1: "inb", 2: "inw", 4: "inl" } as const;
const OUTS = { 1: "outb", 2: "outw", 4: "outl" } as const;
