// Config and model push: what is desired where (the fleet, a site, a gateway) and what each gateway
// runs — desired against applied, slot by slot, with the error of a refused push — for everyone
// logged in; setting and clearing desired configs and models for admins. A change is published to
// the gateways it reaches at once; their status reports say what became of it (the live stream's
// `push` events follow).

import { Type } from '@sinclair/typebox';
import { codedError } from '../../../edge/errors/catalogue.js';
import type { PushControl } from '../../push/service.js';
import { Name } from '../query.js';
import { principalOf, route, type ApiRoute } from '../route.js';

const Target = Type.String({ minLength: 1, maxLength: 200, pattern: '^(fleet|site:[^\\u0000-\\u001f]+|gateway:[^\\u0000-\\u001f]+)$', description: 'fleet, site:<site> or gateway:<id>' });
const TargetParams = Type.Object({ target: Target }, { additionalProperties: false });
const ModelParams = Type.Object({ target: Target, name: Name }, { additionalProperties: false });
const GatewayParams = Type.Object({ id: Name }, { additionalProperties: false });

const ConfigBody = Type.Object(
  {
    document: Type.String({ maxLength: 256 * 1024, description: 'a JSON Merge Patch over each gateway\'s config file: the keys to change (devices, models, detectors, alerts, decode)' }),
    format: Type.Optional(Type.Union([Type.Literal('yaml'), Type.Literal('json')], { description: 'default yaml' })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the label people see (default: the push time)' })),
  },
  { additionalProperties: false },
);

const ModelBody = Type.Object(
  {
    manifest: Type.Object({}, { description: 'the model\'s manifest (<base>.manifest.json); its name must be the one in the URL' }),
    onnx: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'the ONNX file, base64' }),
  },
  { additionalProperties: false },
);

export function pushRoutes(push: PushControl): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/push',
      access: 'viewer',
      summary: 'desired configs and models by target, and every gateway\'s desired against applied, slot by slot',
      handler: async () => {
        const [desired, gateways] = await Promise.all([push.desired(), push.views()]);
        return { desired, gateways };
      },
    }),
    route({
      method: 'GET',
      url: '/api/push/gateways/:id',
      access: 'viewer',
      summary: 'one gateway\'s desired against applied config and models, with the error of a refused push',
      params: GatewayParams,
      handler: async ({ params }) => {
        const view = await push.view(params.id);
        if (!view) throw codedError('ERR_API_NOT_FOUND', ['gateway', params.id]);
        return { gateway: view };
      },
    }),
    route({
      method: 'PUT',
      url: '/api/push/:target/config',
      access: 'admin',
      summary: 'set the desired config of a target (fleet, site:<site>, gateway:<id>) and publish it to the gateways it reaches',
      params: TargetParams,
      body: ConfigBody,
      handler: async (input) => {
        const { body, params } = input;
        const change = await push.setConfig(params.target, { document: body.document, ...(body.format ? { format: body.format } : {}), ...(body.version ? { version: body.version } : {}), by: userOf(input) });
        return { desired: change.desired, gateways: change.gateways };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/push/:target/config',
      access: 'admin',
      summary: 'clear a target\'s desired config (gateways it reached fall back to a broader target\'s, or keep what they run)',
      params: TargetParams,
      handler: async ({ params }) => push.clear(params.target, 'config'),
    }),
    route({
      method: 'PUT',
      url: '/api/push/:target/models/:name',
      access: 'admin',
      summary: 'set the desired model of that name for a target: checked (manifest, graph, a trial run), stored, published',
      params: ModelParams,
      body: ModelBody,
      // base64 is 4/3 of the bytes; the manifest is small.
      bodyLimit: Math.ceil((push.maxModelBytes * 4) / 3) + 256 * 1024,
      handler: async (input) => {
        const { body, params } = input;
        const named = (body.manifest as { name?: unknown }).name;
        if (named !== params.name) throw codedError('ERR_API_BAD_REQUEST', [1, `manifest.name: ${JSON.stringify(named)} is not the model in the URL (${params.name})`]);
        const change = await push.setModel(params.target, { onnx: Buffer.from(body.onnx, 'base64'), manifest: body.manifest, by: userOf(input) });
        const { manifest: _manifest, ...desired } = change.desired;
        return { desired, gateways: change.gateways };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/push/:target/models/:name',
      access: 'admin',
      summary: 'clear a target\'s desired model of that name',
      params: ModelParams,
      handler: async ({ params }) => push.clear(params.target, `model:${params.name}`),
    }),
  ];
}

function userOf(input: Parameters<typeof principalOf>[0]): string {
  const p = principalOf(input);
  return p.kind === 'user' ? p.name : `gateway:${p.id}`;
}
