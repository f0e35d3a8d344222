import t from 'tap';
import type { Tap } from '../helpers/tap';
import dgram from 'node:dgram';
import { ManualClock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { TimerDriver } from '../../src/edge/timer-driver';
import { UdpBearer, type Peer } from '../../src/edge/udp-bearer';

function once<T>(em: { once(ev: string, f: (...a: any[]) => void): unknown }, ev: string): Promise<T[]> {
  return new Promise((r) => em.once(ev, (...a: T[]) => r(a)));
}

async function roundTrip(t: Tap, bind: string, clientType: 'udp4' | 'udp6', target: string) {
  const metrics = new Metrics();
  const b = new UdpBearer({ bind, connectionlessPort: 0, connectionOrientedPort: 0, logger: silentLogger(), metrics });
  const bound = await b.start();
  t.teardown(() => b.close());
  const co = bound.find((x) => x.role === 'co')!;
  const cl = bound.find((x) => x.role === 'cl')!;
  t.ok(co.port > 0 && cl.port > 0 && co.port !== cl.port, 'two ephemeral ports');
  // echo on the bearer: what arrives goes back to the peer on the same role
  b.on('datagram', (buf, peer, role) => b.send(role, Buffer.concat([Buffer.from(role), buf]), peer));
  const client = dgram.createSocket(clientType);
  t.teardown(() => client.close());
  await new Promise<void>((r) => client.bind(0, clientType === 'udp4' ? '127.0.0.1' : '::1', r));
  const got = once<Buffer>(client, 'message');
  const seen = once<unknown>(b, 'datagram');
  client.send(Buffer.from('hi'), co.port, target);
  const [buf] = await got;
  const [, peer] = (await seen) as [Buffer, Peer];
  t.equal(buf!.toString(), 'cohi');
  t.equal(peer.port, client.address().port);
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_datagrams_total\{direction="in",bearer="co"\} 1/);
  t.match(text, /wapgw_datagram_bytes_total\{direction="out",bearer="co"\} 4/);
  return peer;
}


t.test('IPv4 bind: datagrams in and out, counted', async (t) => {
  const peer = await roundTrip(t, '127.0.0.1', 'udp4', '127.0.0.1');
  t.same(peer, { address: '127.0.0.1', port: peer.port, family: 4 });
});

t.test('dual stack "::": IPv4 peer normalised, IPv6 peer answered', async (t) => {
  const p4 = await roundTrip(t, '::', 'udp4', '127.0.0.1');
  t.equal(p4.address, '127.0.0.1', 'v4-mapped address normalised');
  t.equal(p4.family, 4);
  const p6 = await roundTrip(t, '::', 'udp6', '::1');
  t.equal(p6.address, '::1');
  t.equal(p6.family, 6);
});

t.test('a throwing handler never takes the listener down', async (t) => {
  const b = new UdpBearer({ bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, logger: silentLogger(), metrics: new Metrics() });
  const bound = await b.start();
  t.teardown(() => b.close());
  let n = 0;
  b.on('datagram', () => {
    n++;
    throw new Error('boom');
  });
  const c = dgram.createSocket('udp4');
  t.teardown(() => c.close());
  const port = bound[0]!.port;
  c.send(Buffer.from('a'), port, '127.0.0.1');
  c.send(Buffer.from('b'), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(n, 2);
});

t.test('timer driver: one timer for the earliest deadline', async (t) => {
  const clock = { now: () => performance.now() };
  const d = new TimerDriver(clock);
  const fired: string[] = [];
  let a: number | undefined = clock.now() + 30;
  let b: number | undefined = clock.now() + 10;
  d.add({ nextDeadline: () => a, tick: () => { fired.push('a'); a = undefined; } });
  d.add({ nextDeadline: () => b, tick: () => { fired.push('b'); b = undefined; } });
  d.rearm();
  t.equal(d.armed, b, 'armed for the earliest');
  await new Promise((r) => setTimeout(r, 80));
  t.same(fired, ['b', 'a']);
  t.equal(d.armed, undefined, 'nothing pending, nothing armed');
  d.stop();
});

t.test('timer driver: only due sources tick; errors reported, driver continues', async (t) => {
  const clock = new ManualClock(0);
  const errs: unknown[] = [];
  const d = new TimerDriver(clock, (e) => errs.push(e));
  let due: number | undefined = 0;
  let ticks = 0;
  d.add({ nextDeadline: () => due, tick: () => { ticks++; due = undefined; throw new Error('x'); } });
  d.add({ nextDeadline: () => 1e12, tick: () => t.fail('not due') });
  d.rearm();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(ticks, 1);
  t.equal(errs.length, 1);
  d.stop();
});

t.test('a direct handler (handle) takes every datagram instead of the datagram event, the same peer object each time', async (t) => {
  const b = new UdpBearer({ bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, logger: silentLogger(), metrics: new Metrics() });
  const bound = await b.start();
  t.teardown(() => b.close());
  const co = bound.find((x) => x.role === 'co')!;
  let emitted = 0;
  b.on('datagram', () => emitted++);
  const got: Array<[string, Peer, string]> = [];
  let done!: () => void;
  const both = new Promise<void>((r) => (done = r));
  b.handle((buf, peer, role) => {
    got.push([buf.toString(), peer, role]);
    if (got.length === 2) done();
  });
  const client = dgram.createSocket('udp4');
  t.teardown(() => client.close());
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  client.send(Buffer.from('one'), co.port, '127.0.0.1');
  client.send(Buffer.from('two'), co.port, '127.0.0.1');
  await both;
  t.same(
    got.map(([s, , role]) => [s, role]),
    [
      ['one', 'co'],
      ['two', 'co'],
    ],
  );
  t.equal(got[0]![1], got[1]![1], 'one Peer object per remote address and port');
  t.equal(got[0]![1].port, client.address().port);
  t.equal(emitted, 0, 'no datagram event while a handler is set');
});
