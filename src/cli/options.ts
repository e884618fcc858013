import { InvalidArgumentError } from 'commander';

/** commander parsers for numeric flags: a bad value is a usage error (exit 2) naming the flag's rule. */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return Number(value);
}

export function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError('must be a number of seconds ≥ 0');
  return Number(value);
}

/** `high,default` → ['high', 'default']. */
export function queueList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => !/^[A-Za-z0-9_-]{1,64}$/.test(n))) throw new InvalidArgumentError('must be queue names (letters, digits, _ -) separated by commas');
  return names;
}
