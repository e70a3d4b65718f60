// Sharing the cloud's event loop (cloud/ingest/ingest.ts): bulk messages wait in a SliceLane of one,
// one turn of the loop per message, and long loops are sliced (Turn), so I/O that arrives meanwhile is served between them. "A turn" is
// observed with real I/O: a byte written over loopback TCP is read at the loop's next poll.

import { connect, createServer, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SliceLane } from '../../edge/analysis/slice-lane.js';
import { Turn } from '../../edge/analysis/turn.js';

const open: Array<Server | Socket> = [];
afterEach(() => {
  for (const s of open.splice(0)) {
    if (s instanceof Socket) s.destroy();
    else s.close();
  }
});

/** A connected loopback pair: `send` writes a byte, `received` counts the bytes read so far. */
async function loopback(): Promise<{ send: () => void; received: () => number }> {
  let got = 0;
  const server = createServer((s) => {
    open.push(s);
    s.on('data', (d) => (got += d.length));
  });
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  open.push(client);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  // The server side has accepted once a first byte makes it back.
  client.write('x');
  await new Promise<void>((resolve) => {
    const check = () => (got === 1 ? resolve() : setImmediate(check));
    check();
  });
  return { send: () => client.write('y'), received: () => got };
}

/** What the cloud's ingest uses: waiters let go one per turn. */
function laneOfOne() {
  const lane = new SliceLane<() => void>(1, ([go]) => go!(), (err) => {
    throw err;
  });
  return { lane, wait: () => new Promise<void>((resolve) => lane.push([resolve])) };
}

describe('SliceLane of one (the cloud\'s bulk messages)', () => {
  it('lets one waiter go per turn of the loop, with I/O read between two of them', async () => {
    const io = await loopback();
    const { lane, wait } = laneOfOne();
    const seen: number[] = [];
    const waiters = [0, 1, 2].map((i) =>
      wait().then(() => {
        seen.push(io.received());
        if (i === 0) io.send();
      }),
    );
    expect(lane.size).toBe(3);
    await Promise.all(waiters);
    // The byte sent when the first went was read before the second went.
    expect(seen).toEqual([1, 2, 2]);
    expect(lane.size).toBe(0);
  });

  it('lets waiters go in the order they came, including ones that come while others wait', async () => {
    const { lane, wait } = laneOfOne();
    const order: string[] = [];
    const a = wait().then(() => {
      order.push('a');
      return wait().then(() => order.push('c'));
    });
    const b = wait().then(() => order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('Turn', () => {
  it('is due once its budget is spent, and next() serves I/O and starts the budget again', async () => {
    const io = await loopback();
    const turn = new Turn(20);
    expect(turn.due()).toBe(false);
    const until = performance.now() + 21;
    while (performance.now() < until);
    expect(turn.due()).toBe(true);
    io.send();
    await turn.next();
    expect(io.received()).toBe(2);
    expect(turn.due()).toBe(false);
  });

  it('as background work, next() rests: the loop goes round many times before the job goes on', async () => {
    const spins = async (turn: Turn) => {
      let n = 0;
      let go = true;
      const spin = () => {
        n++;
        if (go) setImmediate(spin);
      };
      setImmediate(spin);
      await turn.next();
      go = false;
      return n;
    };
    expect(await spins(new Turn())).toBeLessThanOrEqual(1); // one turn: the job's immediate runs with (or before) the first spin
    expect(await spins(new Turn(4, 30))).toBeGreaterThan(3); // a rest of 30 ms: every turn meanwhile spins once
  });
});
