import { readFileSync } from 'node:fs';

/** Resident set size of a process (or this one), from the kernel's own count: `VmRSS` in /proc/PID/status. */
export function vmRssBytes(pid: number | 'self' = 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
