// The cloud's live stream (GET /api/stream, Server-Sent Events) as the e2e benchmark reads it:
// logged in as a viewer, each event kept with the moment its bytes arrived (preciseNow, comparable
// with the fleet's publish times: one machine, one clock).

import { parseSse, type SseEvent } from '../../helpers/sse.js';
import { preciseNow } from '../stats.js';

export interface TimedEvent extends SseEvent {
  readonly arrivedAt: number;
}

export interface LiveStream {
  readonly events: TimedEvent[];
  close(): Promise<void>;
}

/** POST /api/login; the session token. */
export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login as ${username}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Open the stream with `query` (e.g. `events=alert`); resolves once the server's hello arrived. */
export async function openLiveStream(base: string, token: string, query: string): Promise<LiveStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/stream?${query}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /api/stream?${query}: HTTP ${res.status} ${await res.text()}`);
  const events: TimedEvent[] = [];
  let hello: () => void = () => {};
  const greeted = new Promise<void>((resolve) => (hello = resolve));
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    const parsed: SseEvent[] = [];
    const comments: string[] = [];
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const arrivedAt = preciseNow();
        buffer = parseSse(buffer + decoder.decode(chunk, { stream: true }), parsed, comments);
        for (const e of parsed.splice(0)) {
          if (e.event === 'hello') hello();
          else events.push({ ...e, arrivedAt });
        }
        comments.length = 0;
      }
    } catch {
      // aborted by close(), or the cloud stopped
    }
  })();
  await greeted;
  return {
    events,
    async close() {
      abort.abort();
      await reading;
    },
  };
}
