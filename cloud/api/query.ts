// Query values the schemas cannot fully check: instants (ms since the epoch or ISO 8601), series
// scopes (`device:<id>`, `line:<site>/<line>`, `site:<site>`, `fleet`), resolutions (ms or `1m`,
// `1h`, `1d`, one of the configured ones) and comma-separated lists. Each problem is collected as
// `where: what` so one 400 lists them all.

import { Type } from '@sinclair/typebox';
import type { SeriesScope } from '../store/contract.js';
import { badRequest } from './errors.js';

/** Query text for an instant; parsed by `instant`. */
export const Instant = Type.String({ minLength: 1, maxLength: 40, description: 'ms since the epoch, or ISO 8601 (e.g. 2024-11-24T10:00:00Z)' });
/** Query text for a comma-separated list; parsed by `list`. */
export const List = (what: string) => Type.String({ minLength: 1, maxLength: 2000, description: `${what}, comma-separated` });
export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]+$' });

/** Collects the problems of one request's query. */
export class Problems {
  readonly found: string[] = [];

  add(where: string, what: string): undefined {
    this.found.push(`${where}: ${what}`);
    return undefined;
  }

  /** Throw ERR_API_BAD_REQUEST listing every problem, if there is one. */
  check(): void {
    if (this.found.length > 0) throw badRequest(this.found);
  }

  instant(where: string, text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const ms = /^-?[0-9]{1,16}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
    return Number.isFinite(ms) ? ms : this.add(where, `${JSON.stringify(text)} is neither ms since the epoch nor ISO 8601`);
  }

  /** A comma-separated list whose items must be among `allowed` (when given). */
  list<T extends string>(where: string, text: string | undefined, allowed?: readonly T[]): T[] | undefined {
    if (text === undefined) return undefined;
    const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = allowed ? items.filter((s) => !(allowed as readonly string[]).includes(s)) : [];
    if (items.length === 0) return this.add(where, 'is empty');
    if (bad.length > 0) return this.add(where, `${bad.map((b) => JSON.stringify(b)).join(', ')} not one of ${allowed!.join(', ')}`);
    return items as T[];
  }

  scope(where: string, text: string): SeriesScope | undefined {
    if (text === 'fleet') return { kind: 'fleet' };
    const colon = text.indexOf(':');
    const kind = text.slice(0, colon);
    const rest = text.slice(colon + 1);
    if (colon > 0 && rest !== '') {
      if (kind === 'device') return { kind: 'device', device: rest };
      if (kind === 'site') return { kind: 'site', site: rest };
      const slash = rest.indexOf('/');
      if (kind === 'line' && slash > 0 && slash < rest.length - 1) return { kind: 'line', site: rest.slice(0, slash), line: rest.slice(slash + 1) };
    }
    return this.add(where, `${JSON.stringify(text)} is not device:<id>, line:<site>/<line>, site:<site> or fleet`);
  }

  /** A resolution given as ms or `<n>s|m|h|d`, which must be one of `configured`. */
  resolution(where: string, text: string, configured: readonly number[]): number | undefined {
    const m = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text);
    const ms = m ? Number(m[1]) * UNIT[m[2] ?? 'ms']! : NaN;
    if (configured.includes(ms)) return ms;
    return this.add(where, `${JSON.stringify(text)} is not a configured resolution (${configured.map(duration).join(', ')})`);
  }
}

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** 60000 → `1m`, 3600000 → `1h`; other values in ms. */
export function duration(ms: number): string {
  for (const [u, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0 && ms >= size) return `${ms / size}${u}`;
  return `${ms}ms`;
}
