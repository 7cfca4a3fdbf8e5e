/**
 * The FaaSpot client: `import { Faaspot } from 'faaspot'`.
 *
 * @example
 * import { Faaspot, FaaspotError } from 'faaspot';
 * const faaspot = Faaspot.fromProfile(); // ~/.faaspot/fasconf.yaml, or FAASPOT_URL and FAASPOT_TOKEN
 * const id = await faaspot.functions.run('hello', { name: 'user1' });
 * const record = await faaspot.executions.wait(id);
 * console.log(record.status, record.output);
 */
export { Faaspot, FunctionsApi, ExecutionsApi, TokensApi, type FaaspotOptions } from './client.js';
export {
  FaaspotError,
  FunctionRunError,
  isServerErrorCode,
  type ClientErrorCode,
  type FaaspotErrorCode,
  type ServerErrorCode,
} from './errors.js';
export {
  DEFAULT_URL,
  PROFILE_DEFAULTS,
  profilePath,
  profileUrl,
  readProfiles,
  resolveConnection,
  writeProfiles,
  type ClientEnv,
  type Connection,
  type ConnectionOptions,
  type Profile,
  type Profiles,
} from './profile.js';
export {
  isTerminal,
  TERMINAL_STATUSES,
  type CallbackKeyInfo,
  type CreatedToken,
  type CreateFunctionOptions,
  type DeletedFunction,
  type ExecutionCallbackInfo,
  type ExecutionErrorInfo,
  type ExecutionPage,
  type ExecutionRecord,
  type ExecutionStatus,
  type FunctionContext,
  type FunctionInfo,
  type ListExecutionsOptions,
  type RunArgs,
  type StartOptions,
  type TokenInfo,
  type UpdateFunctionOptions,
} from './types.js';
