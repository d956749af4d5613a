const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_557_600,
};

// The subset of jose's duration grammar that names a positive span ("15m", "2 hours", "30"), so
// options given in jose's form mean the same here.
const DURATION =
  /^(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i;

/** Seconds in `value`, a number of seconds or a duration such as `"15m"`; `TypeError` otherwise. */
export function toSeconds(value: number | string, label: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new TypeError(`@coatcheck/jwt: \`${label}\` must be a non-negative number of seconds`);
    return value;
  }
  const match = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (!match) throw new TypeError(`@coatcheck/jwt: \`${label}\` must be seconds or a duration such as "15m"`);
  const unit = (match[2] ?? 's').charAt(0).toLowerCase();
  return Math.round(Number.parseFloat(match[1]!) * UNIT_SECONDS[unit]!);
}
