import { readFileSync } from 'node:fs';
import { parsePriceTable, PriceTableError, type PriceTable } from './prices.ts';

/** A `--prices FILE`: JSON in the shape of DEFAULT_PRICES (src/plan/prices.ts), checked before use. */
export function readPriceFile(path: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PriceTableError(`cannot read the price table ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PriceTableError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parsePriceTable(value, path);
}
