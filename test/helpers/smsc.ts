/**
 * A test SMSC: a real SMPP 3.4 server (src/demo/smsc.ts over the npm `smpp` package's server
 * mode, not a mock of our client) on a free loopback port. It records every submit_sm, answers
 * with the status a test chooses (`answer`: e.g. 0x58 ESME_RTHROTTLED, 0x14 ESME_RMSGQFUL), sends
 * deliver_sm receipts, and keeps the octets of every TCP connection for a pcap (tcpSegments()).
 *
 *   const smsc = await startSmsc({ answer: (s, n) => (n === 1 ? 0x58 : 0) });
 *   ... smsc.port, smsc.submits ...
 *   await smsc.close();
 */
import { DemoSmsc, type DemoSmscOptions, type SubmitRecord } from '../../src/demo/smsc';

export interface CapturedChunk {
  connection: number;
  direction: 'in' | 'out';
  bytes: Buffer;
}

export interface TestSmsc {
  port: number;
  submits: SubmitRecord[];
  chunks: CapturedChunk[];
  server: DemoSmsc;
  /** Waits until `n` submits were recorded (or fails after `ms`). */
  waitSubmits(n: number, ms?: number): Promise<SubmitRecord[]>;
  close(): Promise<void>;
}

export interface TestSmscOptions extends Omit<DemoSmscOptions, 'answer' | 'capture'> {
  /** Status for the n-th submit_sm (1-based, over the SMSC's life); 0 accepts. */
  answer?: (s: Omit<SubmitRecord, 'status' | 'messageId'>, n: number) => number;
}

export async function startSmsc(o: TestSmscOptions = {}): Promise<TestSmsc> {
  const chunks: CapturedChunk[] = [];
  let n = 0;
  const { answer, ...rest } = o;
  const server = new DemoSmsc({
    ...rest,
    maxRecorded: o.maxRecorded ?? 1_000_000,
    ...(answer ? { answer: (s) => answer(s, ++n) } : {}),
    capture: (connection, direction, bytes) => chunks.push({ connection, direction, bytes }),
  });
  await server.start();
  return {
    port: server.port,
    submits: server.submits,
    chunks,
    server,
    async waitSubmits(count, ms = 5000) {
      const until = Date.now() + ms;
      while (server.submits.length < count) {
        if (Date.now() > until) throw new Error(`test SMSC: ${server.submits.length} submits, wanted ${count}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return server.submits;
    },
    close: () => server.close(),
  };
}
