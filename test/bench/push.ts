// Benchmark `push`: what config and model push cost. On the wire: the committed motor model's push
// message and that of a 1 MiB model of random float32 weights (what gzip leaves of the base64),
// and the cloud's cost to encode one push for a thousand gateways (the bulk compressed once). On a
// gateway: the time from a push arriving to it being applied (validated, kept on disk, swapped in
// between two analysis batches), for configs and models, while idle.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodePush, pushEncoder, type PushInput } from '../../edge/uplink/push-protocol.js';
import { startGateway } from '../helpers/gateway.js';
import { configPush, modelPush } from '../helpers/push.js';
import { prng } from '../helpers/prng.js';
import type { BenchResult } from './run.js';
import { quantile, round } from './stats.js';

const MODEL = fileURLToPath(new URL('../../../edge/models/motor-baseline.onnx', import.meta.url));
const GATEWAYS = 1000;
const APPLIES = 50;

export async function run(): Promise<BenchResult> {
  const onnx = readFileSync(MODEL);
  const manifest = JSON.parse(readFileSync(MODEL.replace(/\.onnx$/, '.manifest.json'), 'utf8')) as Record<string, unknown>;
  const random = prng(7);
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i += 4) big.writeFloatLE(random() * 2 - 1, i);
  const wire = (bytes: Buffer) => {
    const push = modelPush('gw-0', bytes, manifest);
    const { gateway: _gateway, ...shared } = push;
    const one = encodePush(push);
    const encode = pushEncoder(shared as Parameters<typeof pushEncoder>[0]);
    const started = performance.now();
    for (let g = 0; g < GATEWAYS; g++) encode(`gw-${g}`);
    return { payload: one.payload.length, json: one.jsonBytes, fleetMs: performance.now() - started };
  };
  const small = wire(onnx);
  const large = wire(big);

  const gw = await startGateway({ devices: { kinds: { motor: ['motor-*'] } }, models: [{ path: MODEL }] });
  try {
    const agent = gw.gateway.push!;
    const apply = async (p: PushInput) => {
      const enc = encodePush(p);
      const started = performance.now();
      agent.receive(p.kind, enc.payload, enc.topic);
      await agent.settled();
      return performance.now() - started;
    };
    const config: number[] = [];
    const model: number[] = [];
    for (let i = 0; i < APPLIES; i++) {
      config.push(await apply(configPush('gw-test', { alerts: { rules: [{ name: `rule-${i}`, type: 'threshold', feature: 'vib_rms.mean', above: 2.8, kinds: ['motor'] }] } })));
      model.push(await apply(modelPush('gw-test', onnx, { ...manifest, version: `bench-${i}` })));
    }
    const applied = agent.applied();
    if (applied.refused.length > 0 || applied.models[0]?.version !== `bench-${APPLIES - 1}`) throw new Error(`pushes were not applied: ${JSON.stringify(applied)}`);
    return {
      motorModelOnnxBytes: onnx.length,
      motorModelPushBytes: small.payload,
      randomModelOnnxBytes: big.length,
      randomModelJsonBytes: large.json,
      randomModelPushBytes: large.payload,
      encodeFor1000GatewaysMs: round(large.fleetMs, 1),
      applies: APPLIES,
      applyConfigP50Ms: round(quantile(config, 0.5), 2),
      applyConfigP99Ms: round(quantile(config, 0.99), 2),
      applyModelP50Ms: round(quantile(model, 0.5), 2),
      applyModelP99Ms: round(quantile(model, 0.99), 2),
    };
  } finally {
    await gw[Symbol.asyncDispose]();
  }
}
