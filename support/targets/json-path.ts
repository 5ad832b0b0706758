/** The value at a dotted path of a JSON value ("accessToken", "error.code", "connections.active"); undefined when any step is missing. */
export function valueAt(body: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), body);
}
