/**
 * The JSON text of a parsed JSON value with every object's keys in sorted order, and no spaces: two
 * values are equal as JSON (whatever their key order) exactly when their canonical texts are equal.
 * Recursive: meant for values whose depth was bounded on the way in (see `MAX_JSON_DEPTH`).
 *
 * @example canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // Written out as text, never rebuilt as an object: a key such as `__proto__` stays a plain key.
    const members = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
