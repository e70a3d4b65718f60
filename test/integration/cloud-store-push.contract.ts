// The cloud store contract, config and model push: desired entries by target and slot with their
// model bytes (kept while named, deleted after), and each gateway's push record (an older applied
// report never replaces a newer one; sent marks merge by slot). Run by cloud-store.contract.ts for
// every implementation.

import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { DesiredConfig, DesiredModel } from '../../cloud/store/contract.js';
import type { AppliedReport } from '../../edge/uplink/push-schemas.js';
import { newPushId } from '../helpers/push.js';
import { MIN, NOW, type Harness } from './cloud-store-harness.js';

const config = (target: string, version: string): DesiredConfig => ({ kind: 'config', target, id: newPushId(), version, pushedBy: 'ada', pushedAt: NOW, format: 'yaml', document: `alerts: { rules: [] }  # ${version}` });

function model(target: string, name: string, bytes: Buffer): DesiredModel {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { kind: 'model', target, id: newPushId(), version: `v-${sha256.slice(0, 4)}`, pushedBy: 'ada', pushedAt: NOW, name, sha256, size: bytes.length, manifest: { name, version: '1' } };
}

const applied = (configId: string | null): AppliedReport => ({ config: configId === null ? { id: null, version: null, at: null } : { id: configId, version: 'c', at: NOW }, models: [], refused: [] });

export function pushContract(harness: () => Harness): void {
  it('keeps desired configs and models by target and slot, and model bytes while a desired model names them', async () => {
    const h = harness();
    const { store, location } = await h.open();
    const a = Buffer.from('onnx bytes a');
    const b = Buffer.from('onnx bytes b, longer');
    const fleet = config('fleet', 'c1');
    const site = config('site:plant-1', 'c2');
    const mFleet = model('fleet', 'motor', a);
    const mGw = model('gateway:gw-1', 'motor', a);
    await store.putDesired(site);
    await store.putDesired(fleet);
    await store.putDesired(mFleet, a);
    await store.putDesired(mGw, a);
    expect(await store.desired()).toEqual([fleet, mFleet, mGw, site]);
    expect(await store.modelBytes(mFleet.sha256)).toEqual(a);

    // Replacing a slot replaces the entry; the shared bytes stay while one entry names them.
    const fleet2 = config('fleet', 'c3');
    const mFleet2 = model('fleet', 'motor', b);
    await store.putDesired(fleet2);
    await store.putDesired(mFleet2, b);
    expect(await store.desired()).toEqual([fleet2, mFleet2, mGw, site]);
    expect(await store.modelBytes(mFleet.sha256)).toEqual(a);
    expect(await store.deleteDesired('gateway:gw-1', 'model:motor')).toBe(true);
    expect(await store.deleteDesired('gateway:gw-1', 'model:motor')).toBe(false);
    expect(await store.modelBytes(mFleet.sha256)).toBeUndefined();
    expect(await store.modelBytes(mFleet2.sha256)).toEqual(b);
    expect(await store.deleteDesired('site:plant-1', 'config')).toBe(true);
    await expect(store.putDesired(model('fleet', 'pump', a))).rejects.toThrow(TypeError);

    await store.close();
    const { store: again } = await h.open({ location });
    expect(await again.desired()).toEqual([fleet2, mFleet2]);
    expect(await again.modelBytes(mFleet2.sha256)).toEqual(b);
  });

  it('merges push records: an older applied report never replaces a newer one, sent marks merge by slot', async () => {
    const { store } = await harness().open();
    const [c1, c2] = [newPushId(), newPushId()];
    expect(await store.upsertPushRecords([{ gateway: 'gw-2', sent: { config: { id: c1, at: NOW - MIN } } }])).toEqual([
      { gateway: 'gw-2', applied: null, reportedAt: null, sent: { config: { id: c1, at: NOW - MIN } } },
    ]);
    await store.upsertPushRecords([
      { gateway: 'gw-1', applied: applied(c2), reportedAt: NOW },
      { gateway: 'gw-1', applied: applied(c1), reportedAt: NOW - MIN, sent: { 'model:motor': { id: c2, at: NOW } } },
      { gateway: 'gw-2', applied: applied(c1), reportedAt: NOW },
    ]);
    const [older] = await store.upsertPushRecords([{ gateway: 'gw-2', applied: applied(null), reportedAt: NOW - 1, sent: { config: { id: c2, at: NOW } } }]);
    expect(older).toEqual({ gateway: 'gw-2', applied: applied(c1), reportedAt: NOW, sent: { config: { id: c2, at: NOW } } });
    expect(await store.pushRecords()).toEqual([
      { gateway: 'gw-1', applied: applied(c2), reportedAt: NOW, sent: { 'model:motor': { id: c2, at: NOW } } },
      { gateway: 'gw-2', applied: applied(c1), reportedAt: NOW, sent: { config: { id: c2, at: NOW } } },
    ]);
  });
}
