// The built service (or another built program) in its own process, as production runs it: the e2e tests, the
// chaos suite and the bench start it here. Node built-ins only, so that plain Node runs it too (see ./package.json).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export const SERVICE_MAIN = 'dist/src/main.js';
/** The built service with the tests' crash hooks (BILLING_CHAOS_CRASH_AFTER_*_EVERY), relative to the repository root. */
export const FAULTY_SERVICE = 'test/support/standalone/faulty-service.ts';
/**
 * The heap flags production starts the service with (npm run start:prod, the Dockerfile's CMD; the
 * deploy-manifests test holds them equal): they bound its resident set, BENCHMARKS.md (Memory), and space its
 * mark-compacts further apart, which set the latency tail (BENCHMARKS.md, fourth round).
 */
export const SHIPPED_NODE_ARGS: readonly string[] = ['--max-old-space-size=96', '--max-semi-space-size=4', '--heap-growing-percent=100'];

export interface ServiceProcessOptions {
  /** The repository root: programs run from there. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** The program, relative to cwd; the built service by default. */
  script?: string;
  /** Node flags; SHIPPED_NODE_ARGS by default, so the service runs as in production. */
  nodeArgs?: readonly string[];
  /**
   * Where its output goes. Without a file, JSON lines of stdout are kept in `lines`, any other stdout line in
   * `notJson`, and stderr in `stderr`; with one,
   * both are appended to the file (it survives the test, and a dying parent cannot lose lines).
   */
  logFile?: string;
  /** The environment of this process under `env` (the bench); otherwise only PATH and NODE_ENV=production. */
  inheritEnv?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceProcess {
  readonly lines: Record<string, unknown>[] = [];
  /** Lines of stdout that are not a JSON object: the service's output should have none. */
  readonly notJson: string[] = [];
  readonly exited: Promise<Exit>;
  readonly logFile: string | undefined;
  stderr = '';
  private readonly child: ChildProcess;
  private readonly logStart: number;

  constructor(options: ServiceProcessOptions) {
    const base = options.inheritEnv ? process.env : { PATH: process.env.PATH ?? '', NODE_ENV: 'production' };
    const env = { ...base, ...options.env };
    const args = [...(options.nodeArgs ?? SHIPPED_NODE_ARGS), options.script ?? SERVICE_MAIN];
    this.logFile = options.logFile;
    if (options.logFile) {
      const out = fs.openSync(options.logFile, 'a');
      this.logStart = fs.fstatSync(out).size;
      this.child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', out, out] });
      fs.closeSync(out);
    } else {
      this.logStart = 0;
      this.child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.keepLines();
    }
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the service logged that it listens ('listening'), or died first ('exited'). */
  async listening(timeoutMs = 60_000): Promise<'listening' | 'exited'> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.logged('billing-service listening')) return 'listening';
      if (!this.running) break;
      await sleep(100);
    }
    if (!this.running) {
      await this.exited;
      return this.logged('billing-service listening') ? 'listening' : 'exited';
    }
    throw new Error(`the service (pid ${this.pid}) did not listen within ${timeoutMs / 1000} s${this.logFile ? `; see ${this.logFile}` : ''}`);
  }

  /** Like listening(), but a service that died is an error. */
  async ready(timeoutMs = 60_000): Promise<void> {
    if ((await this.listening(timeoutMs)) === 'exited')
      throw new Error(`the service exited with ${this.child.exitCode ?? this.child.signalCode}: ${this.stderr}`);
  }

  outcomes(outcome: string): number {
    return this.lines.filter((l) => l.outcome === outcome).length;
  }

  /** The last lines of its log file, or of its stderr. */
  logTail(lines = 15): string {
    const text = this.logFile && fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : this.stderr;
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMb(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  }

  terminate(): void {
    if (this.running) this.child.kill('SIGTERM');
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** SIGTERM, and SIGKILL when it has not exited after `graceMs`; true when it stopped on its own. */
  async stop(graceMs = 15_000): Promise<boolean> {
    if (!this.running) return true;
    this.terminate();
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.kill();
      await this.exited;
    }
    return stopped;
  }

  private logged(text: string): boolean {
    if (!this.logFile) return this.lines.some((l) => String(l.msg).startsWith(text));
    return this.ownLog().includes(`"msg":"${text}`);
  }

  /** What this process wrote to its log file (which may hold earlier processes' lines before them). */
  private ownLog(): string {
    const fd = fs.openSync(this.logFile!, 'r');
    try {
      const own = Buffer.alloc(Math.max(0, fs.fstatSync(fd).size - this.logStart));
      fs.readSync(fd, own, 0, own.length, this.logStart);
      return own.toString();
    } finally {
      fs.closeSync(fd);
    }
  }

  private keepLines(): void {
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete.filter(Boolean)) {
        const parsed = parseJsonObject(line);
        if (parsed) this.lines.push(parsed);
        else this.notJson.push(line);
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }
}

/** The line as a JSON object, or undefined when it is anything else. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
