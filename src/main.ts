import { ConfigError, loadConfig } from './config.js';
import { serve } from './serve.js';

function fail(error: unknown): never {
  console.error(error instanceof ConfigError ? `faaspot: ${error.message}` : error);
  process.exit(1);
}

// A setting that cannot be used is reported as its message alone, like any other refusal to start.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error);
}
serve(config).catch(fail);
