/**
 * The WSP gateway component (start/close per src/main.ts): the UDP bearer on the CL and CO
 * ports, the single timer driver, the WTP responder, the WSP server and the HTTP bridge,
 * wired together. This is the only place on the UDP side where datagrams enter and leave
 * and where time is read: every datagram is handed on with `clock.now()`, and after every
 * input the one timer is re-armed for the earliest deadline.
 *
 * Drain (close): no new transactions are accepted, in-flight methods may finish until the
 * deadline (their Results still go out and are retransmitted), then whatever is left is
 * cancelled and the sockets close.
 */
import type { UsageSink } from '../ops/usage-records';
import { Memo } from '../core/bounded';
import { TraceIds } from '../core/trace-id';
import type { Config } from '../config/schema';
import { systemClock, type Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Component, Listening } from '../core/component';
import type { Metrics } from '../ops/metrics';
import { Policy } from '../policy/admit';
import type { SubscriberStore } from '../subscribers/types';
import { WspBridge } from '../bridge/bridge';
import { UpstreamClient } from '../bridge/upstream';
import type { WspCodecPort } from '../wsp/ports';
import { createWtpPort, type WtpPort } from '../wtp';
import { WspServer } from '../wsp/server';
import { createWspCodec } from '../wsp/adapters';
import { TimerDriver } from './timer-driver';
import { wspReporter } from './wsp-report';
import { wtpReporter } from './wtp-report';
import { UdpBearer, type BoundSocket } from './udp-bearer';

export interface WspGatewayDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  subscribers: SubscriberStore;
  clock?: Clock;
  /** Test seams: the WTP responder and WSP codec (default: the real ones). */
  wtp?: WtpPort;
  codec?: WspCodecPort;
  /** Usage records (src/ops/usage-records.ts), when enabled. */
  usage?: UsageSink;
}

export class WspGateway implements Component<Config> {
  readonly name = 'wsp';
  private readonly bearer: UdpBearer;
  private readonly timers: TimerDriver;
  private readonly server: WspServer;
  private readonly upstream: UpstreamClient;
  private readonly wtp: WtpPort;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly bridge: WspBridge;
  private readonly policy: Policy;
  private bound: BoundSocket[] = [];
  private up = false;

  constructor(d: WspGatewayDeps) {
    const { config, metrics } = d;
    const logger = d.logger;
    this.clock = d.clock ?? systemClock;
    this.metrics = metrics;
    this.bearer = new UdpBearer({
      bind: config.wsp.bind,
      connectionlessPort: config.wsp.connectionlessPort,
      connectionOrientedPort: config.wsp.connectionOrientedPort,
      logger,
      metrics,
    });
    this.timers = new TimerDriver(this.clock, (err) => logger.error({ err }, 'timer handler failed'));
    // the shared admission policy (src/policy/admit.ts), WSP bearer: one per-source bucket for
    // every WSP request, methods (in the bridge) and Connects
    const policy = (this.policy = new Policy({ bearer: 'wsp', config, subscribers: d.subscribers }));
    // the client's own check of every request's origin (defence in depth) answered once per
    // origin: the allowed origins (mmsc.url, mmsc.allowedOrigins) do not change on reload, and
    // the answer for one origin was a second URL parse per method
    const origins = new Memo<string, boolean>(64);
    this.upstream = new UpstreamClient({
      isAllowedOrigin: (o) => origins.get(o) ?? origins.set(o, policy.upstream.check(`${o}/`).ok),
      connections: config.mmsc.connections,
      timeoutMs: config.mmsc.timeoutMs,
    });
    const codec = d.codec ?? createWspCodec({ onEncodeFallback: (err, dropped) => logger.debug({ err, dropped }, 'reply parts WSP cannot carry were dropped') });
    this.wtp = d.wtp ?? createWtpPort({ config, report: wtpReporter(metrics, logger) });
    const bridge = (this.bridge = new WspBridge({
      upstream: this.upstream,
      policy,
      metrics,
      logger,
      maxResponseSize: config.wsp.maxResponseSize,
      accessLog: config.log.accessLog,
      now: () => this.clock.now(),
      ...(codec.describeMms ? { describeMms: (b: Buffer) => codec.describeMms?.(b) } : {}),
      ...(d.usage ? { usage: d.usage } : {}),
      ...(config.trace.enabled ? { traces: new TraceIds(config.trace.header) } : {}),
    }));
    this.server = new WspServer({
      config,
      wtp: this.wtp,
      codec,
      bridge,
      report: wspReporter(metrics, logger),
      send: (role, buf, peer) => this.bearer.send(role, buf, peer),
      admitConnect: (ip) => policy.admitConnect(ip, this.clock.now()),
      now: () => this.clock.now(),
      onAsyncOutput: () => this.after(),
    });
    this.timers.add(this.server);
    // the table's own count (expired records included as they go), read at scrape time
    metrics.onScrape(() => metrics.wtpActiveTransactions.set(this.wtp.size));
    this.bearer.handle((buf, peer, role) => {
      const now = this.clock.now();
      if (role === 'co') this.server.receiveCo(buf, peer, now);
      else this.server.receiveCl(buf, peer, now);
      this.after();
    });
  }

  private after(): void {
    this.timers.rearm();
  }

  /** The connectionless socket (wsp.connectionlessPort), for the PPG's IP push (WAP-259: source port 9200); undefined until started. */
  connectionlessSocket(): ReturnType<UdpBearer['socket']> {
    return this.bearer.socket('cl');
  }

  async start(): Promise<Listening[]> {
    this.bound = await this.bearer.start();
    this.up = true;
    return this.bound.map((b) => ({ name: b.role === 'cl' ? 'wsp-connectionless' : 'wsp-connection-oriented', protocol: 'udp' as const, address: b.address, port: b.port }));
  }

  /** Real ports (tests bind port 0). */
  get ports(): { connectionless: number; connectionOriented: number } {
    return {
      connectionless: this.bound.find((b) => b.role === 'cl')?.port ?? 0,
      connectionOriented: this.bound.find((b) => b.role === 'co')?.port ?? 0,
    };
  }

  /** SIGHUP: access rules (proxy.allowedNetworks, proxy.requireSubscriber), identity and access log apply to new methods. */
  prepareReload(next: Config): () => void {
    const applyPolicy = this.policy.prepareReload(next);
    return () => {
      applyPolicy();
      this.bridge.reconfigure({ accessLog: next.log.accessLog });
    };
  }

  healthy(): boolean {
    return this.up;
  }

  status(): Record<string, unknown> {
    return { ...this.server.status(), ports: this.ports };
  }

  async close(deadline: number): Promise<void> {
    this.server.stopAccepting();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.server.whenIdle(),
      new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
    ]);
    if (timer) clearTimeout(timer);
    this.server.cancelAll();
    // a last moment for the final Results and Acks to leave and arrive
    const grace = Math.min(200, Math.max(0, deadline - Date.now()));
    if (grace > 0) await new Promise((r) => setTimeout(r, grace));
    this.up = false;
    this.timers.stop();
    await this.bearer.close();
    await this.upstream.close();
  }
}
