import assert from 'node:assert/strict';
import type { ChaosReport } from '../../src/chaos/contract.ts';
import { describeResult, type CliResult } from '../support/cli.ts';

/** The report `marg chaos --json` printed (stdout is the report alone), or a failure showing the run. */
export function parseReport(result: CliResult): ChaosReport {
  try {
    return JSON.parse(result.stdout) as ChaosReport;
  } catch {
    assert.fail(`marg chaos --json printed no report: ${describeResult(result)}`);
  }
}
