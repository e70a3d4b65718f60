// Cuts the byte stream of a serial port into lines on \n with memory bounded by maxLineBytes:
// a device that sends garbage without newlines costs one fixed buffer, never a growing one.
// (serialport's parser-readline buffers without limit and decodes to strings; we keep raw bytes,
// because the decoder, not the transport, decides what to make of non-UTF-8.)

const LF = 0x0a;
const CR = 0x0d;

/** Where the splitter's output goes; each call gets its own copy of the bytes. */
export interface LineSink {
  /** A complete, non-empty line without its \n (or \r\n). */
  line(bytes: Buffer): void;
  /** The first maxLineBytes bytes of a line that ran past the bound; the rest of it is skipped. */
  tooLong(head: Buffer): void;
  /** An empty line (\n or \r\n alone): nothing to deliver, but worth counting. */
  empty(): void;
}

export class LineSplitter {
  readonly #max: number;
  readonly #sink: LineSink;
  /**
   * maxLineBytes + 1: room for a line of exactly maxLineBytes followed by the \r of a \r\n that
   * has not fully arrived yet, so the bound applies to the content, not the terminator.
   */
  readonly #buf: Buffer;
  #len = 0;
  /** True after a too-long line was cut, until its \n arrives. */
  #skipping = false;

  /** @param maxLineBytes longest line delivered (bytes, excluding \r\n); at least 1. */
  constructor(maxLineBytes: number, sink: LineSink) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new TypeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    this.#max = maxLineBytes;
    this.#sink = sink;
    this.#buf = Buffer.alloc(maxLineBytes + 1);
  }

  /** Bytes held of the line in progress (0 between lines and while skipping). */
  get pending(): number {
    return this.#len;
  }

  /** Feed the next bytes read from the port; complete lines go to the sink at once, in order. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.#skipping) {
        if (nl === -1) return;
        this.#skipping = false;
      } else if (!this.#append(chunk, start, end)) {
        // Cut: the rest of this line, up to its \n, is dropped.
        if (nl === -1) {
          this.#skipping = true;
          return;
        }
      } else if (nl !== -1) {
        this.#endLine();
      }
      if (nl === -1) return;
      start = nl + 1;
    }
  }

  /**
   * Take the line in progress (the port went away mid-line) and start afresh. Returns undefined
   * when there is nothing but an optional \r; bytes being skipped were already reported.
   */
  takePartial(): Buffer | undefined {
    const len = this.#contentLength();
    const partial = len > 0 ? Buffer.from(this.#buf.subarray(0, len)) : undefined;
    this.#len = 0;
    this.#skipping = false;
    return partial;
  }

  /** Copy chunk[start, end) into the line; false (after reporting it) when that overflows. */
  #append(chunk: Uint8Array, start: number, end: number): boolean {
    const room = this.#buf.length - this.#len;
    const n = end - start;
    if (n > room) {
      this.#buf.set(chunk.subarray(start, start + room), this.#len);
      this.#cut();
      return false;
    }
    this.#buf.set(chunk.subarray(start, end), this.#len);
    this.#len += n;
    return true;
  }

  #endLine(): void {
    const len = this.#contentLength();
    if (len > this.#max) {
      // maxLineBytes + 1 bytes of content, the last one not a \r: too long by one.
      this.#cut();
      return;
    }
    this.#len = 0;
    if (len === 0) this.#sink.empty();
    else this.#sink.line(Buffer.from(this.#buf.subarray(0, len)));
  }

  /** Bytes held, less a trailing \r (of a \r\n). */
  #contentLength(): number {
    return this.#len > 0 && this.#buf[this.#len - 1] === CR ? this.#len - 1 : this.#len;
  }

  #cut(): void {
    this.#len = 0;
    this.#sink.tooLong(Buffer.from(this.#buf.subarray(0, this.#max)));
  }
}
