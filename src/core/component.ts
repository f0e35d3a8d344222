/**
 * The component contract: what the composition root (src/main.ts) asks of every long-lived part
 * of the gateway. A component is built from the config, `start`ed (returning the addresses it
 * really listens on), optionally shows a status snapshot and health, may take part in a SIGHUP
 * reload, and is `close`d in reverse order of start. Lives here, below every component, so no
 * component imports the composition root. `C` is the configuration a reload hands over (the
 * project's `Config`, src/config/schema.ts): a type parameter, so that src/core stays below
 * src/config (docs/architecture.md, "Layers").
 */

export interface Listening {
  name: string;
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
}

/** What a component may show in admin /status: a small JSON-able snapshot (counts, state). */
export interface StatusProvider {
  status(): Record<string, unknown>;
}

export interface Component<C = unknown> extends Partial<StatusProvider> {
  readonly name: string;
  start(): Promise<Listening[]>;
  /** Stop accepting; let in-flight work finish until `deadline` (ms since epoch); release everything. */
  close(deadline: number): Promise<void>;
  /** False while one of its listeners is down: /healthz answers 503. Absent means healthy once started. */
  healthy?(): boolean;
  /**
   * SIGHUP: check what `next` needs (re-read files...) without changing anything; throw a
   * ConfigError (one problem per line) to refuse the whole reload; return what applies it.
   * `next` is the effective config: only keys in src/ops/reload.ts LIVE_KEYS differ from the current one.
   */
  prepareReload?(next: C): Promise<(() => void) | void> | (() => void) | void;
}
