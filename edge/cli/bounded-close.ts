// Closing a process's top resource within a bound, as systemd's TimeoutStopSec expects: a clean
// close if it finishes in time, otherwise the caller reports it and exits anyway.

/** Resolves 'closed' once `close()` has finished, or 'timeout' after `limitMs`, whichever is first. */
export async function closeWithin(close: () => Promise<void>, limitMs: number): Promise<'closed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs)));
  try {
    return await Promise.race([close().then(() => 'closed' as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
