// The ingest benchmarks' harness: their child processes (server under test, subscriber, publishers)
// and the IPC questions asked of them.

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FromPublisher, PublisherArgs } from './protocol.js';

export const PUBLISHERS = 4;

export const child = (name: string, args: string[]): ChildProcess =>
  fork(fileURLToPath(new URL(`./${name}.js`, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

export function next<T>(proc: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type === type) {
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        resolve(m as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before sending ${type}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

export async function ask<T>(proc: ChildProcess, cmd: string, reply: string): Promise<T> {
  const answer = next<T>(proc, reply);
  proc.send({ cmd });
  return answer;
}

/** Resolves when the process has exited, even if it already had. */
export function exited(proc: ChildProcess): Promise<unknown> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : once(proc, 'exit');
}

export async function stop(proc: ChildProcess): Promise<void> {
  const gone = exited(proc);
  if (proc.connected) proc.send({ cmd: 'stop' });
  await gone;
}

/** Start the publisher processes, wait for their connections, and set them going. */
export async function startPublishers(port: number, options: Omit<PublisherArgs, 'port' | 'publisher' | 'ratePerSec'> & { readonly ratePerSec: number }) {
  const pubs = Array.from({ length: PUBLISHERS }, (_, publisher) => {
    const args: PublisherArgs = { ...options, port, publisher, ratePerSec: options.ratePerSec / PUBLISHERS };
    return child('publisher', [JSON.stringify(args)]);
  });
  await Promise.all(pubs.map((p) => next(p, 'connected')));
  const done = Promise.all(pubs.map((p) => next<Extract<FromPublisher, { type: 'done' }>>(p, 'done')));
  for (const p of pubs) p.send({ cmd: 'go' });
  return { pubs, done };
}

