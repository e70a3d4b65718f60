// One unit's share of a poll: send its read requests with retries, count every failure by kind,
// and turn the answers into the reading's payload.

import { TributaryError, type ErrorCode } from '../../errors/catalogue.js';
import type { RtuLink } from './link.js';
import type { ModbusErrorKind, ModbusMetrics } from './metrics.js';
import { decodeRead, type UnitPlan } from './plan.js';

export interface PollOptions {
  /** How long a unit has to answer each request (milliseconds). */
  readonly timeoutMs: number;
  /** Extra attempts after a timeout or CRC error, per request. */
  readonly retries: number;
  readonly metrics: ModbusMetrics;
  /** True once the source is closing: stop without counting the aborted request as an error. */
  readonly stopping: () => boolean;
}

export type UnitOutcome =
  | { readonly ok: true; readonly values: ReadonlyArray<readonly [metric: string, value: number]> }
  | { readonly ok: false; readonly error: TributaryError; readonly aborted: boolean };

const KINDS: Partial<Record<ErrorCode, ModbusErrorKind>> = {
  ERR_MODBUS_TIMEOUT: 'timeout',
  ERR_MODBUS_CRC: 'crc',
  ERR_MODBUS_EXCEPTION: 'exception',
};

/** The metric label for a failed request: decided by the error's code, never its message. */
export function errorKind(error: TributaryError): ModbusErrorKind {
  return KINDS[error.code] ?? 'io';
}

/**
 * Read every register of one unit. A timeout or CRC error is retried up to `retries` times (the
 * codes are retryable); an exception answer is not (asking again gets the same answer). The first
 * request that still fails ends the unit's turn: its reading for this poll is skipped.
 */
export async function pollUnit(link: RtuLink, plan: UnitPlan, o: PollOptions): Promise<UnitOutcome> {
  const values: Array<readonly [string, number]> = [];
  for (const read of plan.reads) {
    for (let attempt = 0; ; attempt++) {
      o.metrics.requests.inc();
      let words: number[];
      try {
        words = await link.read(read, o.timeoutMs);
      } catch (err) {
        // Anything but a coded error is a bug in this module: let it surface.
        if (!(err instanceof TributaryError)) throw err;
        if (o.stopping()) return { ok: false, error: err, aborted: true };
        o.metrics.errors(plan.unitId, errorKind(err)).inc();
        if (err.retryable && attempt < o.retries && link.usable) continue;
        return { ok: false, error: err, aborted: false };
      }
      values.push(...decodeRead(read, words));
      break;
    }
  }
  return { ok: true, values };
}

/**
 * The reading as the JSON the decoder takes: `{"ts":<poll time>,"<metric>":value,...}`. A float32
 * that holds NaN or ±Infinity is written as such (not valid JSON), so the decoder dead-letters it
 * with ERR_DECODE_NON_FINITE instead of it vanishing here.
 */
export function readingPayload(ts: number, values: ReadonlyArray<readonly [string, number]>): Buffer {
  const fields = values.map(([metric, value]) => `${JSON.stringify(metric)}:${String(value)}`);
  return Buffer.from(`{"ts":${ts}${fields.map((f) => `,${f}`).join('')}}`);
}
