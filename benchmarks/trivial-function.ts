/**
 * The function every scenario runs: it does nothing, so the figures are the platform's overhead
 * rather than Python's speed.
 */
export const TRIVIAL_CODE = 'def main(args, context):\n    return {"hello": "world"}\n';

/** Whether `text` is the trivial function's return value as JSON. */
export function isTrivialResult(text: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === '{"hello":"world"}';
  } catch {
    return false;
  }
}
