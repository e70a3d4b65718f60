// Window stagger: how much longer than maxOutOfOrdernessMs a device's watermark waits.
//
// Windows are aligned to the epoch, so a fleet whose devices report at the same pace closes every
// window of every device within the same fraction of a second: thousands of summaries, their
// scoring, encoding and upload in one burst, and every alert raised meanwhile waits behind it.
// With a stagger, each device's watermark lags its newest reading by maxOutOfOrdernessMs plus a
// fixed share of `staggerMs` taken from its id, so the closings spread over `staggerMs` while the
// windows themselves stay aligned (the cloud's fleet roll-ups still line up). Flink's
// WindowStagger spreads firings the same way, by shifting the windows instead.
//
// The share is a pure function of the device id: a restarted gateway, a replay of the log and a
// benchmark that needs to know when a window closes all compute the same one.

/** The device's share of the stagger: an integer in [0, staggerMs) (0 when staggerMs is 0). */
export function staggerOf(device: string, staggerMs: number): number {
  if (staggerMs <= 0) return 0;
  // FNV-1a over the UTF-16 code units, then murmur3's finalizer so ids that differ in their last
  // character (sensor-0001, sensor-0002, …) land far apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < device.length; i++) {
    h ^= device.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) / 2 ** 32) * staggerMs);
}
