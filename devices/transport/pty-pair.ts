// A pair of connected pseudo-terminals made by socat: bytes written to one end come out of the
// other, as on a null-modem cable. The simulator writes device bytes into one end; the gateway
// opens the other as its serial port.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when socat is installed (Debian package `socat`). */
export function hasSocat(): boolean {
  return spawnSync('socat', ['-V']).error === undefined;
}

export interface PtyPair extends AsyncDisposable {
  /** The end the device (simulator) side opens. */
  readonly devicePath: string;
  /** The end the gateway opens as its serial port. */
  readonly gatewayPath: string;
  /** Stop socat: both ends disappear, as when a USB adapter is unplugged. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start socat with two raw, echo-free ptys linked at stable paths (in `dir`, or a new temp dir).
 * Resolves once both links exist. The same paths can be re-created after close() to model a
 * re-plugged adapter.
 */
export async function openPtyPair(options: { dir?: string; name?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tributary-pty-'));
  const name = options.name ?? 'tty';
  const devicePath = join(dir, `${name}-device`);
  const gatewayPath = join(dir, `${name}-gateway`);
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${gatewayPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  socat.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  // socat makes the links a moment after it starts; poll for them rather than sleeping blindly.
  while (!(existsSync(devicePath) && existsSync(gatewayPath))) {
    if (socat.exitCode !== null) throw new Error(`socat exited (${socat.exitCode}): ${stderr.trim()}`);
    if (Date.now() > deadline) {
      socat.kill();
      throw new Error(`socat did not create ${devicePath} and ${gatewayPath} in time: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (socat.exitCode === null && socat.signalCode === null) {
        const exited = once(socat, 'exit');
        socat.kill('SIGTERM');
        await exited;
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    })());
  return { devicePath, gatewayPath, close, [Symbol.asyncDispose]: close };
}
