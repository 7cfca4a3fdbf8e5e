/**
 * The part of JSON Schema 2020-12 that the OpenAPI document uses, enough to check real answers
 * against it. A keyword it does not know throws, so a schema can never pass by being misread.
 *
 * One rule is stricter than JSON Schema: an object schema with `properties` and no
 * `additionalProperties` is read as closed. The document leaves such objects open, so that clients
 * accept fields added later; the tests hold the server to it, so that no field goes undocumented.
 */
const ANNOTATIONS = new Set(['description', 'examples', 'default', 'title']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Schema = boolean | Record<string, unknown>;

/** What is wrong with `value` under `schema`, one line per fault; `root` resolves `$ref`s. */
export function schemaErrors(value: unknown, schema: Schema, root: unknown, at = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: no value is allowed here`];
  const errors: string[] = [];
  for (const [keyword, arg] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    errors.push(...check(keyword, arg, value, schema, root, at));
  }
  if (schema.type === 'object' && schema.properties && !('additionalProperties' in schema)) {
    errors.push(...check('additionalProperties', false, value, schema, root, at));
  }
  return errors;
}

function check(keyword: string, arg: any, value: any, schema: Record<string, unknown>, root: unknown, at: string): string[] {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  switch (keyword) {
    case '$ref':
      return schemaErrors(value, resolvePointer(root, arg as string) as Schema, root, at);
    case 'type': {
      const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      return types.some((type) => hasType(value, type)) ? [] : [`${at}: ${JSON.stringify(value)} is not of type ${types.join(' or ')}`];
    }
    case 'enum':
      return (arg as unknown[]).some((option) => same(option, value)) ? [] : [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(arg)}`];
    case 'const':
      return same(arg, value) ? [] : [`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(arg)}`];
    case 'format':
      if (typeof value !== 'string') return [];
      if (arg === 'uuid') return UUID.test(value) ? [] : [`${at}: ${JSON.stringify(value)} is not a UUID`];
      if (arg === 'uri') return URL.canParse(value) ? [] : [`${at}: ${JSON.stringify(value)} is not a URI`];
      if (arg === 'date-time') return /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value)) ? [] : [`${at}: ${value} is not a date-time`];
      throw new Error(`unknown format ${String(arg)}`);
    case 'pattern':
      return typeof value !== 'string' || new RegExp(arg as string, 'u').test(value) ? [] : [`${at}: ${JSON.stringify(value)} does not match ${String(arg)}`];
    case 'minLength':
      return typeof value !== 'string' || [...value].length >= arg ? [] : [`${at}: ${JSON.stringify(value)} is shorter than ${arg}`];
    case 'maxLength':
      return typeof value !== 'string' || [...value].length <= arg ? [] : [`${at}: ${JSON.stringify(value)} is longer than ${arg}`];
    case 'minimum':
      return typeof value !== 'number' || value >= arg ? [] : [`${at}: ${value} < ${arg}`];
    case 'maximum':
      return typeof value !== 'number' || value <= arg ? [] : [`${at}: ${value} > ${arg}`];
    case 'exclusiveMinimum':
      return typeof value !== 'number' || value > arg ? [] : [`${at}: ${value} <= ${arg}`];
    case 'minItems':
      return !Array.isArray(value) || value.length >= arg ? [] : [`${at}: fewer than ${arg} items`];
    case 'maxItems':
      return !Array.isArray(value) || value.length <= arg ? [] : [`${at}: more than ${arg} items`];
    case 'minProperties':
      return !isObject || Object.keys(value).length >= arg ? [] : [`${at}: fewer than ${arg} properties`];
    case 'items':
      return Array.isArray(value) ? value.flatMap((item, index) => schemaErrors(item, arg as Schema, root, `${at}[${index}]`)) : [];
    case 'required':
      return isObject ? (arg as string[]).filter((key) => !Object.hasOwn(value, key)).map((key) => `${at}: ${key} is missing`) : [];
    case 'properties':
      if (!isObject) return [];
      return Object.entries(arg as Record<string, Schema>).flatMap(([key, inner]) =>
        Object.hasOwn(value, key) ? schemaErrors(value[key], inner, root, `${at}.${key}`) : [],
      );
    case 'additionalProperties': {
      if (!isObject) return [];
      const known = Object.keys((schema.properties ?? {}));
      return Object.keys(value)
        .filter((key) => !known.includes(key))
        .flatMap((key) => schemaErrors(value[key], arg as Schema, root, `${at}.${key}`));
    }
    case 'allOf':
      return (arg as Schema[]).flatMap((inner) => schemaErrors(value, inner, root, at));
    case 'anyOf':
      return (arg as Schema[]).some((inner) => schemaErrors(value, inner, root, at).length === 0)
        ? []
        : [`${at}: ${JSON.stringify(value)} matches none of anyOf`];
    case 'oneOf': {
      const matching = (arg as Schema[]).filter((inner) => schemaErrors(value, inner, root, at).length === 0).length;
      return matching === 1 ? [] : [`${at}: ${JSON.stringify(value)} matches ${matching} of oneOf`];
    }
    default:
      throw new Error(`the checker does not know the keyword ${keyword} (at ${at})`);
  }
}

/** Resolves a `#/a/b` JSON pointer inside `root`; throws when it points nowhere. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#/')) throw new Error(`${pointer} is not a pointer inside the document`);
  let at: any = root;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) throw new Error(`${pointer} resolves to nothing`);
    at = at[key];
  }
  return at;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
    case 'string':
    case 'boolean':
      return typeof value === type;
    default:
      throw new Error(`unknown type ${type}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
