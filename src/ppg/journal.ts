/**
 * The push queue's journal in `ppg.stateDir`: plain files, node:fs only (no database server,
 * nothing to download at install).
 *
 * - `journal.jsonl`: one JSON record per line (src/ppg/queue.ts JournalRecord), append-only.
 * - Group commit: the records appended in one event-loop iteration (the requests read in it),
 *   and those appended while an fdatasync is in progress, are written together (one write(2) on
 *   this thread, at the end of the iteration: setImmediate), then one fdatasync (in the thread
 *   pool) covers them all; each `append()` resolves only after the fdatasync that covers its
 *   records (with `fsync: false`, after the write() only: survives a process crash, not a power
 *   loss).
 * - Compaction: when the file has grown past `compactMinBytes` and twice the size of the last
 *   snapshot, the live state is written to `journal.jsonl.tmp`, fdatasync'd, renamed over the
 *   journal and the directory fsync'd (POSIX rename is atomic: a crash leaves the old or the
 *   new file, never half of one).
 * - Reading: a last line cut short by a crash is ignored (it was never acknowledged); a bad
 *   line inside the file is skipped and counted. The file is read in 1 MB chunks and each record
 *   handed to the caller as soon as its line is parsed, so a restart never holds the whole file
 *   (as one string) and every parsed record at once: with 100 000 pending pushes that pair was
 *   a peak of ~80 MB over the queue itself, which the process kept as RSS afterwards.
 * - `lock`: holds the pid of the process using the directory; a second live process is refused.
 */
import { closeSync, existsSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { WapgwError } from '../core/errors';
import type { JournalRecord } from './queue';
import { processAlive } from '../core/process';

export interface JournalOptions {
  dir: string;
  fsync: boolean;
  compactMinBytes: number;
}

export interface JournalReadStats {
  records: number;
  /** Lines that did not parse inside the file (skipped). */
  corrupt: number;
  /** A torn last line was dropped. */
  torn: boolean;
  bytes: number;
}

interface Waiter {
  /** The records' JSON lines, each line's newline included except the last's (written by the loop). */
  data: string;
  /** Waits for the fdatasync (with `fsync`); false: for the write() only. */
  sync: boolean;
  /** Called once: with undefined when the records are written (and synced when `sync`), else with the error. */
  done: (e: unknown) => void;
}

const FILE = 'journal.jsonl';
const noop = (): void => undefined;

/** Tells a waiter; a callback that throws must not stop the others being told. */
function settle(w: Waiter, e: unknown): void {
  try {
    w.done(e);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** The records as JSON lines, the last without its newline (the writer adds it). */
function lines(records: readonly JournalRecord[]): string {
  let data = JSON.stringify(records[0]);
  for (let i = 1; i < records.length; i++) data += `\n${JSON.stringify(records[i])}`;
  return data;
}

export class Journal {
  private fh: FileHandle | undefined;
  private queue: Waiter[] = [];
  /** The writer is at work (a batch or a compaction); idleWaiters wait for it to stop. */
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  private compactWanted: (() => Iterable<JournalRecord>) | undefined;
  private closed = false;
  /** Bytes in the journal file now, and in the last snapshot written. */
  bytes = 0;
  private snapshotBytes = 0;
  writes = 0;
  syncs = 0;
  compactions = 0;
  /** The last compaction failure (the journal keeps appending to the old file meanwhile). */
  compactError: Error | undefined;

  private constructor(private readonly opts: JournalOptions) {}

  /**
   * Opens (creating) the state directory, takes its lock and reads every record, in file order:
   * each one goes to `onRecord` as it is read (then `records` is empty), or, without
   * `onRecord`, into `records`.
   */
  static async open(opts: JournalOptions, onRecord?: (r: JournalRecord) => void): Promise<{ journal: Journal; records: JournalRecord[]; stats: JournalReadStats }> {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    takeLock(opts.dir);
    const j = new Journal(opts);
    const path = join(opts.dir, FILE);
    const records: JournalRecord[] = [];
    const stats = existsSync(path) ? readJournalFile(path, onRecord ?? ((r) => records.push(r))) : { records: 0, corrupt: 0, torn: false, bytes: 0 };
    j.bytes = stats.bytes;
    j.snapshotBytes = stats.bytes;
    j.fh = await open(path, 'a', 0o600);
    return { journal: j, records, stats };
  }

  /**
   * Writes the records; resolves once they are durable (see the fsync policy above). With
   * `sync: false` it resolves after the write() and the records are fdatasync'd by the next
   * batch that is (for state changes nobody waits for: one fdatasync fewer per push).
   */
  append(records: readonly JournalRecord[], { sync = true }: { sync?: boolean } = {}): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new WapgwError('ERR_PPG_JOURNAL_CLOSED', 'the push journal is closed'));
    const data = lines(records);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, sync, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.kick();
    });
  }

  /**
   * `append(records)` without a promise: `done` is called once, with undefined when the records
   * are durable (the same policy), else with the error. For the push-message path, whose answer
   * waits for it (no promise between the PAP request and its 1001).
   */
  appendWith(records: readonly JournalRecord[], done: (e: unknown) => void): void {
    if (records.length === 0) return done(undefined);
    if (this.closed) return done(new WapgwError('ERR_PPG_JOURNAL_CLOSED', 'the push journal is closed'));
    this.queue.push({ data: lines(records), sync: true, done });
    this.kick();
  }

  /**
   * `append(records, { sync: false })` without a promise: for state changes nobody waits for
   * (a delivery's outcome), so the delivery path allocates none; a failed write calls `onError`.
   */
  appendLater(records: readonly JournalRecord[], onError: (e: unknown) => void): void {
    if (records.length === 0) return;
    if (this.closed) return onError(new WapgwError('ERR_PPG_JOURNAL_CLOSED', 'the push journal is closed'));
    this.queue.push({ data: lines(records), sync: false, done: onError === this.lastOnError ? this.lastLater : this.laterFor(onError) });
    this.kick();
  }

  /** appendLater's `done` for the last onError it was given (one function, not one per call). */
  private lastOnError: ((e: unknown) => void) | undefined;
  private lastLater: (e: unknown) => void = noop;
  private laterFor(onError: (e: unknown) => void): (e: unknown) => void {
    this.lastOnError = onError;
    this.lastLater = (e) => {
      if (e !== undefined) onError(e);
    };
    return this.lastLater;
  }

  /** Asks for a compaction from `snapshot` (the live state) at the next write; no-op below the threshold. */
  maybeCompact(snapshot: () => Iterable<JournalRecord>): void {
    if (this.bytes < this.opts.compactMinBytes || this.bytes < 2 * this.snapshotBytes) return;
    this.compactWanted = snapshot;
    this.kick();
  }

  /** Compacts now (at start, after replay); rejects when the compaction failed. */
  async compactNow(snapshot: () => Iterable<JournalRecord>): Promise<void> {
    this.compactWanted = snapshot;
    const before = this.compactions;
    this.kick();
    await this.idle();
    if (this.compactions === before) throw this.compactError ?? new WapgwError('ERR_PPG_JOURNAL_WRITE', 'compaction did not run');
  }

  /** Resolves when nothing is being written (at once when the writer is idle). */
  private idle(): Promise<void> {
    return this.busy ? new Promise<void>((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private kick(): void {
    if (this.busy) return;
    this.busy = true;
    // at the end of this event-loop iteration: every record appended by the requests read in it
    // goes in the same batch (a group commit without a timer)
    setImmediate(this.runNext);
  }

  private readonly runNext = (): void => this.next();

  /**
   * The writer: one batch at a time (every waiter queued meanwhile goes in the next batch), with
   * node:fs callbacks (no promise per batch); a compaction, when asked for, before the batch.
   */
  private next(): void {
    if (this.closed || (this.queue.length === 0 && !this.compactWanted)) {
      this.busy = false;
      const w = this.idleWaiters;
      if (w.length > 0) {
        this.idleWaiters = [];
        for (const f of w) f();
      }
      return;
    }
    if (this.compactWanted) {
      // The snapshot already holds the effect of every record queued so far (the queue changes
      // memory before it asks for a write), so those records need no line of their own.
      const snap = this.compactWanted;
      this.compactWanted = undefined;
      const batch = this.queue;
      this.queue = [];
      this.compact(snap()).then(
        () => {
          for (const w of batch) settle(w, undefined);
          this.next();
        },
        (err: unknown) => {
          // keep the old journal; the queued records still go to it
          this.compactError = err as Error;
          this.queue.unshift(...batch);
          this.next();
        },
      );
      return;
    }
    const batch = this.queue;
    this.queue = [];
    // one buffer for the batch, each waiter's text written straight into it (no joined copy)
    let size = batch.length;
    for (const w of batch) size += Buffer.byteLength(w.data, 'utf8');
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    for (const w of batch) {
      at += buf.write(w.data, at, 'utf8');
      buf[at++] = 0x0a;
    }
    const failed = (err: Error): void => {
      const e = new WapgwError('ERR_PPG_JOURNAL_WRITE', `cannot write the push journal: ${err.message}`, { cause: err });
      for (const w of batch) settle(w, e);
      this.then();
    };
    const written = (): void => {
      this.bytes += buf.length;
      for (const w of batch) settle(w, undefined);
      this.then();
    };
    // The write itself on this thread: an append of a few KB to the page cache, where a trip
    // through the thread pool (and back) cost more than the write; the fdatasync, which waits for
    // the disk, in the pool.
    let fd: number;
    try {
      fd = (this.fh as FileHandle).fd;
      for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
    } catch (err) {
      // a failed write, or a file no longer open
      return failed(err as Error);
    }
    this.writes++;
    if (!this.opts.fsync || !batch.some((w) => w.sync)) return written();
    fdatasync(fd, (err) => {
      if (err) return failed(err);
      this.syncs++;
      written();
    });
  }

  /** After a batch: the next one at the end of this event-loop iteration, or idle. */
  private then(): void {
    if (this.closed || (this.queue.length === 0 && !this.compactWanted)) this.next();
    else setImmediate(this.runNext);
  }

  private async compact(records: Iterable<JournalRecord>): Promise<void> {
    const path = join(this.opts.dir, FILE);
    const tmp = `${path}.tmp`;
    const out = await open(tmp, 'w', 0o600);
    let bytes = 0;
    try {
      let chunk = '';
      for (const r of records) {
        chunk += `${JSON.stringify(r)}\n`;
        if (chunk.length > 1 << 20) {
          bytes += (await out.write(chunk)).bytesWritten;
          chunk = '';
        }
      }
      if (chunk) bytes += (await out.write(chunk)).bytesWritten;
      if (this.opts.fsync) await out.datasync();
    } finally {
      await out.close();
    }
    renameSync(tmp, path);
    if (this.opts.fsync) fsyncDir(this.opts.dir);
    await this.fh?.close();
    this.fh = await open(path, 'a', 0o600);
    this.bytes = bytes;
    this.snapshotBytes = bytes;
    this.compactions++;
  }

  /** Waits for queued writes, then closes the file and releases the lock. */
  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    await this.fh?.close();
    this.fh = undefined;
    releaseLock(this.opts.dir);
  }
}

export function parseJournal(text: string): { records: JournalRecord[]; stats: JournalReadStats } {
  const records: JournalRecord[] = [];
  const stats: JournalReadStats = { records: 0, corrupt: 0, torn: false, bytes: Buffer.byteLength(text, 'utf8') };
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  // a last line without its newline was cut by a crash before its append was acknowledged
  if (last !== '') stats.torn = true;
  for (const line of lines) parseLine(line, stats, (r) => records.push(r));
  return { records, stats };
}

function parseLine(line: string, stats: JournalReadStats, onRecord: (r: JournalRecord) => void): void {
  if (line === '') return;
  let r: JournalRecord;
  try {
    r = JSON.parse(line) as JournalRecord;
    if (typeof r !== 'object' || r === null || !('t' in r)) throw new Error('not a record');
  } catch {
    stats.corrupt++;
    return;
  }
  stats.records++;
  onRecord(r);
}

const READ_CHUNK = 1 << 20;

/**
 * Reads a journal file line by line in READ_CHUNK pieces (the same rules as parseJournal: a
 * torn last line is dropped, a bad line counted). A line ends at the octet 0x0a, which never
 * occurs inside a multi-octet UTF-8 sequence, so a line is decoded only once it is whole.
 */
export function readJournalFile(path: string, onRecord: (r: JournalRecord) => void): JournalReadStats {
  const stats: JournalReadStats = { records: 0, corrupt: 0, torn: false, bytes: 0 };
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  /** The start of a line that continues in the next chunk (a copy: `chunk` is reused). */
  let carry: Buffer | undefined;
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, READ_CHUNK, null);
      if (n === 0) break;
      stats.bytes += n;
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, 0); nl >= 0 && nl < n; nl = chunk.indexOf(0x0a, start)) {
        const line = carry ? Buffer.concat([carry, chunk.subarray(start, nl)]).toString('utf8') : chunk.toString('utf8', start, nl);
        carry = undefined;
        parseLine(line, stats, onRecord);
        start = nl + 1;
      }
      if (start < n) carry = carry ? Buffer.concat([carry, chunk.subarray(start, n)]) : Buffer.from(chunk.subarray(start, n));
    }
  } finally {
    closeSync(fd);
  }
  // a last line without its newline was cut by a crash before its append was acknowledged
  if (carry && carry.length > 0) stats.torn = true;
  return stats;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function takeLock(dir: string): void {
  const path = join(dir, 'lock');
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new WapgwError('ERR_PPG_STATE_LOCKED', `ppg.stateDir ${dir} is in use by process ${pid}`);
    }
  }
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
}

function releaseLock(dir: string): void {
  const path = join(dir, 'lock');
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) writeFileSync(path, '');
  } catch {
    // already gone
  }
}

export { FILE as JOURNAL_FILE };
