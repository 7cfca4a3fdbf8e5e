/**
 * Connection profiles, shared by the TypeScript client (`Faaspot.fromProfile`) and the `fas` CLI.
 *
 * The file is the original FaaSpot client's: `~/.faaspot/fasconf.yaml` (the directory from
 * `FAASPOT_DIR`, the file name from `FAASPOT_CONFIG`), holding
 *
 * ```yaml
 * faaspot:
 *   profile: local            # the current profile
 *   profiles:
 *     local: {host: 127.0.0.1, port: 8080, protocol: http, token: ...}
 * ```
 *
 * `FAASPOT_URL` and `FAASPOT_TOKEN` override the profile's address and token. This module is the only
 * place on the client side that reads the environment.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { FaaspotError } from './errors.js';

/** How to reach one FaaSpot server. */
export interface Profile {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  /** The API token; `''` when the profile has none. */
  token: string;
}

/** The profiles of the file and which one is current. */
export interface Profiles {
  current: string | null;
  profiles: Record<string, Profile>;
}

/** The variables the client reads; `process.env` by default. */
export interface ClientEnv {
  FAASPOT_URL?: string | undefined;
  FAASPOT_TOKEN?: string | undefined;
  FAASPOT_DIR?: string | undefined;
  FAASPOT_CONFIG?: string | undefined;
}

/** Where a connection's settings came from. */
export interface Connection {
  url: string;
  token: string;
  /** The profile used, `null` when none was (the environment gave everything, or no profile exists). */
  profile: string | null;
}

export interface ConnectionOptions {
  /** A profile name instead of the file's current one. */
  profile?: string;
  /** The variables to read instead of `process.env`. */
  env?: ClientEnv;
  /** The profile file instead of the one `env` points to. */
  path?: string;
}

/** The address used when neither a profile nor `FAASPOT_URL` gives one: the server's own default. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The fields of a new profile that are not given. */
export const PROFILE_DEFAULTS: Readonly<Omit<Profile, 'token'>> = Object.freeze({ host: '127.0.0.1', port: 8080, protocol: 'http' });

/** The process environment, read here and nowhere else on the client side. */
export function clientEnv(): ClientEnv {
  const { FAASPOT_URL, FAASPOT_TOKEN, FAASPOT_DIR, FAASPOT_CONFIG } = process.env;
  return { FAASPOT_URL, FAASPOT_TOKEN, FAASPOT_DIR, FAASPOT_CONFIG };
}

/**
 * The profile file's path: `$FAASPOT_DIR/$FAASPOT_CONFIG`, by default `~/.faaspot/fasconf.yaml`.
 * An absolute `FAASPOT_CONFIG` is used as it is.
 */
export function profilePath(env: ClientEnv = clientEnv()): string {
  const dir = env.FAASPOT_DIR?.trim() || join(homedir(), '.faaspot');
  const file = env.FAASPOT_CONFIG?.trim() || 'fasconf.yaml';
  return resolve(dir, file);
}

/** `protocol://host:port` of a profile. */
export function profileUrl(profile: Pick<Profile, 'host' | 'port' | 'protocol'>): string {
  const host = profile.host.includes(':') && !profile.host.startsWith('[') ? `[${profile.host}]` : profile.host;
  return `${profile.protocol}://${host}:${profile.port}`;
}

/** Reads the profile file; a missing file has no profiles. Throws CONFIG_ERROR for a file it cannot use. */
export function readProfiles(path: string = profilePath()): Profiles {
  const section = faaspotSection(readRaw(path), path);
  const profiles: Record<string, Profile> = {};
  const rawProfiles = section.profiles;
  if (rawProfiles !== undefined && rawProfiles !== null) {
    if (!isObject(rawProfiles)) throw configError(path, '`faaspot.profiles` is not a mapping of profile names');
    for (const [name, raw] of Object.entries(rawProfiles)) profiles[name] = checkedProfile(raw, name, path);
  }
  const current = section.profile;
  if (current !== undefined && current !== null && typeof current !== 'string') {
    throw configError(path, '`faaspot.profile` (the current profile) is not a name');
  }
  return { current: current || null, profiles };
}

/**
 * Writes the profiles to the file (mode 0600, its directory created with mode 0700), keeping any other
 * keys the file holds. The file is replaced whole, so a reader never sees half of it.
 */
export function writeProfiles(data: Profiles, path: string = profilePath()): void {
  const raw = readRaw(path);
  const root: Record<string, unknown> = isObject(raw) ? { ...raw } : {};
  const oldSection = isObject(root.faaspot) ? root.faaspot : {};
  const oldProfiles = isObject(oldSection.profiles) ? oldSection.profiles : {};
  const profiles: Record<string, unknown> = {};
  for (const [name, profile] of Object.entries(data.profiles)) {
    const old = oldProfiles[name];
    profiles[name] = { ...(isObject(old) ? old : {}), ...profile };
  }
  root.faaspot = { ...oldSection, profile: data.current, profiles };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, stringify(root), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * The URL and token to use: `FAASPOT_URL` and `FAASPOT_TOKEN` when set, else those of the profile
 * (`options.profile`, else the file's current one). Without a URL from either, the server's default
 * address; without a token, CONFIG_ERROR.
 *
 * @example const { url, token } = resolveConnection(); // what `Faaspot.fromProfile()` uses
 */
export function resolveConnection(options: ConnectionOptions = {}): Connection {
  const env = options.env ?? clientEnv();
  const envUrl = env.FAASPOT_URL?.trim() || undefined;
  const envToken = env.FAASPOT_TOKEN?.trim() || undefined;
  let profileName: string | null = null;
  let profile: Profile | undefined;
  if (options.profile !== undefined || !envUrl || !envToken) {
    const path = options.path ?? profilePath(env);
    const data = readProfiles(path);
    profileName = options.profile ?? data.current;
    if (profileName !== null) {
      profile = data.profiles[profileName];
      if (!profile) {
        throw new FaaspotError('CONFIG_ERROR', `No profile named ${JSON.stringify(profileName)} in ${path}; see \`fas profiles list\``);
      }
    }
  }
  const url = envUrl ?? (profile ? profileUrl(profile) : DEFAULT_URL);
  checkUrl(url, envUrl ? 'FAASPOT_URL' : `profile ${JSON.stringify(profileName)}`);
  const token = envToken ?? (profile?.token || undefined);
  if (!token) {
    throw new FaaspotError(
      'CONFIG_ERROR',
      profile
        ? `The profile ${JSON.stringify(profileName)} has no token: set one with \`fas profiles update ${profileName} --token TOKEN\`, or set FAASPOT_TOKEN`
        : 'No FaaSpot token: set FAASPOT_TOKEN (and FAASPOT_URL), or create a profile with `fas profiles create NAME --token TOKEN`',
    );
  }
  return { url, token, profile: profile ? profileName : null };
}

function checkUrl(url: string, source: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FaaspotError('CONFIG_ERROR', `The server URL from ${source} is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new FaaspotError('CONFIG_ERROR', `The server URL from ${source} must start with http:// or https://; got ${JSON.stringify(url)}`);
  }
}

function readRaw(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw configError(path, `it cannot be read (${(error as Error).message})`);
  }
  try {
    return parse(text) as unknown;
  } catch (error) {
    throw configError(path, `it is not valid YAML (${(error as Error).message.split('\n')[0] ?? ''})`);
  }
}

function faaspotSection(raw: unknown, path: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw configError(path, 'it is not a YAML mapping');
  const section = raw.faaspot;
  if (section === undefined || section === null) return {};
  if (!isObject(section)) throw configError(path, '`faaspot` is not a mapping');
  return section;
}

function checkedProfile(raw: unknown, name: string, path: string): Profile {
  if (!isObject(raw)) throw configError(path, `the profile ${JSON.stringify(name)} is not a mapping`);
  const where = `the profile ${JSON.stringify(name)}`;
  const host = raw.host ?? PROFILE_DEFAULTS.host;
  if (typeof host !== 'string' || host.trim() === '') throw configError(path, `${where} has no usable \`host\``);
  const port = parsePort(raw.port ?? PROFILE_DEFAULTS.port);
  if (port === undefined) throw configError(path, `${where} has a \`port\` that is not a number from 1 to 65535`);
  const protocol = parseProtocol(raw.protocol ?? PROFILE_DEFAULTS.protocol);
  if (protocol === undefined) throw configError(path, `${where} has a \`protocol\` other than http or https`);
  const token = raw.token ?? '';
  if (typeof token !== 'string') throw configError(path, `${where} has a \`token\` that is not text`);
  return { host: host.trim(), port, protocol, token };
}

/** A port from a number or its text; `undefined` when it is not one. */
export function parsePort(raw: unknown): number | undefined {
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535 ? value : undefined;
}

/** `http` or `https` (in any case); `undefined` for anything else. */
export function parseProtocol(raw: unknown): Profile['protocol'] | undefined {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  return value === 'http' || value === 'https' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function configError(path: string, why: string): FaaspotError {
  return new FaaspotError('CONFIG_ERROR', `The profile file ${path} cannot be used: ${why}`);
}
