// The parts `tributary cloud` runs beside the ingest: the HTTP API (cloud/api/), the cloud-side
// alert rules and their webhook notifications (cloud/alerts/), config and model push
// (cloud/push/), and retention (cloud/store/), each built from the context every part shares. The
// API's /healthz adds the worker's own checks (its ingest and its other parts) to the store check
// it makes itself; its push routes drive the worker's push service, which publishes through the
// ingest's transport.

import { alertNotifications } from '../alerts/notifications.js';
import { cloudAlertRules } from '../alerts/rule-runner.js';
import { cloudApi, type CloudApi } from '../api/api.js';
import type { HealthCheck } from '../api/route.js';
import { PushService } from '../push/service.js';
import { RetentionRunner } from '../store/retention-runner.js';
import type { CloudHandle, CloudHealth, CloudOptions } from './cloud.js';
import type { CloudContext } from './context.js';

/** One push service per worker (its context), shared by the API's routes and the part that runs it. */
const pushServices = new WeakMap<CloudContext, PushService>();
function pushOf(ctx: CloudContext, cloud: CloudHandle): PushService {
  let push = pushServices.get(ctx);
  if (!push) pushServices.set(ctx, (push = new PushService(ctx, { publish: (topic, payload, options) => cloud.publish(topic, payload, options) })));
  return push;
}

export const cloudParts: Pick<CloudOptions, 'api' | 'alertRules' | 'parts'> = {
  api: (ctx, cloud) => {
    const api: CloudApi = cloudApi({ health: () => workerChecks(cloud.health(), api.name), push: pushOf(ctx, cloud) })(ctx);
    return api;
  },
  alertRules: cloudAlertRules(),
  // Alert changes to the configured webhook (a no-op without alerts.webhook), retention hourly, and push.
  parts: [alertNotifications(), (ctx) => new RetentionRunner(ctx, ctx.config.store.retention.intervalMs), pushOf],
};

/** The ingest's health and every part's but `answering`'s (the API serving /healthz). */
export function workerChecks(h: CloudHealth, answering: string): Record<string, HealthCheck> {
  const source = h.ingest.source;
  const checks: Record<string, HealthCheck> = { ingest: { ok: source?.ok === true, inFlight: h.ingest.inFlight, ...(source ? { kind: source.kind, ...source.detail } : {}) } };
  for (const p of h.parts) if (p.name !== answering) checks[p.name] = { ...p, ok: p.ok ?? p.status === 'open' };
  return checks;
}
