/** A path on this site to go back to after logging in: never another host (no open redirect). */
export function localPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return fallback;
  }
  return value.length <= 200 ? value : fallback;
}
