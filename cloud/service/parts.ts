// The parts `tributary cloud` runs beside the ingest: the HTTP API (cloud/api/) and the cloud-side
// alert rules with their notifications (cloud/alerts/), each built from the context every part
// shares. The API's /healthz adds the worker's own checks (its ingest and its other parts) to the
// store check it makes itself.

import { cloudAlertRules } from '../alerts/rule-runner.js';
import { cloudApi, type CloudApi } from '../api/api.js';
import type { HealthCheck } from '../api/route.js';
import type { CloudHealth, CloudOptions } from './cloud.js';

export const cloudParts: Pick<CloudOptions, 'api' | 'alertRules' | 'parts'> = {
  api: (ctx, cloud) => {
    const api: CloudApi = cloudApi({ health: () => workerChecks(cloud.health(), api.name) })(ctx);
    return api;
  },
  alertRules: cloudAlertRules(),
};

/** The ingest's health and every part's but `answering`'s (the API serving /healthz). */
export function workerChecks(h: CloudHealth, answering: string): Record<string, HealthCheck> {
  const source = h.ingest.source;
  const checks: Record<string, HealthCheck> = { ingest: { ok: source?.ok === true, inFlight: h.ingest.inFlight, ...(source ? { kind: source.kind, ...source.detail } : {}) } };
  for (const p of h.parts) if (p.name !== answering) checks[p.name] = { ...p, ok: p.ok ?? p.status === 'open' };
  return checks;
}
