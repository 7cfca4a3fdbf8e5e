import { ConfigError, loadConfig } from './config.js';
import { serve } from './serve.js';

serve(loadConfig()).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `faaspot: ${error.message}` : error);
  process.exit(1);
});
