/**
 * The composition root: builds every component from the config, wires them together, starts
 * them, and stops them in reverse order. Nothing else creates sockets or long-lived objects.
 * Components implement `Component`; `start` returns the addresses it really listens on.
 * Optional parts of a component: `status()` (shown in admin /status), `healthy()` (/healthz)
 * and `prepareReload()` (SIGHUP, see `Gateway.reload`).
 */
import { loadConfigFile } from './config/load';
import type { Config } from './config/schema';
import { ConfigError } from './core/errors';
import type { Logger } from './core/logger';
import { AdminServer } from './ops/admin';
import { Metrics } from './ops/metrics';
import { planReload } from './ops/reload';
import { DemoMmsc } from './demo/mmsc';
import { RadiusAccountingServer } from './subscribers/radius-server';
import { StaticSubscribers } from './subscribers/static-file';
import { SubscriberTable } from './subscribers/table';
import { RedisSubscriberStore } from './subscribers/store/redis';
import type { SubscriberStore } from './subscribers/types';
import { MmsProxy } from './proxy/server';
import { WspGateway } from './edge/wsp-gateway';
import type { Component as ComponentOf, Listening, StatusProvider } from './core/component';
import { preflight } from './preflight';
import { UsageRecords } from './ops/usage-records';
import { Ppg } from './ppg/ppg';
import { SmppBearer, type SmppEvent } from './ppg/bearers/smpp';
import { IpPushBearer, type DatagramSocket } from './ppg/bearers/ip';
import { DemoSmsc } from './demo/smsc';

/** A part of this gateway: the contract of src/core/component.ts, reloaded with this project's Config. */
export type Component = ComponentOf<Config>;
export type { Listening, StatusProvider } from './core/component';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  configFile?: string;
  metrics?: Metrics;
  version?: string;
  /**
   * With `process.workers` > 1 (src/cluster.ts): `primary` runs everything but the HTTP proxy,
   * `worker` only the proxy (with the shared store and its static layer). Default `all`.
   */
  role?: 'all' | 'primary' | 'worker';
  /** Primary: /metrics text aggregated across workers (replaces this registry's own text). */
  metricsText?: () => Promise<string>;
  /** Primary: the worker supervisor, started after every other part. */
  supervisor?: Component;
}

export interface ReloadResult {
  ok: boolean;
  /** One `key.path: what is wrong` line per problem when refused. */
  problems: string[];
  applied: string[];
  needsRestart: string[];
}

export type GatewayState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Gateway {
  readonly components: Component[] = [];
  readonly listening: Listening[] = [];
  readonly metrics: Metrics;
  readonly version: string;
  /**
   * The one subscriber store (created first in build()), shared by the proxy, the WSP bridge and
   * admin /subscribers: the memory table, or with `subscribers.store: redis` the shared store.
   */
  subscribers!: SubscriberStore;
  /** The memory table (also the static layer's home with the memory store). */
  subscriberTable!: SubscriberTable;
  /** The shared store, when `subscribers.store` is redis. */
  sharedStore: RedisSubscriberStore | undefined;
  /** The Push Proxy Gateway, when ppg.enabled. */
  ppg: Ppg | undefined;
  private config: Config;
  private readonly logger: Logger;
  private readonly configFile: string | undefined;
  private readonly role: 'all' | 'primary' | 'worker';
  private readonly metricsText: (() => Promise<string>) | undefined;
  private readonly supervisor: Component | undefined;
  private state: GatewayState = 'new';
  private readonly startedAt = Date.now();
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, problems: [], applied: [], needsRestart: [] });

  constructor(deps: GatewayDeps) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.configFile = deps.configFile;
    this.metrics = deps.metrics ?? new Metrics({ defaultMetrics: true });
    this.version = deps.version ?? 'unknown';
    this.role = deps.role ?? 'all';
    this.metricsText = deps.metricsText;
    this.supervisor = deps.supervisor;
    this.build();
    if (this.supervisor) this.components.push(this.supervisor);
    // wapgw_component_up: what /healthz says, per component, for alerts (conf/prometheus)
    this.metrics.healthOf = () => this.components.map((c) => [c.name, this.state === 'running' && c.healthy?.() !== false] as const);
  }

  /** Builds components in start order (they stop in reverse). Each later part adds its own here. */
  private build(): void {
    const { config, logger, metrics } = this;
    this.subscriberTable = new SubscriberTable({ maxEntries: config.subscribers.maxEntries, metrics, logger: logger.child({ component: 'subscribers' }) });
    this.subscribers = this.subscriberTable;
    if (config.subscribers.store === 'redis') {
      this.sharedStore = new RedisSubscriberStore({ config: config.subscribers, metrics, logger: logger.child({ component: 'subscriber-store' }) });
      this.subscribers = this.sharedStore;
    }
    // Usage records first: components stop in reverse order, so it closes after the request paths drained (nothing lost on SIGTERM).
    // Each process writes its own files (a proxy worker too: the file names carry the pid).
    const usage = config.usageRecords.enabled ? new UsageRecords({ config: config.usageRecords, metrics, logger: logger.child({ component: 'usage-records' }) }) : undefined;
    if (usage) this.components.push(usage);
    if (this.role === 'worker') {
      // a proxy worker (src/cluster.ts): the store, this instance's static bindings, the proxy; nothing else
      if (this.sharedStore) this.components.push(this.sharedStore);
      this.components.push(new StaticSubscribers({ config: config.subscribers, table: this.sharedStore ?? this.subscriberTable, logger: logger.child({ component: 'subscribers' }) }));
      this.components.push(new MmsProxy({ config, subscribers: this.subscribers, metrics, logger, ...(usage ? { usage } : {}) }));
      return;
    }
    // The demo MMSC first, so it is up before the WSP and proxy parts forward to it.
    if (config.demoMmsc.enabled) {
      this.components.push(new DemoMmsc({ config: config.demoMmsc, logger: logger.child({ component: 'demo-mmsc' }) }));
    }
    // The demo SMSC too, before the PPG binds to it.
    if (config.demoSmsc.enabled) {
      const d = config.demoSmsc;
      this.components.push(
        new DemoSmsc({ bind: d.bind, port: d.port, systemId: d.systemId || undefined, password: d.password || undefined, receipts: d.receipts, logger: logger.child({ component: 'demo-smsc' }) }),
      );
    }
    // Admin next: /healthz answers 503 until every later part is up, and again while draining.
    if (config.admin.enabled) {
      this.components.push(
        new AdminServer({ config: config.admin, logger: logger.child({ component: 'admin' }), metrics, gateway: this, ...(this.metricsText ? { metricsText: this.metricsText } : {}) }),
      );
    }
    // Subscribers before the parts that look them up: the shared store connects, the static file loads, then RADIUS accounting.
    if (this.sharedStore) this.components.push(this.sharedStore);
    this.components.push(new StaticSubscribers({ config: config.subscribers, table: this.sharedStore ?? this.subscriberTable, logger: logger.child({ component: 'subscribers' }) }));
    if (config.radius.enabled) {
      this.components.push(
        new RadiusAccountingServer({ config: config.radius, table: this.subscriberTable, ...(this.sharedStore ? { shared: this.sharedStore } : {}), metrics, logger: logger.child({ component: 'radius' }) }),
      );
    }
    if (config.proxy.enabled && this.role === 'all') {
      this.components.push(new MmsProxy({ config, subscribers: this.subscribers, metrics, logger, ...(usage ? { usage } : {}) }));
    }
    // The legacy handset path: WSP/WTP over UDP, bridged to the MMSC.
    const wsp = new WspGateway({ config, subscribers: this.subscribers, metrics, logger: logger.child({ component: 'wsp' }), ...(usage ? { usage } : {}) });
    this.components.push(wsp);
    // The Push Proxy Gateway: PAP in, WAP Push out over SMS (SMPP) and IP.
    if (config.ppg.enabled) {
      const ppgLog = logger.child({ component: 'ppg' });
      // IP push leaves from the WSP connectionless socket (source port 9200), bound by the WSP part at start.
      const cl: DatagramSocket = {
        send: (msg, port, address, cb) => {
          const s = wsp.connectionlessSocket();
          if (!s) cb(new Error('the WSP connectionless socket is not bound'));
          else s.send(msg, port, address, cb);
        },
        address: () => wsp.connectionlessSocket()?.address() ?? { address: config.wsp.bind, family: config.wsp.bind.includes(':') ? 'IPv6' : 'IPv4', port: 0 },
      };
      const sms =
        config.ppg.smsc.length > 0
          ? new SmppBearer({ smsc: config.ppg.smsc, onEvent: (e) => smppEvent(e, ppgLog, metrics) })
          : undefined;
      this.ppg = new Ppg({ config: config.ppg, logger: ppgLog, metrics, subscribers: this.subscribers, ip: new IpPushBearer({ socket: cl }), ...(sms ? { sms } : {}), ...(usage ? { usage } : {}) });
      this.components.push(this.ppg);
    }
    // (component factories are added here by the parts that provide them)
  }

  /** admin GET /pushes/PUSH-ID */
  pushState(pushId: string): Record<string, unknown> | undefined {
    return this.ppg?.pushState(pushId);
  }

  get currentConfig(): Config {
    return this.config;
  }

  get currentState(): GatewayState {
    return this.state;
  }

  /** Components that report themselves down (admin /healthz names them). */
  unhealthy(): string[] {
    return this.components.filter((c) => c.healthy?.() === false).map((c) => c.name);
  }

  /** Running, and no component reports a listener down. */
  healthy(): boolean {
    return this.state === 'running' && this.components.every((c) => c.healthy?.() !== false);
  }

  async start(): Promise<Listening[]> {
    // Everything the components will load is checked before the first socket opens (src/preflight.ts).
    const pre = preflight(this.config);
    if (pre.problems.length > 0) throw new ConfigError(pre.problems);
    for (const w of pre.warnings) this.logger.warn({ warning: w }, 'config warning');
    this.state = 'starting';
    for (const c of this.components) {
      const ls = await c.start();
      for (const l of ls) {
        this.listening.push(l);
        this.logger.info({ component: c.name, listener: l.name, protocol: l.protocol, address: l.address, port: l.port }, 'listening');
      }
    }
    this.state = 'running';
    this.logger.info({ listeners: this.listening.length, version: this.version }, 'started');
    return this.listening;
  }

  async close(drainMs = this.config.shutdown.drainTimeoutMs): Promise<void> {
    if (this.state !== 'running' && this.state !== 'starting') return;
    this.state = 'stopping';
    const deadline = Date.now() + drainMs;
    for (const c of [...this.components].reverse()) {
      try {
        await c.close(deadline);
      } catch (err) {
        this.logger.error({ component: c.name, err }, 'error while stopping');
      }
    }
    this.state = 'stopped';
  }

  /**
   * SIGHUP: re-read the config file (or take `next`), validate it and everything it points at
   * (components re-read their files in prepareReload), then apply the live keys everywhere at
   * once. Any problem refuses the whole reload: the old state stays and each problem is logged
   * on its own line. Changed keys that need a restart keep their old value and are logged.
   */
  reload(next?: Config): Promise<ReloadResult> {
    this.reloading = this.reloading.then(() => this.doReload(next));
    return this.reloading;
  }

  private async doReload(given?: Config): Promise<ReloadResult> {
    const refuse = (problems: string[]): ReloadResult => {
      for (const p of problems) this.logger.error({ problem: p, file: this.configFile }, 'reload refused');
      this.logger.warn({ problems: problems.length }, 'reload refused; keeping the running configuration');
      this.metrics.configReloads.inc({ outcome: 'refused' });
      return { ok: false, problems, applied: [], needsRestart: [] };
    };
    const problemsOf = (err: unknown): string[] =>
      err instanceof ConfigError ? [...err.problems] : [`(reload): ${err instanceof Error ? err.message : String(err)}`];
    let next: Config;
    try {
      if (given) next = given;
      else if (this.configFile) next = loadConfigFile(this.configFile);
      else return refuse(['(reload): no config file to re-read']);
    } catch (err) {
      return refuse(problemsOf(err));
    }
    const plan = planReload(this.config, next);
    const appliers: Array<() => void> = [];
    const problems: string[] = [];
    for (const c of this.components) {
      if (!c.prepareReload) continue;
      try {
        const apply = await c.prepareReload(plan.effective);
        if (apply) appliers.push(apply);
      } catch (err) {
        problems.push(...problemsOf(err));
      }
    }
    if (problems.length > 0) return refuse(problems);
    for (const apply of appliers) apply();
    this.config = plan.effective;
    this.logger.level = plan.effective.log.level;
    for (const key of plan.needsRestart) this.logger.warn({ key }, 'config key changed; it takes effect after a restart');
    this.logger.info({ applied: plan.applied, needsRestart: plan.needsRestart }, 'reloaded');
    this.metrics.configReloads.inc({ outcome: 'applied' });
    return { ok: true, problems: [], applied: plan.applied, needsRestart: plan.needsRestart };
  }

  /** The admin /status document. */
  async status(): Promise<Record<string, unknown>> {
    const gaugeValue = async (g: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> =>
      (await g.get()).values.reduce((s, v) => s + v.value, 0);
    const upstream: Record<string, number> = {};
    for (const v of (await this.metrics.upstreamResponses.get()).values) {
      const key = `${String(v.labels.source)}:${String(v.labels.status)}`;
      upstream[key] = (upstream[key] ?? 0) + v.value;
    }
    const components: Record<string, unknown> = {};
    for (const c of this.components) {
      if (!c.status) continue;
      try {
        components[c.name] = c.status();
      } catch (err) {
        components[c.name] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
    return {
      version: this.version,
      state: this.state,
      healthy: this.healthy(),
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      listeners: this.listening.map((l) => ({ ...l })),
      wspSessions: await gaugeValue(this.metrics.wspSessions),
      wtpTransactions: await gaugeValue(this.metrics.wtpActiveTransactions),
      subscribers: this.subscribers?.size ?? (await gaugeValue(this.metrics.subscribers)),
      upstream: { url: this.config.mmsc.url, responses: upstream },
      components,
    };
  }
}

/** One log line per SMS and per SMPP session change; session state in /metrics. */
function smppEvent(e: SmppEvent, logger: Logger, metrics: Metrics): void {
  switch (e.type) {
    case 'state':
      for (const st of ['idle', 'connecting', 'binding', 'bound', 'backoff', 'closed']) metrics.ppgSmscState.set({ smsc: e.smsc, state: st }, st === e.state ? 1 : 0);
      logger.info({ smsc: e.smsc, state: e.state, reason: e.reason }, 'SMPP session');
      break;
    case 'submitted':
      if (logger.isLevelEnabled('info')) logger.info({ smsc: e.smsc, msisdn: e.msisdn, part: e.part, total: e.total, messageId: e.messageId }, 'SMS submitted');
      break;
    case 'refused':
      logger.warn({ smsc: e.smsc, msisdn: e.msisdn, part: e.part, total: e.total, status: e.status }, 'SMS refused by the SMSC');
      break;
    case 'receipt':
      logger.info({ smsc: e.smsc, messageId: e.receipt.messageId, state: e.receipt.state }, 'SMS delivery receipt');
      break;
  }
}
