// Closing within a bound: a close that finishes in time is reported closed; one that hangs is
// reported as a timeout once the bound has passed, so the process can exit anyway.

import { describe, expect, it } from 'vitest';
import { closeWithin } from '../../edge/cli/bounded-close.js';

describe('closeWithin', () => {
  it('reports a close that finishes', async () => {
    expect(await closeWithin(async () => {}, 1000)).toBe('closed');
  });

  it('reports a close that never finishes as a timeout', async () => {
    expect(await closeWithin(() => new Promise<void>(() => {}), 20)).toBe('timeout');
  });

  it('passes on a failing close', async () => {
    await expect(closeWithin(() => Promise.reject(new Error('disk gone')), 1000)).rejects.toThrow('disk gone');
  });
});
