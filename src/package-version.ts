import { readFileSync } from 'node:fs';

/**
 * The version in the package's package.json (`0.1.0`), or `unknown` when it cannot be read. The path
 * is relative to the compiled module, `dist/src/package-version.js`, which is what runs.
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
