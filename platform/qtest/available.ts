/**
 * Is QEMU usable here? {@linkcode qemuAvailable} runs `<binary> --version` once per binary and
 * answers with the version, or a reason that says what to do (install it, upgrade it, grant
 * `--allow-run`). Tests use the reason in their `ignore` message.
 *
 * @example
 * ```ts
 * import { parseQemuVersion } from "./available.ts";
 * const v = parseQemuVersion("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)");
 * if (v?.text !== "7.2.22" || v.major !== 7 || v.minor !== 2) throw new Error();
 * ```
 *
 * @module
 */

import { resolveQemuOptions } from "./options.ts";

/** The oldest QEMU this platform supports (Debian bookworm's). */
export const MIN_QEMU_VERSION = { major: 7, minor: 2 } as const;

/** A parsed QEMU version. */
export interface QemuVersion {
  /** Major. */
  readonly major: number;
  /** Minor. */
  readonly minor: number;
  /** Micro (0 when absent). */
  readonly micro: number;
  /** As printed, e.g. "7.2.22". */
  readonly text: string;
}

/** The answer of {@linkcode qemuAvailable}. */
export type QemuAvailability =
  | { readonly ok: true; readonly binary: string; readonly version: QemuVersion }
  | { readonly ok: false; readonly binary: string; readonly reason: string };

/** Parses the first line of `qemu-system-x86_64 --version`; null when it is not QEMU's. */
export function parseQemuVersion(text: string): QemuVersion | null {
  const m = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  const [major, minor, micro] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return { major, minor, micro, text: m[3] ? `${m[1]}.${m[2]}.${m[3]}` : `${m[1]}.${m[2]}` };
}

const cache = new Map<string, QemuAvailability>();

/** Whether `binary` (default: the one {@linkcode resolveQemuOptions} picks) runs and is ≥ 7.2. */
export function qemuAvailable(binary: string = resolveQemuOptions().binary): QemuAvailability {
  const hit = cache.get(binary);
  if (hit) return hit;
  const answer = probe(binary);
  cache.set(binary, answer);
  return answer;
}

function probe(binary: string): QemuAvailability {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(binary, { args: ["--version"], stdin: "null" }).outputSync();
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? `${binary} not found: install QEMU (Debian: apt-get install qemu-system-x86) or set ` +
        "NVME_HARNESS_QEMU to its path"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? `cannot run ${binary}: grant --allow-run (and --allow-read/--allow-write for /tmp)`
      : `cannot run ${binary}: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, binary, reason };
  }
  const text = new TextDecoder().decode(out.stdout);
  const version = parseQemuVersion(text);
  if (!out.success || version === null) {
    return {
      ok: false,
      binary,
      reason: `${binary} --version did not print a QEMU version: ${text.trim().slice(0, 120)}`,
    };
  }
  const { major, minor } = MIN_QEMU_VERSION;
  if (version.major < major || (version.major === major && version.minor < minor)) {
    return {
      ok: false,
      binary,
      reason: `${binary} is QEMU ${version.text}; QEMU ${major}.${minor} or later is needed`,
    };
  }
  return { ok: true, binary, version };
}
