// Starts a real gateway for a test: embedded broker and HTTP on port 0, LevelDB in a temp dir.

import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock } from '../../edge/clock/clock.js';
import { validateConfig } from '../../edge/config/load.js';
import type { AlertEvent } from '../../edge/alert/alert.js';
import type { Summary } from '../../edge/features/summary.js';
import { Gateway } from '../../edge/gateway/gateway.js';
import type { Source } from '../../edge/source/contract.js';
import { tempDir, type TempDir } from './temp-dir.js';

export interface TestGateway extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly mqttPort: number;
  readonly summaries: Summary[];
  /** Every alert event the gateway raised, in order (the outbox lets go of those an uplink's peer acknowledged). */
  readonly alerts: AlertEvent[];
  readonly dir: TempDir;
  /** A connected MQTT.js client (closed with the gateway). */
  connect(options?: IClientOptions): Promise<MqttClient>;
  /** Current value of a counter line in /metrics, e.g. `tributary_dead_letters_total{reason="not_json"}`. */
  metric(series: string): number;
}

/** `overrides` are merged over a loopback, anonymous-allowed test config. */
export async function startGateway(overrides: Record<string, unknown> = {}, clock?: Clock): Promise<TestGateway> {
  const dir = tempDir('tributary-gw-');
  const base = {
    gateway: { id: 'gw-test' },
    dataDir: dir.path,
    mqtt: { broker: { host: '127.0.0.1', port: 0 } },
    auth: { allowAnonymous: true },
    http: { port: 0 },
    log: { level: 'silent' },
  };
  const config = validateConfig(merge(base, overrides));
  const summaries: Summary[] = [];
  const alerts: AlertEvent[] = [];
  const gateway = new Gateway(config, { onSummary: (s) => summaries.push(s), onAlert: (e) => alerts.push(e), ...(clock ? { clock } : {}) });
  try {
    await gateway.open();
  } catch (err) {
    dir[Symbol.dispose]();
    throw err;
  }
  const mqttPort = gateway.source<Source & { port: number }>('mqtt-broker')!.port;
  const clients: MqttClient[] = [];
  return {
    gateway,
    mqttPort,
    summaries,
    alerts,
    dir,
    async connect(options = {}) {
      const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
      clients.push(client);
      return client;
    },
    metric(series) {
      const text = gateway.metrics.render();
      for (const line of text.split('\n')) {
        const at = line.lastIndexOf(' ');
        if (line.slice(0, at) === series) return Number(line.slice(at + 1));
      }
      return 0;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await gateway.close();
      dir[Symbol.dispose]();
    },
  };
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
