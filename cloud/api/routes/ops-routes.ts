// For whoever runs the cloud: dead letters (what ingest refused, admin only: they hold gateways'
// raw bytes), /metrics in the Prometheus text format (admin: a scraper sends Basic credentials of
// an admin user, verified once and then cached) and /healthz (public, so load balancers and
// systemd checks need no secret; it tells nothing but counts and states).

import { Type } from '@sinclair/typebox';
import type { StoredDeadLetter } from '../../store/contract.js';
import { Name } from '../query.js';
import { route, type ApiDeps, type ApiRoute, type HealthCheck } from '../route.js';

/** Bytes of a dead letter shown at most; the rest is cut (`truncated`). */
const MAX_DEAD_LETTER_BYTES = 64 * 1024;

const DeadLetterQuery = Type.Object(
  {
    reason: Type.Optional(Name),
    gateway: Type.Optional(Name),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    order: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('oldest')], { default: 'newest' })),
  },
  { additionalProperties: false },
);

function deadLetterView(d: StoredDeadLetter) {
  const shown = d.bytes.subarray(0, MAX_DEAD_LETTER_BYTES);
  const text = new TextDecoder('utf-8', { fatal: true });
  let utf8: string | null;
  try {
    utf8 = text.decode(shown);
  } catch {
    utf8 = null;
  }
  const { bytes: _bytes, ...rest } = d;
  return { ...rest, size: d.bytes.length, truncated: d.bytes.length > shown.length, base64: shown.toString('base64'), text: utf8 };
}

export function opsRoutes({ ctx, health }: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/dead-letters',
      access: 'admin',
      summary: 'messages ingest refused, newest first: reason, message, gateway, topic, size, bytes (base64, and as text when UTF-8)',
      query: DeadLetterQuery,
      handler: async ({ query }) => ({ deadLetters: (await ctx.store.deadLetters(query)).map(deadLetterView) }),
    }),
    route({
      method: 'GET',
      url: '/metrics',
      access: 'admin',
      summary: 'Prometheus text exposition of the worker\'s metrics',
      handler: ({ reply }) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(ctx.metrics.render()),
    }),
    route({
      method: 'GET',
      url: '/healthz',
      access: 'public',
      summary: '{ ok, store: { ok, status }, checks, gateways: { known, online } }; 503 when not ok',
      handler: async ({ reply }) => {
        let checks: Readonly<Record<string, HealthCheck>>;
        try {
          checks = health();
        } catch (err) {
          checks = { health: { ok: false, error: (err as Error).message } };
        }
        let store: { ok: boolean; status: string; error?: string } = { ok: ctx.store.status === 'open', status: ctx.store.status };
        let gateways: { known: number; online: number } | null = null;
        if (store.ok) {
          try {
            const now = ctx.clock.now();
            const records = await ctx.store.gateways();
            gateways = { known: records.length, online: records.filter((g) => now - g.lastSeen < ctx.config.alerts.gatewayOfflineMs).length };
          } catch (err) {
            store = { ...store, ok: false, error: (err as { code?: string }).code ?? 'read failed' };
          }
        }
        const ok = store.ok && Object.values(checks).every((c) => c.ok);
        return reply.code(ok ? 200 : 503).send({ ok, store, checks, gateways });
      },
    }),
  ];
}
