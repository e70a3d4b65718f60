// A stand-in for the cloud's config and model push routes (cloud/push/, built separately) with
// the shape the dashboard's push page is written against, so the page can be tested before those
// routes exist: desired versions held in memory, set by admins; applied versions and refusals set
// by the test as a gateway would report them. Once cloud/push/ serves GET /api/push, the browser
// test runs against the real routes instead.

import { Type } from '@sinclair/typebox';
import { route, principalOf, type ApiRoute } from '../../cloud/api/route.js';

export interface PushState {
  readonly gateway: string;
  desired: { config?: { version: string; at: number; by: string }; model?: { name: string; version: string } };
  applied: { config?: { version: string; at: number }; models?: Array<{ name: string; version: string; at?: number }>; error?: { code: string; message: string; at: number } };
}

const Gateway = Type.String({ minLength: 1, maxLength: 64 });

export class PushStandIn {
  readonly state = new Map<string, PushState>();
  /** Config texts admins pushed, in order. */
  readonly configs: Array<{ gateway: string; config: string }> = [];

  constructor(gateways: readonly string[], private readonly now: () => number) {
    for (const gateway of gateways) this.state.set(gateway, { gateway, desired: {}, applied: {} });
  }

  /** What a gateway reports after trying the desired config or model. */
  report(gateway: string, applied: PushState['applied']): void {
    this.#held(gateway).applied = applied;
  }

  #held(gateway: string): PushState {
    const held = this.state.get(gateway);
    if (!held) throw new TypeError(`no gateway ${gateway} in the push stand-in`);
    return held;
  }

  routes(): ApiRoute[] {
    return [
      route({ method: 'GET', url: '/api/push', access: 'viewer', summary: 'desired against applied, per gateway (stand-in)', handler: () => ({ gateways: [...this.state.values()] }) }),
      route({
        method: 'PUT',
        url: '/api/push/config',
        access: 'admin',
        summary: 'set a gateway\'s desired config (stand-in)',
        body: Type.Object({ gateway: Gateway, config: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        handler: (input) => {
          const held = this.#held(input.body.gateway);
          this.configs.push(input.body);
          held.desired.config = { version: `c${this.configs.length}`, at: this.now(), by: (principalOf(input) as { name: string }).name };
          return { push: held };
        },
      }),
      route({
        method: 'PUT',
        url: '/api/push/model',
        access: 'admin',
        summary: 'set a gateway\'s desired model version (stand-in)',
        body: Type.Object({ gateway: Gateway, name: Type.String({ minLength: 1 }), version: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        handler: ({ body }) => {
          const held = this.#held(body.gateway);
          held.desired.model = { name: body.name, version: body.version };
          return { push: held };
        },
      }),
    ];
  }
}
