import type { PoolWorld } from './world';

/**
 * What one kind of scenario keeps between its steps, per World (a WeakMap, so the World stays
 * small and a scenario never sees another's). With `create`, the first `of()` makes it; without,
 * a step that reads it before the step that `set()` it fails naming what is missing.
 */
export class ScenarioState<T extends object> {
  private readonly values = new WeakMap<PoolWorld, T>();

  constructor(
    private readonly missing: string,
    private readonly create?: (world: PoolWorld) => T,
  ) {}

  set(world: PoolWorld, value: T): T {
    this.values.set(world, value);
    return value;
  }

  of(world: PoolWorld): T {
    const found = this.values.get(world);
    if (found) return found;
    if (!this.create) throw new Error(`${this.missing} in this scenario`);
    return this.set(world, this.create(world));
  }
}
