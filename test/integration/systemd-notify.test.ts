// The real `systemd-notify` binary, run the way ServiceNotifier runs it, delivering its messages to a
// NOTIFY_SOCKET. systemd is not PID 1 here, so socat receives the datagrams in its place.
//
// socat does not answer the barrier systemd-notify sends after each message (it keeps the file
// descriptor instead of closing it, as PID 1 does), so every call ends with "Failed to invoke
// barrier" after systemd-notify's own 5 s timeout. What this shows is that the messages arrive,
// intact, over the real protocol; the barrier itself is systemd's to honour.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemdNotify } from '../../edge/observe/systemd-notify.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const has = (command: string, ...args: string[]) => spawnSync(command, args).error === undefined;
const tools = has('systemd-notify', '--version') && has('socat', '-V');

describe.skipIf(!tools)('systemd-notify delivers sd_notify messages (skips without systemd-notify and socat)', () => {
  it('sends READY=1 with a status and WATCHDOG=1 to NOTIFY_SOCKET', { timeout: 20_000 }, async () => {
    using dir = tempDir();
    const socket = join(dir.path, 'notify');
    const receiver = spawn('socat', ['-u', `UNIX-RECV:${socket}`, 'STDOUT']);
    let received = '';
    receiver.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    try {
      await waitFor(() => existsSync(socket), 'socat to bind the notification socket');
      const notify = systemdNotify({ ...process.env, NOTIFY_SOCKET: socket });
      const results = await Promise.allSettled([notify(['READY=1', 'STATUS=gateway gw-1 open']), notify(['WATCHDOG=1'])]);
      expect(received).toContain('READY=1\nSTATUS=gateway gw-1 open');
      expect(received).toContain('WATCHDOG=1');
      // Both calls end on the barrier socat never answers (see the top of the file).
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(String((r as PromiseRejectedResult).reason)).toMatch(/barrier/i);
      }
    } finally {
      receiver.kill();
    }
  });

  it('rejects, naming the message, when the binary is missing', async () => {
    const notify = systemdNotify({ NOTIFY_SOCKET: '/nonexistent' }, 'systemd-notify-not-installed');
    await expect(notify(['READY=1'])).rejects.toThrow(/systemd-notify-not-installed READY=1/);
  });
});
