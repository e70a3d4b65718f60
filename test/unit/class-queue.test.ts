// One outbox class in memory: removal from anywhere, both walking orders (also while items are
// removed during the walk), counts and bytes, and compaction that keeps the order.

import { describe, expect, it } from 'vitest';
import { ClassQueue, type Entry } from '../../edge/outbox/class-queue.js';

const entry = (seq: number): Entry => ({ cls: 'summary', seq, id: String(seq).padStart(32, '0'), rev: 0, bytes: 10, queuedAt: seq, taken: false, sends: 0, gone: false });

function filled(n: number): { q: ClassQueue; entries: Entry[] } {
  const q = new ClassQueue('summary');
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  for (const e of entries) q.push(e);
  return { q, entries };
}

const seqs = (it: Iterable<Entry>) => [...it].map((e) => e.seq);

describe('ClassQueue', () => {
  it.each([
    ['the oldest', [0]],
    ['the newest', [9]],
    ['from the middle', [4, 5]],
    ['every other one', [0, 2, 4, 6, 8]],
    ['all but one', [0, 1, 2, 3, 4, 5, 6, 8, 9]],
  ])('removes %s and walks the rest in both orders', (_name, removed) => {
    const { q, entries } = filled(10);
    for (const i of removed) q.remove(entries[i]!);
    const left = entries.map((e) => e.seq).filter((s) => !removed.includes(s));
    expect(seqs(q.oldestFirst())).toEqual(left);
    expect(seqs(q.newestFirst())).toEqual([...left].reverse());
    expect(q.oldest()?.seq).toBe(left[0]);
    expect([q.count, q.bytes]).toEqual([left.length, left.length * 10]);
  });

  it('counts taken items and sends, and forgets them when removed', () => {
    const { q, entries } = filled(3);
    q.setTaken(entries[1]!, true);
    q.setTaken(entries[1]!, true); // already taken: no second send
    expect([q.taken, entries[1]!.sends]).toEqual([1, 1]);
    q.remove(entries[1]!);
    q.remove(entries[1]!); // twice is once
    expect([q.taken, q.count]).toEqual([0, 2]);
  });

  it('lets items be removed while walking, and compacts without changing the order', () => {
    const { q, entries } = filled(5000);
    for (const e of q.newestFirst()) if (e.seq % 3 !== 0) q.remove(e); // the end is dropped as it goes
    for (const e of q.oldestFirst()) if (e.seq % 2 === 0) q.remove(e); // and compaction happens meanwhile
    const left = entries.filter((e) => e.seq % 3 === 0 && e.seq % 2 !== 0).map((e) => e.seq);
    expect(seqs(q.oldestFirst())).toEqual(left);
    expect(seqs(q.newestFirst())).toEqual([...left].reverse());
    expect(q.count).toBe(left.length);
  });
});
