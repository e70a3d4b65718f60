// What every framing parser returns: the fields of one reading before validation, or why not.

import type { ErrorCode } from '../../errors/catalogue.js';
import { METRIC_NAME_PATTERN } from '../reading.js';

export interface Parsed {
  /** The timestamp field as written (number or string), or undefined when absent. */
  readonly tsField: unknown;
  readonly values: Record<string, number>;
  readonly count: number;
  /** A device id found in the payload itself (line framings with a device field). */
  readonly device?: string;
}

export interface ParseFailure {
  readonly fail: ErrorCode;
  readonly args: readonly unknown[];
}

export type ParseResult = Parsed | ParseFailure;

export const failure = (fail: ErrorCode, args: readonly unknown[] = []): ParseFailure => ({ fail, args });

const NUMBER_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const NON_FINITE_TEXT = /^[-+]?(?:nan|inf|infinity)$/i;

/** Collects metric values from text fields, refusing bad names, non-numbers and repeats. */
export class MetricCollector {
  readonly values: Record<string, number> = {};
  count = 0;

  /** Add `key` = `raw` (text); returns a failure, or undefined when added. */
  addText(key: string, raw: string): ParseFailure | undefined {
    if (NON_FINITE_TEXT.test(raw)) return failure('ERR_DECODE_NON_FINITE', [key]);
    if (!NUMBER_TEXT.test(raw)) return failure('ERR_DECODE_WRONG_TYPE', [key, `expected a number, got "${raw}"`]);
    return this.add(key, Number(raw));
  }

  /** Add `key` = `v` (already a number); returns a failure, or undefined when added. */
  add(key: string, v: number): ParseFailure | undefined {
    if (!METRIC_NAME_PATTERN.test(key)) return failure('ERR_DECODE_BAD_METRIC_NAME', [JSON.stringify(key)]);
    if (!Number.isFinite(v)) return failure('ERR_DECODE_NON_FINITE', [key]);
    if (key in this.values) return failure('ERR_DECODE_BAD_TEXT', [`metric ${key} appears twice`]);
    this.values[key] = v;
    this.count++;
    return undefined;
  }
}
