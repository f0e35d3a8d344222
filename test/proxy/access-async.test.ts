/**
 * AccessPolicy with a store that needs a round trip (the Redis store on a cache miss): the answer
 * comes as a promise; a store that cannot be asked refuses (503 store-unavailable) when a
 * subscriber is required and lets the request through without identity when it is not.
 */
import t from 'tap';
import { configSchema } from '../../src/config/schema';
import { WapgwError } from '../../src/core/errors';
import { AccessPolicy } from '../../src/proxy/access';
import type { Subscriber, SubscriberStore } from '../../src/subscribers/types';

const sub: Subscriber = { key: '10.0.0.1', msisdn: '15550001', source: 'radius', since: 0 };
function store(mode: 'hit' | 'remote' | 'down'): SubscriberStore {
  return {
    lookup: () => undefined,
    resolve: (ip: string) => {
      if (mode === 'hit') return ip === '10.0.0.1' ? sub : undefined;
      if (mode === 'remote') return Promise.resolve(ip === '10.0.0.1' ? sub : undefined);
      return Promise.reject(new WapgwError('ERR_STORE_UNAVAILABLE', 'down', { status: 503 }));
    },
    findByMsisdn: () => undefined,
    list: () => ({ items: [] }),
    bind: () => undefined,
    unbind: () => false,
    flushNas: () => 0,
    size: 0,
  };
}
const policy = (mode: 'hit' | 'remote' | 'down', requireSubscriber = true) =>
  new AccessPolicy({ config: configSchema.parse({ proxy: { allowedNetworks: ['10.0.0.0/8'], requireSubscriber } }), subscribers: store(mode) });

t.test('a cache hit answers synchronously; a round trip answers with a promise', async (t) => {
  const hit = policy('hit').check('10.0.0.1');
  t.notOk(hit instanceof Promise);
  t.same(hit, { ok: true, subscriber: sub });
  const remote = policy('remote').check('10.0.0.1');
  t.ok(remote instanceof Promise);
  t.same(await remote, { ok: true, subscriber: sub });
  t.same(await policy('remote').check('10.0.0.2'), { ok: false, status: 403, reason: 'no-subscriber' });
  t.same(policy('down').check('192.168.0.1'), { ok: false, status: 403, reason: 'network' }, 'the network rule needs no store');
});

t.test('store unavailable: refused with 503 when a subscriber is required, identity-less otherwise', async (t) => {
  t.same(await policy('down').check('10.0.0.1'), { ok: false, status: 503, reason: 'store-unavailable' });
  t.same(await policy('down', false).check('10.0.0.1'), { ok: true });
});
