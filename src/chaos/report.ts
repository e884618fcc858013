import type { ChaosReport, ExperimentResult } from './contract.ts';

/** A fixed-width table of the experiments, then one line per skipped experiment. */
export function chaosTable(report: ChaosReport): string {
  const rows: string[][] = [['experiment', 'target', 'requests', 'failed', 'noticed', 'failed after', 'recovery', 'jobs', 'failed dispatch', 'lost', 'duplicated']];
  for (const e of report.experiments) {
    rows.push([
      e.kind,
      e.target,
      String(e.requests),
      String(e.failedRequests),
      e.noticedMs === undefined ? '-' : `${seconds(e.noticedMs)} ${e.noticedBy ?? ''}`.trim(),
      e.failedAfterNoticed === undefined ? '-' : String(e.failedAfterNoticed),
      recovery(e),
      String(e.dispatched),
      String(e.failedDispatches),
      String(e.jobsLost),
      String(e.jobsDuplicated),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  for (const e of report.experiments) if (e.error) lines.push(`${e.kind}: ${e.error}`);
  for (const e of report.experiments) if (e.midJob) lines.push(`${e.kind}: the job it was running when killed (#${e.midJob.n}) ran to its end ${e.midJob.runs === 1 ? 'once' : `${e.midJob.runs} times`}`);
  for (const s of report.skipped) lines.push(`${s.kind}: skipped (${s.reason})`);
  return `${lines.join('\n')}\n`;
}

function recovery(e: ExperimentResult): string {
  if (e.error) return 'error';
  return e.recovered ? seconds(e.recoveryMs) : `> ${seconds(e.recoveryMs)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
