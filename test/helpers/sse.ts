// Reading a Server-Sent Events stream in tests (WHATWG HTML §9.2 event stream format): events as
// they arrive, comments (heartbeats) counted, and waiting for the event a test expects.

import { waitFor } from './wait.js';

export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: any;
}

export interface SseStream extends AsyncDisposable {
  readonly status: number;
  readonly headers: Headers;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Resolve with the first event (from `from` on) that `match` accepts. */
  next(match: (e: SseEvent) => boolean, what: string, from?: number): Promise<SseEvent>;
}

/** Parse complete blocks out of `buffer`; returns what is left (an incomplete block). */
export function parseSse(buffer: string, events: SseEvent[], comments: string[]): string {
  let end: number;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')), ...(id === undefined ? {} : { id }) });
  }
  return buffer;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reading = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) buffer = parseSse(buffer + decoder.decode(chunk, { stream: true }), events, comments);
    } catch {
      // aborted at dispose, or the server ended the stream
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    next: (match, what, from = 0) => waitFor(() => events.slice(from).find(match), what),
    async [Symbol.asyncDispose]() {
      abort.abort();
      await reading;
    },
  };
}
