// The fleet: gateways with their health (last seen, online, backlog, loss ledger, open alerts) and
// devices with theirs (where they are, last seen, silent, open alerts).

import { Type } from '@sinclair/typebox';
import { codedError } from '../../../edge/errors/catalogue.js';
import type { CloudContext } from '../../service/context.js';
import { Name } from '../query.js';
import { route, type ApiDeps, type ApiRoute } from '../route.js';
import { countOpen, deviceView, gatewayViews } from '../views.js';

const IdParams = Type.Object({ id: Name }, { additionalProperties: false });
const DeviceQuery = Type.Object({ gateway: Type.Optional(Name), site: Type.Optional(Name), line: Type.Optional(Name) }, { additionalProperties: false });

const openAlerts = (ctx: CloudContext, filter: { gateway?: string; device?: string } = {}) => ctx.store.alerts({ ...filter, state: ['open', 'acknowledged'], limit: 100_000 });

export function fleetRoutes({ ctx }: ApiDeps): ApiRoute[] {
  const gateways = async () => {
    const [records, devices, open] = await Promise.all([ctx.store.gateways(), ctx.store.devices(), openAlerts(ctx)]);
    return { views: gatewayViews(ctx.config, ctx.clock.now(), records, devices, countOpen(open)), devices, open };
  };
  return [
    route({
      method: 'GET',
      url: '/api/gateways',
      access: 'viewer',
      summary: 'every gateway configured or heard from, with last seen, online, backlog, loss ledger, device and open alert counts',
      handler: async () => ({ gateways: (await gateways()).views }),
    }),
    route({
      method: 'GET',
      url: '/api/gateways/:id',
      access: 'viewer',
      summary: 'one gateway, with its devices and unresolved alerts',
      params: IdParams,
      handler: async ({ params }) => {
        const { views, devices, open } = await gateways();
        const view = views.find((g) => g.id === params.id);
        if (!view) throw codedError('ERR_API_NOT_FOUND', ['gateway', params.id]);
        const counts = countOpen(open);
        const now = ctx.clock.now();
        return {
          gateway: view,
          devices: devices.filter((d) => d.gateway === params.id).map((d) => deviceView(ctx.config, now, d, counts)),
          alerts: open.filter((a) => a.event.gateway === params.id),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/devices',
      access: 'viewer',
      summary: 'devices, filtered by gateway, site and line; with last seen, silent and open alert count',
      query: DeviceQuery,
      handler: async ({ query }) => {
        const [devices, open] = await Promise.all([ctx.store.devices(query), openAlerts(ctx, query.gateway === undefined ? {} : { gateway: query.gateway })]);
        const counts = countOpen(open);
        const now = ctx.clock.now();
        return { devices: devices.map((d) => deviceView(ctx.config, now, d, counts)) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/devices/:id',
      access: 'viewer',
      summary: 'one device, with its unresolved alerts',
      params: IdParams,
      handler: async ({ params }) => {
        const device = (await ctx.store.devices()).find((d) => d.id === params.id);
        if (!device) throw codedError('ERR_API_NOT_FOUND', ['device', params.id]);
        const open = await openAlerts(ctx, { device: params.id });
        return { device: deviceView(ctx.config, ctx.clock.now(), device, countOpen(open)), alerts: open };
      },
    }),
  ];
}
