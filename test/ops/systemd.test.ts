import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const UNIT = 'systemd/wapgw.service';
const text = readFileSync(UNIT, 'utf8');
const directives = text
  .split('\n')
  .filter((l) => /^[A-Za-z]+=/.test(l))
  .map((l) => l.trim());

t.test('the unit has the hardening and lifecycle the README promises', async (t) => {
  for (const d of [
    'DynamicUser=yes',
    'ProtectSystem=strict',
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallFilter=@system-service',
    'Restart=on-failure',
    'ExecReload=/bin/kill -HUP $MAINPID',
  ]) {
    t.ok(directives.includes(d), d);
  }
  t.ok(directives.some((d) => /^Type=(simple|notify)$/.test(d)), 'Type=simple or notify');
  t.notOk(directives.some((d) => d.startsWith('MemoryDenyWriteExecute=')), "no MemoryDenyWriteExecute (V8's JIT needs W+X)");
  t.notOk(directives.some((d) => d.startsWith('AmbientCapabilities=') && d !== 'AmbientCapabilities='), 'no capabilities');
  const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
  t.ok(stop >= 5, 'systemd waits longer than the 4 s drain before SIGKILL');
});

const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
const analyze = which.status === 0 ? which.stdout.trim() : null;

t.test('systemd-analyze verify and security', { skip: analyze ? false : 'systemd-analyze not installed (apt-get install systemd)' }, async (t) => {
  // Verify a copy whose ExecStart names this machine's node, so the check does not depend on
  // node living in /usr/bin here.
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-unit-'));
  const copy = join(dir, 'wapgw.service');
  writeFileSync(copy, text.replaceAll('/usr/bin/node', process.execPath));
  const v = spawnSync(analyze as string, ['verify', copy], { encoding: 'utf8' });
  t.equal(v.status, 0, `verify exit status; stderr: ${v.stderr}`);
  t.notMatch(v.stderr, /wapgw\.service/, 'no complaint about the unit');

  const s = spawnSync(analyze as string, ['security', '--offline=true', copy], { encoding: 'utf8' });
  const m = /Overall exposure level for wapgw\.service: (\d+(?:\.\d+)?)/.exec(s.stdout + s.stderr);
  t.ok(m, `security printed an exposure level; output: ${s.stderr}`);
  const level = Number(m?.[1]);
  t.ok(level <= 2.0, `exposure ${level} <= 2.0`);
});
