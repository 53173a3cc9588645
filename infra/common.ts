// What every part of the infrastructure module needs: where things are, waiting, ports and processes.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** Broker configuration kept in the repository (server.properties, log4j.properties, the pom of its jars). */
export const KAFKA_CONFIG = path.join(ROOT, 'infra', 'kafka');
/** Everything the infrastructure writes: never committed. */
export const STATE_DIR = path.join(ROOT, '.infra');

export class InfraError extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const log = (message: string): void => console.log(`[infra] ${message}`);

/** Polls `probe` every 250 ms; a probe may throw to give up early. */
export async function waitFor(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(250);
  }
  throw new InfraError(`${what} not ready within ${timeoutMs / 1000} s`);
}

export function tail(file: string, lines = 30): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Alive and not a zombie (a zombie still answers kill(0); it is gone for our purposes). */
export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Runs a tool to completion; a missing tool or a non-zero exit is an InfraError naming it. */
export function run(cmd: string, args: string[], options: { cwd?: string; hint?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd, encoding: 'utf8' });
  if (errorCode(r.error) === 'ENOENT') throw new InfraError(`'${cmd}' not found on PATH. ${options.hint ?? ''}`.trim());
  if (r.status !== 0) throw new InfraError(`${path.basename(cmd)} ${args[0]} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Like run(), but lets other work go on meanwhile (JVM start-up is the slow part). */
export function runAsync(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new InfraError(`${path.basename(cmd)} exited ${code}:\n${output}`))));
  });
}

export function checkTool(cmd: string, args: string[], hint: string): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (errorCode(r.error) === 'ENOENT') throw new InfraError(`'${cmd}' not found on PATH. ${hint}`);
}
