import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { HostPort } from './settings.ts';

export interface PromoteOptions {
  /** The replica to turn into the primary. */
  readonly replica: HostPort;
  /** The current primary, when it may still be alive: fenced (read-only) and waited for first. */
  readonly oldPrimary?: HostPort | undefined;
  /** An account with SUPER (or READ_ONLY ADMIN + REPLICATION SLAVE ADMIN) on both servers. */
  readonly user: string;
  readonly password: string;
  /** How long to wait for the replica to apply what it has received (and, fenced, what the old primary wrote). */
  readonly timeoutMs: number;
}

export interface PromoteReport {
  /** Whether the old primary answered and was made read-only before the promotion. */
  readonly fenced: 'fenced' | 'unreachable' | 'not given';
  /** The GTID position the promoted node had applied when it began taking writes. */
  readonly gtidPosition: string;
  readonly tookMs: number;
}

export class PromoteError extends Error {}

/**
 * `marg db:promote` for MariaDB (GTID replication, deploy/mysql): makes a replica the primary
 * without losing an acknowledged write.
 *
 * 1. Fence: when the old primary still answers, `read_only = ON` there first, so that no
 *    client writes on two primaries (split brain), then wait until the replica has everything
 *    it wrote (MASTER_GTID_WAIT on its last GTID).
 * 2. Drain: the replica applies everything its IO thread received (with semi-synchronous
 *    replication, every commit the primary acknowledged was received before it was).
 * 3. Promote: STOP SLAVE, RESET SLAVE ALL (it follows nobody), `read_only = OFF`.
 *
 * The web nodes and workers then need DB_HOST (and DB_READ_HOSTS) changed and a restart
 * (`marg cluster roll`, or the orchestrator's rolling update): docs/operations.md "Failover".
 */
export async function promoteReplica(options: PromoteOptions, say: (line: string) => void): Promise<PromoteReport> {
  const started = Date.now();
  const replica = await connect(options.replica, options).catch((error: Error) => {
    throw new PromoteError(`cannot reach the replica at ${where(options.replica)}: ${error.message}`);
  });
  try {
    const [status] = await rows(replica, 'SHOW SLAVE STATUS');
    if (!status) throw new PromoteError(`${where(options.replica)} is not a replica (SHOW SLAVE STATUS is empty): is it the primary already?`);

    let fenced: PromoteReport['fenced'] = 'not given';
    if (options.oldPrimary) {
      fenced = await fence(options.oldPrimary, options, replica, say);
    }
    // Everything received is applied before the node takes writes: the IO thread's position is the target.
    await replica.query('STOP SLAVE IO_THREAD');
    const [received] = await rows(replica, 'SHOW SLAVE STATUS');
    const target = String(received?.Gtid_IO_Pos ?? '');
    say(`Applying what the replica received (up to GTID ${target || 'none'})...`);
    if (target) await gtidWait(replica, target, options.timeoutMs, `the replica to apply its relay log up to ${target}`);
    await replica.query('STOP SLAVE');
    await replica.query('RESET SLAVE ALL');
    await replica.query('SET GLOBAL read_only = OFF');
    const [position] = await rows(replica, 'SELECT @@gtid_current_pos AS pos');
    say(`${where(options.replica)} is the primary now (read_only OFF, replicating from nobody) at GTID ${String(position?.pos ?? '')}.`);
    return { fenced, gtidPosition: String(position?.pos ?? ''), tookMs: Date.now() - started };
  } finally {
    await replica.end().catch(() => replica.destroy());
  }
}

async function fence(oldPrimary: HostPort, options: PromoteOptions, replica: Connection, say: (line: string) => void): Promise<'fenced' | 'unreachable'> {
  let primary: Connection;
  try {
    primary = await connect(oldPrimary, options);
  } catch (error) {
    say(`The old primary ${where(oldPrimary)} does not answer (${(error as Error).message}): promoting without fencing it. Keep it from starting again as a primary.`);
    return 'unreachable';
  }
  try {
    await primary.query('SET GLOBAL read_only = ON');
    const [row] = await rows(primary, 'SELECT @@gtid_binlog_pos AS pos');
    const pos = String(row?.pos ?? '');
    say(`Fenced the old primary ${where(oldPrimary)} (read_only ON); waiting for the replica to reach its GTID ${pos || 'none'}...`);
    if (pos) await gtidWait(replica, pos, options.timeoutMs, `the replica to reach the old primary's position ${pos}`);
    return 'fenced';
  } finally {
    await primary.end().catch(() => primary.destroy());
  }
}

async function gtidWait(connection: Connection, position: string, timeoutMs: number, what: string): Promise<void> {
  const [row] = await rows(connection, 'SELECT MASTER_GTID_WAIT(?, ?) AS done', [position, timeoutMs / 1000]);
  if (Number(row?.done) !== 0) throw new PromoteError(`timed out after ${timeoutMs} ms waiting for ${what}; nothing was promoted (START SLAVE on the replica resumes replication)`);
}

function connect(target: HostPort, options: PromoteOptions): Promise<Connection> {
  return createConnection({ host: target.host, port: target.port, user: options.user, password: options.password, connectTimeout: 3_000 });
}

async function rows(connection: Connection, sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const [result] = await connection.query<RowDataPacket[]>(sql, params);
  return result;
}

function where(target: HostPort): string {
  return `${target.host}:${target.port}`;
}
