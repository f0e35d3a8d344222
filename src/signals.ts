/**
 * How a gateway process (a single process, or the primary of `--workers N`) answers signals:
 * SIGTERM and SIGINT drain and exit 0 (1 if closing failed), bounded by
 * `shutdown.drainTimeoutMs` plus a grace so a component that overruns the drain cannot keep the
 * process alive; SIGHUP reloads (a broken file keeps the running state). Process-level shell,
 * used by src/cli.ts and src/cluster.ts.
 */
import type { Config } from './config/schema';
import type { Logger } from './core/logger';

export interface SignalledGateway {
  readonly currentConfig: Config;
  close(): Promise<void>;
  reload(): Promise<unknown>;
}

export interface SignalOptions {
  gw: SignalledGateway;
  logger: Logger;
  /** Added to the drain bound before the process exits regardless (ms). */
  graceMs: number;
  /** Fields of the `reloading` log line (the file, the worker count...). */
  reloadFields: Record<string, unknown>;
  /** Further work on SIGHUP after the gateway's own reload (e.g. tell the workers). */
  onReload?: () => void;
}

export function handleSignals(o: SignalOptions): void {
  const { gw, logger } = o;
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: sig }, 'stopping');
    const drainMs = gw.currentConfig.shutdown.drainTimeoutMs;
    setTimeout(() => {
      logger.warn({ drainTimeoutMs: drainMs }, 'drain bound reached; exiting');
      logger.flush?.();
      process.exit(0);
    }, drainMs + o.graceMs).unref();
    gw.close().then(
      () => {
        logger.info('stopped');
        logger.flush?.();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        logger.flush?.();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    logger.info({ signal: 'SIGHUP', ...o.reloadFields }, 'reloading');
    gw.reload().catch((err: unknown) => logger.error({ err }, 'reload failed'));
    o.onReload?.();
  });
}
