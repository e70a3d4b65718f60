// Desired against applied, per gateway and slot, as the API and the dashboard show it. A slot is
// `applied` when the gateway reports running the desired push, `refused` when it reports refusing
// it (with the error's code and message), `pending` while neither, `unknown` when the gateway has
// never reported what it runs (not heard from since, or a gateway without push), and `none` when
// nothing is desired for it (the gateway runs what it has).

import type { AppliedReport, Refusal } from '../../edge/uplink/push-schemas.js';
import type { DesiredEntry, PushRecord, PushSlot, PushTarget } from '../store/contract.js';

export type SlotState = 'applied' | 'pending' | 'refused' | 'unknown' | 'none';

export interface DesiredRef {
  readonly id: string;
  readonly version: string;
  /** Where it was set: fleet, site:<site> or gateway:<id>. */
  readonly target: PushTarget;
  readonly pushedBy: string;
  readonly pushedAt: number;
}

export interface SlotView {
  /** `config` or `model:<name>`. */
  readonly slot: PushSlot;
  /** Model slots: the model name. */
  readonly name?: string;
  readonly desired: DesiredRef | null;
  /** What the gateway reports running in this slot: a push id (null: from its config file) and version; null when unknown or nothing. */
  readonly running: { readonly id: string | null; readonly version: string | null } | null;
  readonly state: SlotState;
  /** Why the gateway refused the desired push. */
  readonly error?: { readonly code: string; readonly message: string; readonly at: number };
  /** Cloud clock when the desired push was last published to this gateway. */
  readonly sentAt?: number;
}

export interface GatewayPushView {
  readonly gateway: string;
  readonly site: string | null;
  /** Whether the gateway has reported what it runs (false: not yet, or a gateway without push). */
  readonly reporting: boolean;
  /** Gateway clock of the report shown. */
  readonly reportedAt: number | null;
  /** Every slot applied or with nothing desired. */
  readonly inSync: boolean;
  readonly config: SlotView;
  /** One per model name desired or running, by name. */
  readonly models: readonly SlotView[];
}

const ref = (e: DesiredEntry): DesiredRef => ({ id: e.id, version: e.version, target: e.target, pushedBy: e.pushedBy, pushedAt: e.pushedAt });

/** The state of one slot, from what is desired and what the gateway reported. */
export function slotState(desired: DesiredEntry | undefined, applied: AppliedReport | null, runningId: string | null | undefined): { state: SlotState; refusal?: Refusal } {
  if (desired === undefined) return { state: 'none' };
  if (applied === null) return { state: 'unknown' };
  if (runningId === desired.id) return { state: 'applied' };
  const refusal = applied.refused.find((r) => r.id === desired.id);
  return refusal ? { state: 'refused', refusal } : { state: 'pending' };
}

export function gatewayPushView(gateway: string, site: string | null, desired: ReadonlyMap<PushSlot, DesiredEntry>, record: PushRecord | undefined): GatewayPushView {
  const applied = record?.applied ?? null;
  const slot = (s: PushSlot, running: SlotView['running'], name?: string): SlotView => {
    const d = desired.get(s);
    const { state, refusal } = slotState(d, applied, running?.id);
    const sent = record?.sent[s];
    return {
      slot: s,
      ...(name !== undefined ? { name } : {}),
      desired: d ? ref(d) : null,
      running,
      state,
      ...(refusal ? { error: { code: refusal.code, message: refusal.message, at: refusal.at } } : {}),
      ...(d && sent?.id === d.id ? { sentAt: sent.at } : {}),
    };
  };
  const config = slot('config', applied && { id: applied.config.id, version: applied.config.version });
  const names = new Set([...[...desired.keys()].filter((s) => s.startsWith('model:')).map((s) => s.slice('model:'.length)), ...(applied?.models.map((m) => m.name) ?? [])]);
  const models = [...names].sort().map((name) => {
    const m = applied?.models.find((x) => x.name === name);
    return slot(`model:${name}`, m ? { id: m.id, version: m.version } : null, name);
  });
  return {
    gateway,
    site,
    reporting: applied !== null,
    reportedAt: record?.reportedAt ?? null,
    inSync: [config, ...models].every((s) => s.state === 'applied' || s.state === 'none'),
    config,
    models,
  };
}
