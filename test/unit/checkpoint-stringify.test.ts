// A checkpoint's window state is stringified a slice of devices per turn of the event loop (a slice
// ends at a count of devices or a time budget): the same text as JSON.stringify, with the loop
// given back between slices; and gzip-compressed as it is made, which decompresses to that same text.

import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { gzipSnapshot, stringifySnapshot } from '../../edge/store/checkpoint.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import type { WindowSnapshot } from '../../edge/window/snapshot.js';

const T0 = Date.UTC(2026, 11, 1, 6, 0, 0);

/** A real engine's snapshot with `devices` devices, each with two metrics and open windows. */
function snapshotOf(devices: number): WindowSnapshot {
  const clock = new FakeClock(T0);
  const engine = createWindowEngine({
    gateway: 'gw-1',
    windows: [{ kind: 'tumbling', sizeMs: 10_000 }, { kind: 'session', gapMs: 5_000 }],
    maxOutOfOrdernessMs: 2_000,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 3_600_000,
    maxKeys: 10_000,
    clock,
    onSummary: () => {},
    onLate: () => {},
    onRejected: () => {},
  });
  for (let t = 0; t < 25_000; t += 500) {
    for (let d = 0; d < devices; d++) engine.add({ device: `dev-${d}`, ts: T0 + t, tsFromArrival: false, receivedAt: T0 + t, values: { temp: 20 + d + t / 1e4, vib_rms: d === 0 ? -0 : 1 / (d + 1) } });
  }
  const snapshot = engine.snapshot();
  engine.close();
  return snapshot;
}

describe('stringifySnapshot', () => {
  it.each([0, 1, 3, 7])('gives exactly JSON.stringify’s text with %i devices', async (devices) => {
    const snapshot = snapshotOf(devices);
    expect(snapshot.devices).toHaveLength(devices);
    expect(await stringifySnapshot(snapshot, 3)).toBe(JSON.stringify(snapshot));
  });

  it('gives the event loop a turn between slices', async () => {
    const snapshot = snapshotOf(7);
    let turned = false;
    setImmediate(() => (turned = true));
    const text = await stringifySnapshot(snapshot, 3);
    expect(turned).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(snapshot)));
  });

  it('ends a slice once it has held the loop for its budget, before its count of devices', async () => {
    const snapshot = snapshotOf(7);
    // A budget of 0: every device is a slice of its own, with a turn of the loop after each.
    let turns = 0;
    const tick = (): void => {
      turns++;
      if (turns < 100) setImmediate(tick);
    };
    setImmediate(tick);
    expect(await stringifySnapshot(snapshot, 50, 0)).toBe(JSON.stringify(snapshot));
    expect(turns).toBeGreaterThanOrEqual(6);
    turns = 100; // stop the ticks
  });

  it.each([0, 1, 7, 400])('compresses the same text as it makes it, %i devices', async (devices) => {
    const snapshot = snapshotOf(devices);
    const text = JSON.stringify(snapshot);
    // 400 devices: far past the compressor's 16 KiB write buffer, so the writes wait for it to drain.
    if (devices === 400) expect(text.length).toBeGreaterThan(20 * 16_384);
    expect(gunzipSync(await gzipSnapshot(snapshot, 3)).toString('utf8')).toBe(text);
  });
});
