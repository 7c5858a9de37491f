/**
 * One QEMU process and its lifecycle. Robustness comes from the order of things:
 *
 * 1. A private temporary folder holds two FIFOs (`q.in`, `q.out`), the media files and the stderr
 *    file.
 * 2. QEMU runs `-qtest stdio` under `sh -c 'exec … <q.in >q.out 2>stderr'`, started through
 *    `setpriv --pdeathsig KILL` (util-linux) when available, so the kernel kills QEMU if this
 *    process dies for any reason (SIGINT, SIGKILL, crash). stderr goes to a file, so a chatty QEMU
 *    never blocks on a full pipe.
 * 3. We open our FIFO ends in the order the shell opens its (commands first): each open meets the
 *    shell's. Our reply end is read-only, so when QEMU dies the next read is end-of-file; our
 *    command end is write-only, so a write to a dead QEMU fails instead of blocking. The watchdog
 *    is armed through the start; should the shell never open a FIFO, the watchdog opens it
 *    read/write to wake us.
 * 4. Once QEMU answered its first command ({@linkcode QemuProcess.started}), the whole folder is
 *    unlinked: from then on nothing is left on disk whatever happens.
 * 5. `kill()` SIGKILLs QEMU; an `unload` handler kills every QEMU still alive at exit.
 *
 * Deno refuses `/proc/PID/…` without `--allow-all`, so nothing here looks there.
 *
 * @module
 */

import { QemuClosedError, QemuStartError } from "./errors.ts";
import { qemuArgs, type ResolvedQemuOptions } from "./options.ts";
import { type WatchdogSlot, watchProcess } from "./watchdog.ts";

const live = new Set<QemuProcess>();
let unloadHooked = false;

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const p of [...live]) p.kill();
  });
}

let setprivPath: string | null | undefined;

/** `setpriv` (util-linux, for `--pdeathsig`) when installed, else null. */
function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    try {
      Deno.statSync(`${dir}/setpriv`);
      setprivPath = `${dir}/setpriv`;
      break;
    } catch {
      // not here
    }
  }
  return setprivPath;
}

/** Sleeps the calling thread for `ms` (fractions allowed). */
export function sleepSyncMs(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The shell line that wires QEMU's stdio to the FIFOs and stderr to a file. */
const SHELL = 'i=$1; o=$2; e=$3; shift 3; exec "$@" <"$i" >"$o" 2>"$e"';

/** A running QEMU with its qtest FIFOs open on our side. */
export class QemuProcess {
  /** QEMU's process id. */
  readonly pid: number;
  /** Our write end of QEMU's stdin. */
  readonly commands: Deno.FsFile;
  /** Our read end of QEMU's stdout. */
  readonly replies: Deno.FsFile;
  /** This process's watchdog slot (armed with the start timeout until the first reply). */
  readonly watchdog: WatchdogSlot;
  readonly #dir: string;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Deno.FsFile;
  readonly #trace: Deno.FsFile | null;
  /** Every complete QEMU trace line read so far, a partial last line, and `traceLines`' cursor. */
  readonly #traceLog: string[] = [];
  #tracePartial = "";
  #traceCursor = 0;
  #traceClosed = false;
  readonly #traceDecoder = new TextDecoder();
  #stderrText = "";
  #killed = false;
  #dirRemoved = false;

  /** Spawns QEMU and opens the FIFOs; throws {@linkcode QemuStartError} when that fails. */
  constructor(readonly options: ResolvedQemuOptions) {
    const dir = Deno.makeTempDirSync({ prefix: "nvme-qtest-" });
    this.#dir = dir;
    const fifoIn = `${dir}/q.in`;
    const fifoOut = `${dir}/q.out`;
    try {
      mkfifo([fifoIn, fifoOut]);
      const mediaPaths = options.namespaces.map((ns, i) => {
        if (ns.backing === "null") return "";
        const path = `${dir}/ns${i + 1}.raw`;
        using f = Deno.openSync(path, { create: true, write: true });
        f.truncateSync(ns.sizeBytes); // sparse: costs nothing until written
        return path;
      });
      const stderrPath = `${dir}/stderr.txt`;
      Deno.writeFileSync(stderrPath, new Uint8Array());
      this.#stderr = Deno.openSync(stderrPath, { read: true });
      const tracePath = options.traceEvents.length === 0
        ? undefined
        : options.traceFile || `${dir}/trace.txt`;
      // Created (or emptied) before QEMU opens it, so our read end starts at its first line.
      if (tracePath) Deno.writeFileSync(tracePath, new Uint8Array());
      this.#trace = tracePath ? Deno.openSync(tracePath, { read: true }) : null;
      const args = qemuArgs(options, { mediaPaths, tracePath });
      const sh = ["sh", "-c", SHELL, "sh", fifoIn, fifoOut, stderrPath, options.binary, ...args];
      const pd = setpriv();
      this.#child = new Deno.Command(pd ?? "sh", {
        args: pd ? ["--pdeathsig", "KILL", "--", ...sh] : sh.slice(1),
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.pid = this.#child.pid;
      live.add(this);
      hookUnload();
      this.watchdog = watchProcess(this.pid);
      this.watchdog.setRescuePaths([fifoIn, fifoOut]);
      this.watchdog.arm(options.startTimeoutMs);
      this.commands = Deno.openSync(fifoIn, { write: true });
      this.replies = Deno.openSync(fifoOut, { read: true });
      this.watchdog.disarm();
    } catch (e) {
      this.kill();
      throw e instanceof QemuStartError ? e : new QemuStartError(
        `could not start ${options.binary}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** QEMU answered: unlinks the temporary folder (QEMU and we keep what we opened). */
  started(): void {
    this.watchdog.setRescuePaths([]);
    this.#removeDir();
  }

  #removeDir(): void {
    if (this.#dirRemoved) return;
    this.#dirRemoved = true;
    try {
      Deno.removeSync(this.#dir, { recursive: true });
    } catch {
      // already gone
    }
  }

  /** Everything QEMU wrote to stderr so far. */
  stderr(): string {
    if (this.#stderr === undefined) return this.#stderrText;
    const buf = new Uint8Array(4096);
    try {
      for (
        let n = this.#stderr.readSync(buf);
        n !== null && n > 0;
        n = this.#stderr.readSync(buf)
      ) {
        this.#stderrText += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch {
      // closed: keep what we have
    }
    return this.#stderrText;
  }

  /** New complete QEMU trace lines since the previous call (empty without tracing). */
  traceLines(): string[] {
    this.#pullTrace();
    const lines = this.#traceLog.slice(this.#traceCursor);
    this.#traceCursor = this.#traceLog.length;
    return lines;
  }

  /** Every QEMU trace line written so far (after {@linkcode kill}: every line QEMU wrote). */
  readTrace(): string[] {
    this.#pullTrace();
    return [...this.#traceLog];
  }

  /** Appends what QEMU wrote since the last read. QEMU's log flushes each line (verified on
   * 7.2.22: a line is readable as soon as the qtest reply of the access that caused it arrived);
   * a read can still end inside a line, whose start waits in `#tracePartial`. */
  #pullTrace(): void {
    if (this.#trace === null || this.#traceClosed) return;
    const buf = new Uint8Array(65536);
    let text = "";
    for (let n = this.#trace.readSync(buf); n !== null && n > 0; n = this.#trace.readSync(buf)) {
      text += this.#traceDecoder.decode(buf.subarray(0, n), { stream: true });
    }
    if (text === "") return;
    const parts = (this.#tracePartial + text).split("\n");
    this.#tracePartial = parts.pop() ?? "";
    for (const l of parts) if (l !== "") this.#traceLog.push(l);
  }

  /** True once {@linkcode kill} ran. */
  get killed(): boolean {
    return this.#killed;
  }

  /** A promise of QEMU's exit status (for callers that can await, e.g. tests). */
  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** SIGKILLs QEMU, frees the watchdog slot, closes our files and removes the folder if it is
   * still there. Idempotent; never throws. */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    live.delete(this);
    if (this.#child !== undefined) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    this.watchdog?.release();
    if (this.#stderr !== undefined) this.stderr();
    try {
      this.#pullTrace();
    } catch {
      // unreadable: keep what was read
    }
    if (this.#tracePartial !== "") this.#traceLog.push(this.#tracePartial); // never dropped
    this.#tracePartial = "";
    this.#traceClosed = true;
    for (const f of [this.commands, this.replies, this.#stderr, this.#trace]) {
      try {
        f?.close();
      } catch {
        // already closed
      }
    }
    this.#removeDir();
  }

  /** Throws {@linkcode QemuClosedError} after {@linkcode kill}. */
  assertOpen(): void {
    if (this.#killed) throw new QemuClosedError("the QEMU session was closed; open a new one");
  }
}

/** Number of QEMU processes this module started that are still alive (for tests). */
export function liveQemuCount(): number {
  return live.size;
}

/** Creates FIFOs (Deno has no mkfifo; coreutils' does it). */
function mkfifo(paths: readonly string[]): void {
  const out = new Deno.Command("mkfifo", { args: ["-m", "600", ...paths] }).outputSync();
  if (!out.success) {
    throw new QemuStartError(
      `mkfifo ${paths.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}
