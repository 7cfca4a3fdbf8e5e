import {
  clientEnv,
  parsePort,
  parseProtocol,
  PROFILE_DEFAULTS,
  profilePath,
  profileUrl,
  readProfiles,
  writeProfiles,
  type Profile,
  type Profiles,
} from '../../client/profile.js';
import { flag, stringValue, type CliContext } from '../context.js';
import { CliError } from '../failure.js';
import { maskToken, table } from '../output.js';
import { UsageError, type GroupSpec, type OptionSpec, type ParsedArgs } from '../usage.js';

const DEFAULT_NAME = 'default';

const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  host: { type: 'string', value: 'HOST', help: `the server's host name or address (default ${PROFILE_DEFAULTS.host})` },
  port: { type: 'string', value: 'PORT', help: `the server's port (default ${PROFILE_DEFAULTS.port})` },
  protocol: { type: 'string', value: 'http|https', help: `how to reach it (default ${PROFILE_DEFAULTS.protocol})` },
  token: { type: 'string', short: 't', value: 'TOKEN', help: 'your API token' },
};
const SHOW_TOKEN: OptionSpec = { type: 'boolean', help: 'show the token itself rather than its first characters' };

/** The fields given on the command line. */
function givenFields(args: ParsedArgs): Partial<Profile> {
  const fields: Partial<Profile> = {};
  const host = stringValue(args, 'host');
  if (host !== undefined) {
    if (host.trim() === '') throw new UsageError('--host must not be empty');
    fields.host = host.trim();
  }
  const port = stringValue(args, 'port');
  if (port !== undefined) {
    const value = parsePort(port);
    if (value === undefined) throw new UsageError(`--port must be a number from 1 to 65535; got ${JSON.stringify(port)}`);
    fields.port = value;
  }
  const protocol = stringValue(args, 'protocol');
  if (protocol !== undefined) {
    const value = parseProtocol(protocol);
    if (value === undefined) throw new UsageError(`--protocol must be http or https; got ${JSON.stringify(protocol)}`);
    fields.protocol = value;
  }
  const token = stringValue(args, 'token');
  if (token !== undefined) fields.token = token.trim();
  return fields;
}

function shown(profile: Profile, showToken: boolean): Record<string, unknown> {
  return { ...profile, url: profileUrl(profile), token: showToken ? profile.token : maskToken(profile.token) };
}

function existing(data: Profiles, name: string | undefined): [string, Profile] {
  const chosen = name ?? data.current;
  if (chosen === null) throw new CliError('No current profile: name one, or create one with: fas profiles create NAME --token TOKEN');
  const profile = data.profiles[chosen];
  if (!profile) throw new CliError(`No profile named ${JSON.stringify(chosen)} in ${profilePath()}; see: fas profiles list`);
  return [chosen, profile];
}

/** A note on stderr when FAASPOT_URL or FAASPOT_TOKEN override what the profiles say. */
function overrideNote(ctx: CliContext): void {
  const env = clientEnv();
  const overridden = [env.FAASPOT_URL?.trim() && 'FAASPOT_URL', env.FAASPOT_TOKEN?.trim() && 'FAASPOT_TOKEN'].filter(Boolean);
  if (overridden.length > 0) ctx.io.err(`Note: ${overridden.join(' and ')} ${overridden.length > 1 ? 'are' : 'is'} set and override${overridden.length > 1 ? '' : 's'} the profile.\n`);
}

export const profilesGroup: GroupSpec<CliContext> = {
  name: 'profiles',
  summary: 'Manage connection profiles: which server to reach and with which token.',
  details: `Profiles live in ~/.faaspot/fasconf.yaml (the directory from FAASPOT_DIR, the file name from
FAASPOT_CONFIG), written with mode 0600. Every other command uses the current profile; the
variables FAASPOT_URL (such as http://127.0.0.1:8080) and FAASPOT_TOKEN override it.`,
  commands: [
    {
      name: 'create',
      summary: `Create a profile (named "${DEFAULT_NAME}" unless NAME is given); the first one becomes current.`,
      positionals: [{ name: 'NAME', required: false }],
      options: { ...CONNECTION_OPTIONS },
      examples: [
        'fas profiles create --token MY_API_TOKEN',
        'fas profiles create local --host 127.0.0.1 --port 8080 --protocol http --token $(cat data/admin-token)',
        'fas profiles create prod --host faas.example.com --port 443 --protocol https -t MY_API_TOKEN',
      ],
      run(args, ctx) {
        const name = args.positionals[0] ?? DEFAULT_NAME;
        const fields = givenFields(args);
        const data = readProfiles();
        if (data.profiles[name]) throw new CliError(`A profile named ${JSON.stringify(name)} already exists; change it with: fas profiles update ${name} ...`);
        const profile: Profile = { ...PROFILE_DEFAULTS, token: '', ...fields };
        data.profiles[name] = profile;
        const becameCurrent = data.current === null || !data.profiles[data.current];
        if (becameCurrent) data.current = name;
        writeProfiles(data);
        if (ctx.json) ctx.io.out(`${JSON.stringify({ name, current: data.current === name, ...shown(profile, false) })}\n`);
        else ctx.io.out(`Created profile ${name} (${profileUrl(profile)})${becameCurrent ? ', now the current profile' : `; use it with: fas profiles use ${name}`}\n`);
        if (profile.token === '') ctx.io.err(`Note: the profile has no token yet; add one with: fas profiles update ${name} --token TOKEN\n`);
        return 0;
      },
    },
    {
      name: 'list',
      summary: 'List the profiles; the current one is marked *.',
      positionals: [],
      options: { 'show-token': SHOW_TOKEN },
      examples: ['fas profiles list'],
      run(args, ctx) {
        const data = readProfiles();
        const showToken = flag(args, 'show-token');
        const names = Object.keys(data.profiles).sort();
        if (ctx.json) {
          const profiles = Object.fromEntries(names.map((name) => [name, shown(data.profiles[name] as Profile, showToken)]));
          ctx.io.out(`${JSON.stringify({ current: data.current, profiles })}\n`);
        } else if (names.length === 0) {
          ctx.io.err(`No profiles in ${profilePath()}; create one with: fas profiles create NAME --token TOKEN\n`);
        } else {
          const rows = names.map((name) => {
            const profile = data.profiles[name] as Profile;
            return [name === data.current ? '*' : '', name, profileUrl(profile), showToken ? profile.token : maskToken(profile.token)];
          });
          ctx.io.out(table(['CURRENT', 'NAME', 'URL', 'TOKEN'], rows));
        }
        overrideNote(ctx);
        return 0;
      },
    },
    {
      name: 'get',
      summary: 'Show a profile (the current one unless NAME is given).',
      positionals: [{ name: 'NAME', required: false }],
      options: { 'show-token': SHOW_TOKEN },
      examples: ['fas profiles get', 'fas profiles get local --show-token'],
      run(args, ctx) {
        const data = readProfiles();
        const [name, profile] = existing(data, args.positionals[0]);
        const view = { name, current: data.current === name, ...shown(profile, flag(args, 'show-token')) };
        if (ctx.json) ctx.io.out(`${JSON.stringify(view)}\n`);
        else ctx.io.out(Object.entries(view).map(([key, value]) => `${`${key}:`.padEnd(10)}${String(value)}\n`).join(''));
        return 0;
      },
    },
    {
      name: 'use',
      summary: 'Make a profile the current one.',
      positionals: [{ name: 'NAME', required: true }],
      options: {},
      examples: ['fas profiles use local'],
      run(args, ctx) {
        const data = readProfiles();
        const [name] = existing(data, args.positionals[0]);
        data.current = name;
        writeProfiles(data);
        ctx.io.out(ctx.json ? `${JSON.stringify({ current: name })}\n` : `Now using profile ${name}\n`);
        overrideNote(ctx);
        return 0;
      },
    },
    {
      name: 'current',
      summary: 'Print the name of the current profile.',
      positionals: [],
      options: {},
      examples: ['fas profiles current'],
      run(_args, ctx) {
        const data = readProfiles();
        const [name, profile] = existing(data, undefined);
        ctx.io.out(ctx.json ? `${JSON.stringify({ current: name, ...shown(profile, false) })}\n` : `${name}\n`);
        overrideNote(ctx);
        return 0;
      },
    },
    {
      name: 'update',
      summary: 'Change the host, port, protocol or token of a profile (the current one unless NAME is given).',
      positionals: [{ name: 'NAME', required: false }],
      options: { ...CONNECTION_OPTIONS },
      examples: ['fas profiles update --token NEW_TOKEN', 'fas profiles update prod --host faas2.example.com'],
      run(args, ctx) {
        const fields = givenFields(args);
        if (Object.keys(fields).length === 0) throw new UsageError('Nothing to update: give --host, --port, --protocol or --token');
        const data = readProfiles();
        const [name, profile] = existing(data, args.positionals[0]);
        const updated = { ...profile, ...fields };
        data.profiles[name] = updated;
        writeProfiles(data);
        ctx.io.out(ctx.json ? `${JSON.stringify({ name, ...shown(updated, false) })}\n` : `Updated profile ${name} (${profileUrl(updated)})\n`);
        return 0;
      },
    },
    {
      name: 'delete',
      summary: 'Delete a profile.',
      positionals: [{ name: 'NAME', required: true }],
      options: {},
      examples: ['fas profiles delete old'],
      run(args, ctx) {
        const data = readProfiles();
        const [name] = existing(data, args.positionals[0]);
        const { [name]: _removed, ...rest } = data.profiles;
        const wasCurrent = data.current === name;
        writeProfiles({ current: wasCurrent ? null : data.current, profiles: rest });
        ctx.io.out(
          ctx.json
            ? `${JSON.stringify({ deleted: name })}\n`
            : `Deleted profile ${name}${wasCurrent ? '; there is no current profile now: pick one with fas profiles use NAME' : ''}\n`,
        );
        return 0;
      },
    },
  ],
};
