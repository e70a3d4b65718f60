// Alerts as the store keeps them — the latest event (the evidence), the state, who acknowledged or
// resolved it and the full history — and the two moves an operator makes. Every move is announced
// on the bus, so the live stream and the webhook hear of it.

import { Type } from '@sinclair/typebox';
import type { AlertSeverity } from '../../../edge/alert/alert.js';
import { codedError } from '../../../edge/errors/catalogue.js';
import type { AlertState } from '../../store/contract.js';
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
    route({
      method: 'GET',
      url: '/api/alerts/:id',
      access: 'viewer',
      summary: 'one alert with its latest evidence and history',
      params: IdParams,
      handler: async ({ params }) => {
        const alert = await ctx.store.alert(params.id);
        if (!alert) throw codedError('ERR_CLOUD_ALERT_NOT_FOUND', [params.id]);
        return { alert };
      },
    }),
    move('acknowledge'),
    move('resolve'),
  ];
}
