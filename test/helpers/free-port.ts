// A TCP port free on 127.0.0.1 right now, for servers a test starts that cannot listen on port 0
// themselves (PostgreSQL, mosquitto, the gateway and the cloud as processes of their own).
//
// Taken below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999
// by default), which is also where the local ports of outgoing connections come from: a port found
// by listening on 0 lies in that range, and any connection opened before the server starts may
// take it. The e2e benchmark, whose fleet opens 1,000 connections, once had its cloud refuse to
// start with its HTTP port in use that way. A port is handed out once per process.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 20_000;
const given = new Set<number>();

export async function freePort(): Promise<number> {
  const below = ephemeralStart();
  for (let attempt = 0; attempt < 100 && below > LOWEST; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
    if (given.has(port)) continue;
    if ((await listenOnce(port)) !== undefined) {
      given.add(port);
      return port;
    }
  }
  const port = await listenOnce(0); // the range is unusual or crowded: whatever the kernel gives
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  given.add(port);
  return port;
}

function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Listen on `port` and close again: the port it got, or undefined when that one is taken. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}
