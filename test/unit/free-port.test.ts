// The tests' free-port helper: ports below the kernel's ephemeral range (where outgoing
// connections take their local ports), each handed out once, each free to listen on.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range, free to listen on', async () => {
    const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      // Debian's range starts at 32768; a machine whose range reaches below 20000 gets ports from the kernel.
      if (ephemeralStart > 20_000) expect(port).toBeGreaterThanOrEqual(20_000);
      if (ephemeralStart > 20_000) expect(port).toBeLessThan(ephemeralStart);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
