// Child process for the cloud store crash test: stores summaries (no roll-up pass for an hour),
// says how many, and waits to be killed with SIGKILL before any pass could run.
// Usage: node cloud-store-crash-child.js <level|postgres> <location> <first window ms>

import type { CloudStore } from '../../cloud/store/contract.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { PgCloudStore } from '../../cloud/store/postgres/pg-store.js';
import { crashFleet } from './cloud-store-crash-fleet.js';

const [backend, location, t0] = process.argv.slice(2);
const options = { config: { rollups: { flushIntervalMs: 3_600_000 } } };
const store: CloudStore = backend === 'postgres' ? new PgCloudStore(location!, options) : new LevelCloudStore(location!, options);
await store.open();
let n = 0;
for (const batch of crashFleet(Number(t0))) n += (await store.ingestSummaries(batch)).length;
process.stdout.write(`stored ${n}\n`);
setInterval(() => {}, 60_000);
