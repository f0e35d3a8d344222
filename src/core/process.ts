/**
 * Whether a process with this id exists: signal 0 delivers nothing and only checks (POSIX
 * kill(2)); EPERM means it exists but belongs to someone else. Used to tell a lock or an open
 * file left by a dead process from one held by a live one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
