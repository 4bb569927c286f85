import { redisAnswers, spawnRedisServer } from '../../src/demo/pipeline.ts';

export { freePort } from '../../src/demo/pipeline.ts';
import type { ChildProcess } from 'node:child_process';

/** A private redis-server on its own port, for tests that stop, kill or freeze Redis. */
export class PrivateRedis {
  readonly port: number;
  private proc: ChildProcess | undefined;
  constructor(port: number) {
    this.port = port;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawnRedisServer(this.port);
    if (!(await redisAnswers(this.url))) throw new Error(`redis-server did not start on port ${this.port}`);
  }
  /** Kill it hard: connections drop at once. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGCONT');
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
  /** Freeze it: connections stay open but nothing answers. */
  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }
  thaw(): void {
    this.proc?.kill('SIGCONT');
  }
}
