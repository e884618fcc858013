import { spawn } from 'node:child_process';

const HOOK_TIMEOUT_MS = 30_000;

/**
 * Runs an operator's kill command (`--kill-cmd web='ssh web2 sudo systemctl kill -s KILL marg-web'`)
 * through `sh -c`, with MARG_CHAOS_EXPERIMENT and, when known, MARG_CHAOS_HOST/PORT in its
 * environment. Bounded; a non-zero exit fails the experiment with the command's own output.
 */
export function runKillHook(command: string, env: Readonly<Record<string, string>>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), HOOK_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`kill command could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kill command ${signal ? `was stopped after ${HOOK_TIMEOUT_MS / 1000} s` : `exited ${code}`}: ${output.trim().slice(-300) || '(no output)'}`));
    });
  });
}
