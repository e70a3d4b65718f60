// The parts `tributary cloud` runs beside the ingest. The HTTP API (cloud/api/) and the cloud-side
// alert rules (cloud/alerts/) plug in here as factories of the context every part shares; until
// they are listed, a worker ingests and stores and serves nothing over HTTP.

import type { CloudOptions } from './cloud.js';

export const cloudParts: Pick<CloudOptions, 'api' | 'alertRules' | 'parts'> = {};
