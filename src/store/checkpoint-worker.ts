import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

/**
 * A thread of its own that moves the WAL into the database file. A checkpoint ends with an fsync,
 * which on the serving connection would stall every request behind it; here it stalls nothing.
 */
const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new SqliteDatabase(file);
db.pragma('busy_timeout = 5000');

const timer = setInterval(() => {
  try {
    // PASSIVE never waits for readers or writers; what it cannot copy now waits for the next turn.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next turn tries again.
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
