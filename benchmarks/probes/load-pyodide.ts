/**
 * Child program of the benchmark, run in a fresh `node` process: one plain `loadPyodide()`, with
 * none of FaaSpot's layers, as the baseline of interpreter boot time and memory. Prints one JSON
 * line: `{"loadMs", "rssBeforeBytes", "rssAfterBytes"}`; the RSS before is taken once Pyodide's
 * JavaScript is imported, so the growth is the interpreter's alone.
 */
import { loadPyodide } from 'pyodide';
import { vmRssBytes } from '../vm-rss.js';

const rssBeforeBytes = vmRssBytes();
const started = performance.now();
const pyodide = await loadPyodide();
const loadMs = performance.now() - started;
// Proves the interpreter usable; it runs before the second reading, as a server's first run would.
if (pyodide.runPython('1 + 1') !== 2) throw new Error('Pyodide could not add');
const rssAfterBytes = vmRssBytes();
process.stdout.write(`${JSON.stringify({ loadMs, rssBeforeBytes, rssAfterBytes })}\n`, () => process.exit(0));
