/**
 * The composition root: builds every component from the config, wires them together, starts
 * them, and stops them in reverse order. Nothing else creates sockets or long-lived objects.
 * Components implement `Component`; `start` returns the addresses it really listens on.
 */
import type { Config } from './config/schema';
import type { Logger } from './core/logger';

export interface Listening {
  name: string;
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
}

export interface Component {
  readonly name: string;
  start(): Promise<Listening[]>;
  /** Stop accepting; let in-flight work finish until `deadline` (ms since epoch); release everything. */
  close(deadline: number): Promise<void>;
}

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  configFile?: string;
}

export class Gateway {
  readonly components: Component[] = [];
  readonly listening: Listening[] = [];
  private config: Config;
  private readonly logger: Logger;
  private started = false;

  constructor(deps: GatewayDeps) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.build();
  }

  /** Builds components in start order. Each later part adds its own here. */
  private build(): void {
    // (component factories are added here by the parts that provide them)
  }

  get currentConfig(): Config {
    return this.config;
  }

  async start(): Promise<Listening[]> {
    for (const c of this.components) {
      const ls = await c.start();
      for (const l of ls) {
        this.listening.push(l);
        this.logger.info({ component: c.name, protocol: l.protocol, address: l.address, port: l.port }, 'listening');
      }
    }
    this.started = true;
    return this.listening;
  }

  async close(drainMs = this.config.shutdown.drainTimeoutMs): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const deadline = Date.now() + drainMs;
    for (const c of [...this.components].reverse()) {
      try {
        await c.close(deadline);
      } catch (err) {
        this.logger.error({ component: c.name, err }, 'error while stopping');
      }
    }
  }
}
