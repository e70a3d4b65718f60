// The parts `tributary cloud` runs beside the ingest: the HTTP API (cloud/api/) and the cloud-side
// alert rules with their notifications (cloud/alerts/), each built from the context every part
// shares. The API's /healthz adds the worker's own checks (its ingest and its other parts) to the
// store check it makes itself.

import { cloudAlertRules } from '../alerts/rule-runner.js';
import { cloudApi } from '../api/api.js';
import type { HealthCheck } from '../api/route.js';
import type { CloudHealth, CloudOptions } from './cloud.js';

export const cloudParts: Pick<CloudOptions, 'api' | 'alertRules' | 'parts'> = {
  api: (ctx, cloud) => cloudApi({ health: () => workerChecks(cloud.health()) })(ctx),
  alertRules: cloudAlertRules(),
};

/** The ingest's health and every part's but the API's own (it is the one answering). */
export function workerChecks(h: CloudHealth): Record<string, HealthCheck> {
  const source = h.ingest.source;
  const checks: Record<string, HealthCheck> = { ingest: { ok: source?.ok === true, inFlight: h.ingest.inFlight, ...(source ? { kind: source.kind, ...source.detail } : {}) } };
  for (const p of h.parts) if (!p.name.startsWith('cloud-api')) checks[p.name] = { ...p, ok: p.ok ?? p.status === 'open' };
  return checks;
}
