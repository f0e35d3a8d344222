#!/usr/bin/env node
'use strict';
/**
 * What an fdatasync costs after an append (the journal today: the file grows, so each fdatasync
 * also commits the size change through ext4's journal) against after an overwrite of blocks
 * written (zeros) beforehand (no metadata to commit): CPU of this process per write+fdatasync
 * and wall time, 2000 writes of 7000 octets (a batch of ~14 pushes' records) each, in
 * os.tmpdir(). The file system's journal thread (jbd2) works outside this process: its share is
 * not in these figures.
 *
 *   node bench/ppg/fsync-prealloc.js
 */
const fs = require('fs'), path = require('path'), os = require('os');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsx-'));
const N = 2000, B = Buffer.alloc(7000, 0x41);
const cpu = () => { const st = fs.readFileSync('/proc/self/stat', 'utf8').slice(fs.readFileSync('/proc/self/stat','utf8').lastIndexOf(')') + 2).split(' '); return (Number(st[11]) + Number(st[12])) * 10; };
function run(mode) {
  const f = path.join(dir, mode);
  let fd;
  if (mode === 'prealloc') { fd = fs.openSync(f, 'w+'); const z = Buffer.alloc(1 << 20); for (let i = 0; i < Math.ceil(N * B.length / z.length) + 1; i++) fs.writeSync(fd, z); fs.fsyncSync(fd); }
  else fd = fs.openSync(f, 'a');
  const c0 = cpu(), t0 = Date.now();
  for (let i = 0; i < N; i++) { if (mode === 'prealloc') fs.writeSync(fd, B, 0, B.length, i * B.length); else fs.writeSync(fd, B); fs.fdatasyncSync(fd); }
  console.log(mode, 'cpu ms per sync', ((cpu() - c0) / N).toFixed(3), 'wall ms per sync', ((Date.now() - t0) / N).toFixed(3));
  fs.closeSync(fd);
}
for (const m of ['append', 'prealloc', 'append', 'prealloc']) run(m);
fs.rmSync(dir, { recursive: true });
