import type { ChainableCommander, Redis } from 'ioredis';

type Target = Redis | ChainableCommander;
type Call = (this: Target, ...args: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script registered on a connection with ioredis' defineCommand, so it runs by EVALSHA
 * (loaded once) and also inside pipelines. Keys are passed with their count first.
 */
export class LuaScript {
  readonly name: string;
  /** The script source (tests read it to check it against the TypeScript side). */
  readonly lua: string;
  constructor(name: string, lua: string) {
    this.name = name;
    this.lua = lua;
  }

  register(redis: Redis): void {
    if (!(this.name in redis)) redis.defineCommand(this.name, { lua: this.lua });
  }

  run(target: Target, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const fn = (target as unknown as Record<string, Call>)[this.name];
    if (!fn) throw new Error(`Lua script ${this.name} is not registered on this connection`);
    return fn.call(target, keys.length, ...keys, ...args);
  }
}
