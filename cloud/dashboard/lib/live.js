// The live stream (GET /api/stream, Server-Sent Events) for the whole app: one EventSource, opened
// again with a new URL when a page wants a device's summaries or push progress too. It keeps the
// cloud's clock offset from each `hello` (so "5 s ago" is measured on the cloud's clock, not the
// phone's), and tells listeners when they must load current state again: after a reconnect (`hello`) or when
// the cloud dropped events for us (`gap`), since the stream replays nothing.

/** @typedef {'alert' | 'gateway' | 'push' | 'summaries' | 'resync' | 'state'} LiveEvent */

export class Live {
  /** @type {EventSource | undefined} */
  #source;
  /** @type {string[]} */
  #devices = [];
  /** Whether push progress is wanted (only the push page asks: every gateway report makes one). */
  #push = false;
  #offsetMs = 0;
  #hellos = 0;
  /** @type {Map<LiveEvent, Set<(data: any) => void>>} */
  #listeners = new Map();
  /** 'connecting' | 'live' | 'reconnecting' | 'closed' */
  state = 'closed';

  /** The cloud's clock now (ms since the epoch), as of the last hello. */
  now() {
    return Date.now() + this.#offsetMs;
  }

  /** @param {LiveEvent} event @param {(data: any) => void} listener @returns {() => void} */
  on(event, listener) {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** @param {LiveEvent} event @param {unknown} data */
  #emit(event, data) {
    for (const l of [...(this.#listeners.get(event) ?? [])]) {
      try {
        l(data);
      } catch (err) {
        console.error(`live ${event} listener failed`, err);
      }
    }
  }

  /**
   * Follow these devices' summaries, and push progress when `push`, besides alerts and gateways
   * (reconnects when that changes).
   * @param {string[]} devices
   * @param {{ push?: boolean }} [also]
   */
  follow(devices, also = {}) {
    const next = [...new Set(devices)].sort();
    const push = also.push === true;
    if (next.join(',') === this.#devices.join(',') && push === this.#push && this.#source) return;
    this.#devices = next;
    this.#push = push;
    this.open();
  }

  open() {
    this.close();
    const events = ['alert', 'gateway', ...(this.#push ? ['push'] : []), ...(this.#devices.length > 0 ? ['summaries'] : [])];
    const params = new URLSearchParams({ events: events.join(',') });
    if (this.#devices.length > 0) params.set('devices', this.#devices.join(','));
    const source = new EventSource(`/api/stream?${params}`);
    this.#source = source;
    this.#setState('connecting');
    source.addEventListener('hello', (e) => {
      const hello = JSON.parse(/** @type {MessageEvent} */ (e).data);
      this.#offsetMs = hello.now - Date.now();
      this.#setState('live');
      // The first hello of a connection the page just opened needs no reload; every later one
      // follows a reconnect, across which events may have been missed.
      if (this.#hellos++ > 0) this.#emit('resync', { reason: 'reconnected' });
    });
    for (const event of /** @type {const} */ (['alert', 'gateway', 'push', 'summaries'])) {
      source.addEventListener(event, (e) => this.#emit(event, JSON.parse(/** @type {MessageEvent} */ (e).data)));
    }
    source.addEventListener('gap', (e) => this.#emit('resync', { reason: 'gap', ...JSON.parse(/** @type {MessageEvent} */ (e).data) }));
    source.onerror = () => {
      // The browser reconnects by itself (retry: 3000) unless the answer was not a stream (401).
      this.#setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
      if (source.readyState === EventSource.CLOSED) this.#emit('resync', { reason: 'closed' });
    };
  }

  close() {
    this.#source?.close();
    this.#source = undefined;
    this.#hellos = 0;
    this.#setState('closed');
  }

  /** @param {string} state */
  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.#emit('state', state);
  }
}
