// Alerts as the store keeps them — the latest event (the evidence), the state, who acknowledged or
// resolved it and the full history — the two moves an operator makes, and the raw readings the
// gateway's flight recorder sent around an alert. Every move is announced on the bus, so the live
// stream and the webhook hear of it.

import { Type } from '@sinclair/typebox';
import type { AlertSeverity } from '../../../edge/alert/alert.js';
import { codedError } from '../../../edge/errors/catalogue.js';
import type { RawReading } from '../../../edge/uplink/schemas.js';
import type { AlertState, StoredAlert, StoredRawSnippet } from '../../store/contract.js';
import { describePrincipal } from '../access.js';
import { Instant, List, Name, Problems } from '../query.js';
import { route, principalOf, type ApiDeps, type ApiRoute } from '../route.js';

const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];
const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

const AlertQuery = Type.Object(
  {
    state: Type.Optional(List('open, acknowledged, resolved')),
    severity: Type.Optional(List('info, warning, critical')),
    device: Type.Optional(Name),
    gateway: Type.Optional(Name),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'an alert id: 32 hex characters' }) }, { additionalProperties: false });
const NoteBody = Type.Union([Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }), Type.Null()]);

/** What GET /api/alerts/:id/raw answers: the snippet's parts put back together. */
export interface RawView {
  readonly alert: string;
  readonly gateway: string;
  readonly device: string;
  /** The event-time range the gateway cut (inclusive), null until a part has arrived. */
  readonly from: number | null;
  readonly to: number | null;
  /** Parts the gateway cut the snippet into (null until one arrived), and how many are here. */
  readonly parts: { readonly expected: number | null; readonly received: number };
  readonly complete: boolean;
  /** Every metric named in the readings, sorted. */
  readonly metrics: readonly string[];
  /** Oldest event time first. */
  readonly readings: readonly RawReading[];
}

/** Join a snippet's parts (any order, one per part number) into one list of readings. */
export function rawView(alert: { id: string; event: { gateway: string; device: string } }, snippets: readonly StoredRawSnippet[]): RawView {
  const byPart = new Map<number, StoredRawSnippet>();
  for (const s of snippets) if ((byPart.get(s.part)?.revision ?? -1) < s.revision) byPart.set(s.part, s);
  const parts = [...byPart.values()].sort((a, b) => a.part - b.part);
  const readings = parts.flatMap((p) => p.readings).sort((a, b) => a.ts - b.ts);
  const expected = parts.length === 0 ? null : Math.max(...parts.map((p) => p.parts));
  return {
    alert: alert.id,
    gateway: alert.event.gateway,
    device: alert.event.device,
    from: parts.length === 0 ? null : Math.min(...parts.map((p) => p.from)),
    to: parts.length === 0 ? null : Math.max(...parts.map((p) => p.to)),
    parts: { expected, received: parts.length },
    complete: expected !== null && parts.length === expected,
    metrics: [...new Set(readings.flatMap((r) => Object.keys(r.values)))].sort(),
    readings,
  };
}

export function alertRoutes({ ctx }: ApiDeps): ApiRoute[] {
  const move = (kind: 'acknowledge' | 'resolve') =>
    route({
      method: 'POST',
      url: `/api/alerts/:id/${kind}`,
      access: 'operator',
      summary: kind === 'acknowledge' ? 'open → acknowledged, by the caller, with an optional note' : 'open or acknowledged → resolved, by the caller, with an optional note',
      params: IdParams,
      body: NoteBody,
      handler: async (input) => {
        const p = principalOf(input);
        const by = p.kind === 'user' ? p.name : describePrincipal(p);
        const action = { by, ...(input.body?.note ? { note: input.body.note } : {}) };
        const alert = kind === 'acknowledge' ? await ctx.store.acknowledgeAlert(input.params.id, action) : await ctx.store.resolveAlert(input.params.id, action);
        ctx.log.info({ alert: alert.id, by, state: alert.state }, `alert ${kind}d`);
        ctx.bus.emit('alert', alert);
        return { alert };
      },
    });
  /** GET /api/alerts/:id<suffix> for viewers: what `answer` makes of the alert, or 404 when the cloud does not hold it. */
  const readOne = (suffix: string, summary: string, answer: (alert: StoredAlert) => Promise<unknown>) =>
    route({
      method: 'GET',
      url: `/api/alerts/:id${suffix}`,
      access: 'viewer',
      summary,
      params: IdParams,
      handler: async ({ params }) => {
        const alert = await ctx.store.alert(params.id);
        if (!alert) throw codedError('ERR_CLOUD_ALERT_NOT_FOUND', [params.id]);
        return answer(alert);
      },
    });
  return [
    route({
      method: 'GET',
      url: '/api/alerts',
      access: 'viewer',
      summary: 'alerts, newest raised first; filter by state and severity (comma lists), device, gateway, raised in [from, to), limit',
      query: AlertQuery,
      handler: async ({ query }) => {
        const problems = new Problems();
        const state = problems.list('querystring/state', query.state, STATES);
        const severity = problems.list('querystring/severity', query.severity, SEVERITIES);
        const from = problems.instant('querystring/from', query.from);
        const to = problems.instant('querystring/to', query.to);
        problems.check();
        const alerts = await ctx.store.alerts({
          ...(state ? { state } : {}),
          ...(severity ? { severity } : {}),
          ...(query.device === undefined ? {} : { device: query.device }),
          ...(query.gateway === undefined ? {} : { gateway: query.gateway }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          limit: query.limit ?? 1000,
        });
        return { alerts };
      },
    }),
    readOne('', 'one alert with its latest evidence and history', async (alert) => ({ alert })),
    readOne('/raw', 'the raw readings the gateway\'s flight recorder sent around one alert, its parts joined, oldest first', async (alert) => ({
      raw: rawView(alert, await ctx.store.rawSnippets({ alert: alert.id })),
    })),
    move('acknowledge'),
    move('resolve'),
  ];
}
