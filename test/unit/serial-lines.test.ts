// The serial line splitter as a table: chunks as they come off the port → lines, cut lines and
// empty lines in order, plus what is left mid-line; memory stays bounded by maxLineBytes.

import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../edge/source/serial/line-splitter.js';

type Event = readonly ['line' | 'tooLong', string] | readonly ['empty'];

function run(maxLineBytes: number, chunks: ReadonlyArray<string | Buffer>): { events: Event[]; partial: string | undefined; splitter: LineSplitter } {
  const events: Event[] = [];
  const splitter = new LineSplitter(maxLineBytes, {
    line: (b) => void events.push(['line', b.toString('latin1')]),
    tooLong: (b) => void events.push(['tooLong', b.toString('latin1')]),
    empty: () => void events.push(['empty']),
  });
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  return { events, partial: splitter.takePartial()?.toString('latin1'), splitter };
}

describe('LineSplitter', () => {
  const cases: Array<[string, number, Array<string | Buffer>, Event[], string | undefined]> = [
    ['one line, one chunk', 16, ['a=1\n'], [['line', 'a=1']], undefined],
    ['several lines in one chunk', 16, ['a=1\nb=2\nc=3\n'], [['line', 'a=1'], ['line', 'b=2'], ['line', 'c=3']], undefined],
    ['a line split across chunks', 16, ['te', 'mp=2', '1.5\nx'], [['line', 'temp=21.5']], 'x'],
    ['a byte at a time', 16, [...'ab\ncd\n'], [['line', 'ab'], ['line', 'cd']], undefined],
    ['CRLF: the \\r is stripped', 16, ['a=1\r\nb=2\r\n'], [['line', 'a=1'], ['line', 'b=2']], undefined],
    ['CRLF split between \\r and \\n', 16, ['a=1\r', '\nb'], [['line', 'a=1']], 'b'],
    ['a \\r inside a line is kept', 16, ['a\rb\n'], [['line', 'a\rb']], undefined],
    ['empty lines, LF and CRLF', 16, ['\n\r\na\n\n'], [['empty'], ['empty'], ['line', 'a'], ['empty']], undefined],
    ['exactly maxLineBytes is a line', 4, ['abcd\n'], [['line', 'abcd']], undefined],
    ['exactly maxLineBytes with CRLF arriving late', 4, ['abcd\r', '\n'], [['line', 'abcd']], undefined],
    ['maxLineBytes + 1, known only at its \\n', 4, ['abcde', '\nok\n'], [['tooLong', 'abcd'], ['line', 'ok']], undefined],
    ['too long, then a good line in the same chunk', 4, ['abcdefgh\nok\n'], [['tooLong', 'abcd'], ['line', 'ok']], undefined],
    ['too long across chunks: cut once, rest skipped to the \\n', 4, ['abc', 'defg', 'hijk', 'lm\nok\n'], [['tooLong', 'abcd'], ['line', 'ok']], undefined],
    ['garbage without a newline is cut once and then skipped', 4, ['abcdefgh', 'ijklmnop', 'qrstuvwx'], [['tooLong', 'abcd']], undefined],
    ['two too-long lines in a row', 4, ['abcdefg\nhijklmn\n'], [['tooLong', 'abcd'], ['tooLong', 'hijk']], undefined],
    ['too long, CRLF, then CRLF line', 4, ['abcdef\r\nok\r\n'], [['tooLong', 'abcd'], ['line', 'ok']], undefined],
    ['bytes are passed on raw, not decoded', 16, [Buffer.from([0xff, 0x00, 0xc3, 0x0a])], [['line', '\xff\x00\xc3']], undefined],
    ['a trailing \\r alone is no partial line', 16, ['a\n\r'], [['line', 'a']], undefined],
    ['a partial line keeps its bytes', 16, ['a\nhalf a li'], [['line', 'a']], 'half a li'],
  ];
  it.each(cases)('%s', (_name, max, chunks, events, partial) => {
    const out = run(max, chunks);
    expect(out.events).toEqual(events);
    expect(out.partial).toBe(partial);
    expect(out.splitter.pending).toBe(0);
  });

  it('holds at most maxLineBytes + 1 bytes whatever arrives', () => {
    const { splitter, events } = run(8, []);
    for (let i = 0; i < 1000; i++) {
      splitter.push(Buffer.alloc(997, 0x41));
      expect(splitter.pending).toBeLessThanOrEqual(9);
    }
    expect(events).toEqual([['tooLong', 'AAAAAAAA']]);
    splitter.push(Buffer.from('\nok\n'));
    expect(events).toEqual([['tooLong', 'AAAAAAAA'], ['line', 'ok']]);
  });

  it('hands each line its own copy of the bytes', () => {
    const lines: Buffer[] = [];
    const splitter = new LineSplitter(16, { line: (b) => void lines.push(b), tooLong: () => {}, empty: () => {} });
    splitter.push(Buffer.from('first\nsecond\n'));
    expect(lines.map((b) => b.toString())).toEqual(['first', 'second']);
  });

  it('starts afresh after takePartial(), also in the middle of skipping a cut line', () => {
    const { splitter, events } = run(4, ['abcdefg']);
    expect(splitter.takePartial()).toBeUndefined();
    splitter.push(Buffer.from('ok\n'));
    expect(events).toEqual([['tooLong', 'abcd'], ['line', 'ok']]);
  });

  it('refuses a bound that is not a positive integer', () => {
    const sink = { line: () => {}, tooLong: () => {}, empty: () => {} };
    expect(() => new LineSplitter(0, sink)).toThrow(TypeError);
    expect(() => new LineSplitter(1.5, sink)).toThrow(TypeError);
  });
});
