/**
 * All cores for the HTTP MMS proxy (`wapgw start --workers N`, `process.workers`): node:cluster.
 *
 * - The primary runs everything that is UDP or singular: WSP/WTP (a UDP socket shared by
 *   processes gives no per-peer affinity: datagrams of one source would land on every worker, and
 *   WTP transactions and WSP sessions are per-peer state), RADIUS accounting, admin, and whatever
 *   else the gateway builds. It forks N workers and supervises them.
 * - Each worker runs only the HTTP proxy, listening on the same port (the cluster module shares
 *   the listening socket), with the shared subscriber store and this instance's static bindings.
 * - Workers need `subscribers.store: redis`: a memory table per worker would be a copy of every
 *   binding per process (about 400 bytes per binding each, bench/RESULTS.md) kept in step by IPC
 *   with snapshots for restarted workers; the Redis store already is that one table, with
 *   server-side invalidation and the failure semantics of README "Shared subscriber store".
 * - /metrics (admin, in the primary) aggregates the primary and every worker (prom-client's
 *   AggregatorRegistry.aggregate: counters and gauges summed).
 * - SIGHUP reloads the primary and is passed to every worker (each re-reads the file); SIGTERM
 *   drains the workers, then the primary.
 * - A worker that dies is started again (wapgw_worker_restarts_total), at most once per second per
 *   slot so a worker that cannot start does not spin.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Config } from './config/schema';
import type { Component, Listening } from './core/component';
import { ConfigError } from './core/errors';
import type { Logger } from './core/logger';
import { Metrics } from './ops/metrics';
import { handleSignals } from './signals';

/** `process.workers` (or --workers) as a number of processes: `auto` is one per core. */
export function workerCount(v: Config['process']['workers'] | string | undefined): number {
  if (v === undefined) return 1;
  if (v === 'auto') return availableParallelism();
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ConfigError([`process.workers: "${String(v)}" is not auto or a number of workers from 1 to 64`]);
  return n;
}

/** The check a clustered start makes before forking anything. */
export function clusterProblems(config: Config, workers: number): string[] {
  const out: string[] = [];
  if (workers > 1 && config.subscribers.store !== 'redis') {
    out.push(`process.workers: ${workers} proxy workers need subscribers.store: redis (each worker is its own process; a memory table is not shared)`);
  }
  if (workers > 1 && !config.proxy.enabled) out.push('process.workers: proxy workers need proxy.enabled: true');
  return out;
}

type Json = Array<MetricObjectWithValues<MetricValue<string>>>;
interface MetricsReply {
  type: 'wapgw:metrics';
  id: number;
  metrics: Json;
}
interface Ready {
  type: 'wapgw:ready';
  listening: Listening[];
}
const isMsg = (m: unknown, type: string): boolean => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

interface Slot {
  worker: Worker | undefined;
  ready: boolean;
  lastStart: number;
}

/** The primary's view of its workers: a gateway component (health, status) started last. */
export class WorkerSupervisor implements Component {
  readonly name = 'workers';
  private readonly slots: Slot[];
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private stopping = false;
  private restarts = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { left: number; got: Json[]; done: (v: Json[]) => void }>();

  constructor(opts: { count: number; metrics: Metrics; logger: Logger }) {
    this.slots = Array.from({ length: opts.count }, () => ({ worker: undefined, ready: false, lastStart: 0 }));
    this.metrics = opts.metrics;
    this.logger = opts.logger;
  }

  /** Forks every worker; resolves with the proxy's addresses once all are listening. */
  async start(): Promise<Listening[]> {
    const first = await Promise.all(this.slots.map((s, i) => this.fork(s, i)));
    return first[0] ?? [];
  }

  private fork(slot: Slot, index: number): Promise<Listening[]> {
    slot.lastStart = Date.now();
    slot.ready = false;
    const w = cluster.fork({ WAPGW_WORKER_INDEX: String(index) });
    slot.worker = w;
    return new Promise<Listening[]>((resolve, reject) => {
      let settled = false;
      w.on('message', (m: unknown) => {
        if (isMsg(m, 'wapgw:ready')) {
          slot.ready = true;
          this.updateGauge();
          if (!settled) {
            settled = true;
            resolve((m as Ready).listening);
          }
        } else if (isMsg(m, 'wapgw:metrics')) {
          this.metricsArrived(m as MetricsReply);
        }
      });
      w.on('exit', (code, signal) => {
        slot.ready = false;
        slot.worker = undefined;
        this.updateGauge();
        if (!settled) {
          settled = true;
          reject(new Error(`proxy worker ${index} exited before it was listening (code ${code}, signal ${signal})`));
          return;
        }
        if (this.stopping) return;
        this.restarts++;
        this.metrics.workerRestarts.inc();
        const wait = Math.max(0, 1000 - (Date.now() - slot.lastStart));
        this.logger.error({ worker: index, pid: w.process.pid, code, signal, restartInMs: wait }, 'proxy worker died: starting another');
        setTimeout(() => {
          if (!this.stopping) this.fork(slot, index).catch((err: unknown) => this.logger.error({ err, worker: index }, 'proxy worker failed to start'));
        }, wait);
      });
    });
  }

  private updateGauge(): void {
    this.metrics.workers.set(this.slots.filter((s) => s.ready).length);
  }

  /** SIGHUP for every worker (each re-reads the config file and its static subscribers). */
  reload(): void {
    for (const s of this.slots) s.worker?.process.kill('SIGHUP');
  }

  /** SIGTERM to every worker; waits for them (each drains within shutdown.drainTimeoutMs), SIGKILL at the deadline. */
  async close(deadline: number): Promise<void> {
    this.stopping = true;
    const alive = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.process.exitCode === null);
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.process.exitCode !== null || w.process.signalCode !== null) return resolve();
            const t = setTimeout(() => w.process.kill('SIGKILL'), Math.max(0, deadline - Date.now()) + 500);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  healthy(): boolean {
    return this.slots.every((s) => s.ready);
  }

  status(): Record<string, unknown> {
    return { workers: this.slots.length, ready: this.slots.filter((s) => s.ready).length, restarts: this.restarts, pids: this.slots.map((s) => s.worker?.process.pid ?? null) };
  }

  /** Metrics JSON of every ready worker (those that do not answer within 1 s are left out). */
  workerMetrics(): Promise<Json[]> {
    const ws = this.slots.filter((s) => s.ready && s.worker).map((s) => s.worker as Worker);
    if (ws.length === 0) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise<Json[]>((resolve) => {
      const t = setTimeout(() => finish(), 1000);
      const finish = () => {
        clearTimeout(t);
        const p = this.pending.get(id);
        this.pending.delete(id);
        resolve(p?.got ?? []);
      };
      this.pending.set(id, { left: ws.length, got: [], done: finish });
      for (const w of ws) w.send({ type: 'wapgw:metrics', id });
    });
  }

  private metricsArrived(m: MetricsReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    p.got.push(m.metrics);
    if (--p.left === 0) p.done(p.got as never);
  }

  /** The primary's /metrics: its own registry and every worker's, aggregated. */
  async metricsText(metrics: Metrics): Promise<string> {
    const all = [await metrics.registry.getMetricsAsJSON(), ...(await this.workerMetrics())];
    return AggregatorRegistry.aggregate(all as never).metrics();
  }
}

export interface ClusterStart {
  config: Config;
  configFile: string;
  logger: Logger;
  version: string;
  workers: number;
}

/**
 * Runs this process's part: the primary (gateway without the proxy, plus the supervisor) or a
 * worker (the proxy). Never resolves while running; signals end it.
 */
export async function runCluster(o: ClusterStart): Promise<number> {
  const { Gateway } = await import('./main');
  const { config, logger } = o;
  if (cluster.isWorker) {
    const log = logger.child({ worker: Number(process.env.WAPGW_WORKER_INDEX ?? 0) });
    const metrics = new Metrics({ defaultMetrics: true });
    const gw = new Gateway({ config, logger: log, configFile: o.configFile, version: o.version, metrics, role: 'worker' });
    process.on('message', (m: unknown) => {
      if (!isMsg(m, 'wapgw:metrics')) return;
      void metrics.registry.getMetricsAsJSON().then((json) => process.send?.({ type: 'wapgw:metrics', id: (m as { id: number }).id, metrics: json }));
    });
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => process.exit(0), gw.currentConfig.shutdown.drainTimeoutMs + 500).unref();
      void gw.close().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', () => undefined); // the primary decides (a terminal's ^C reaches the whole group)
    process.on('disconnect', stop); // the primary is gone
    process.on('SIGHUP', () => {
      if (!stopping) gw.reload().catch((err: unknown) => log.error({ err }, 'reload failed'));
    });
    try {
      const listening = await gw.start();
      process.send?.({ type: 'wapgw:ready', listening } satisfies Ready);
    } catch (err) {
      log.fatal({ err }, 'proxy worker start failed');
      await gw.close(0);
      process.exit(1);
    }
    return new Promise<number>(() => undefined);
  }

  const problems = clusterProblems(config, o.workers);
  if (problems.length > 0) throw new ConfigError(problems);
  const metrics = new Metrics({ defaultMetrics: true });
  const supervisor = new WorkerSupervisor({ count: o.workers, metrics, logger: logger.child({ component: 'workers' }) });
  const gw = new Gateway({
    config,
    logger,
    configFile: o.configFile,
    version: o.version,
    metrics,
    role: 'primary',
    supervisor,
    metricsText: () => supervisor.metricsText(metrics),
  });
  // the workers need longer than one process to drain: a larger grace before the forced exit
  handleSignals({ gw, logger, graceMs: 1500, reloadFields: { file: o.configFile, workers: o.workers }, onReload: () => supervisor.reload() });
  try {
    await gw.start();
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    await gw.close(0);
    throw err;
  }
  return new Promise<number>(() => undefined);
}
