#!/usr/bin/env node
/**
 * The PPG's durable queue at scale (issue 12 goal: 100 000 pending pushes within 300 MB RSS).
 *
 *   node --expose-gc bench/ppg/queue-memory.js [--pushes 100000] [--batch 200] [--fsync true]
 *
 * Fills a PushQueue (dist/ppg/queue.js) with N pending pushes (one PLMN address, an
 * m-notification-ind of ~150 octets each: what an MMSC sends), journalled through
 * dist/ppg/journal.js in batches of concurrent appends (group commit), then reports RSS and heap
 * per pending push, the journal's size, writes and fdatasyncs, and how long a restart takes
 * (read + replay + compaction of the journal). The restart runs in a fresh process (this script
 * with `--restart DIR`), as a real restart does, so its RSS is that of a gateway that replayed
 * the journal and nothing else. Prints one JSON line. Needs `npm run build`.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const wapgw = require('../lib/wapgw');
const { PushQueue } = wapgw.ppgQueue;
const { Journal } = wapgw.ppgJournal;
const { parsePapAddress } = wapgw.pap;
const { buildNotificationInd, encodeMms } = wapgw.mms;

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const N = Number(arg('pushes', 100000));
const BATCH = Number(arg('batch', 200));
const FSYNC = arg('fsync', 'true') === 'true';
const gc = () => (global.gc ? (global.gc(), global.gc()) : undefined);
const mb = (b) => Math.round((b / 1048576) * 10) / 10;

/** A restart in this (fresh) process: open, replay and compact the journal in `dir`, then RSS. */
async function restart(dir) {
  gc();
  const base = process.memoryUsage();
  const limits = { maxPending: N + 10, maxFinished: 1000, retainMs: 3600000, defaultLifetimeMs: 86400000 };
  const t1 = process.hrtime.bigint();
  const r = new PushQueue(limits);
  const again = await Journal.open({ dir, fsync: FSYNC, compactMinBytes: 1 << 30 }, (rec) => r.replayOne(rec));
  const replayMs = Number(process.hrtime.bigint() - t1) / 1e6;
  await again.journal.compactNow(() => r.snapshot());
  const restartMs = Number(process.hrtime.bigint() - t1) / 1e6;
  await again.journal.close();
  const peak = process.memoryUsage().rss;
  gc();
  const after = process.memoryUsage();
  return {
    replayedPushes: r.size,
    replaySeconds: Math.round(replayMs) / 1000,
    withCompactionSeconds: Math.round(restartMs) / 1000,
    rssMb: mb(after.rss),
    rssPeakMb: mb(peak),
    heapDeltaMb: mb(after.heapUsed - base.heapUsed),
    externalDeltaMb: mb(after.external + after.arrayBuffers - base.external - base.arrayBuffers),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-bench-ppg-'));
  const limits = { maxPending: N + 10, maxFinished: 1000, retainMs: 3600000, defaultLifetimeMs: 86400000 };
  try {
    gc();
    const base = process.memoryUsage();
    const q = new PushQueue(limits);
    const { journal } = await Journal.open({ dir, fsync: FSYNC, compactMinBytes: 1 << 30 });
    const t0 = process.hrtime.bigint();
    const now = Date.now();
    for (let i = 0; i < N; i += BATCH) {
      const waits = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const body = encodeMms(buildNotificationInd({ transactionId: `T${j}`, messageSize: 20000, expiry: 604800, contentLocation: `http://mmsc.example.net/mms/${j.toString(36).padStart(22, 'x')}` }));
        const { records } = q.add(
          {
            initiator: 'user:mmsc',
            pushId: `${j}@mmsc.example.net`,
            version: '2.0',
            contentType: 'application/vnd.wap.mms-message',
            applicationId: 4,
            body,
            addresses: [parsePapAddress(`WAPPUSH=+49170${String(j).padStart(7, '0')}/TYPE=PLMN`)],
            deliverAfter: now + 3600000, // pending: nothing is due during the run
          },
          now,
        );
        waits.push(journal.append(records));
      }
      await Promise.all(waits);
    }
    const fillMs = Number(process.hrtime.bigint() - t0) / 1e6;
    gc();
    const full = process.memoryUsage();
    const stats = { writes: journal.writes, syncs: journal.syncs, bytes: journal.bytes };
    await journal.close();
    // restart: read, replay, compact, in a fresh process
    const child = require('node:child_process').spawnSync(process.execPath, ['--expose-gc', __filename, '--restart', dir, '--pushes', String(N), '--fsync', String(FSYNC)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`the restart process failed: ${child.stderr}`);
    const restarted = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
    console.log(
      JSON.stringify({
        pushes: N,
        held: q.size, // keeps the queue alive until after the measurement
        fsync: FSYNC,
        batch: BATCH,
        fillSeconds: Math.round(fillMs) / 1000,
        acceptedPerSecond: Math.round(N / (fillMs / 1000)),
        journal: { mb: mb(stats.bytes), writes: stats.writes, fdatasyncs: stats.syncs, pushesPerSync: Math.round((N / Math.max(1, stats.syncs)) * 10) / 10 },
        rssMb: mb(full.rss),
        rssDeltaMb: mb(full.rss - base.rss),
        heapDeltaMb: mb(full.heapUsed - base.heapUsed),
        externalDeltaMb: mb(full.external + full.arrayBuffers - base.external - base.arrayBuffers),
        bytesPerPush: Math.round((full.rss - base.rss) / N),
        restart: restarted,
        loadavg: require('node:os').loadavg().map((x) => Math.round(x * 100) / 100),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const restartDir = arg('restart', '');
(restartDir ? restart(restartDir).then((r) => console.log(JSON.stringify(r))) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
