import type { UserDirectory } from './ports.js';

/** A directory backed by a fixed map (tests, or names exported from the auth system). */
export class StaticUserDirectory implements UserDirectory {
  constructor(private readonly byId: ReadonlyMap<number, string>) {}
  async names(userIds: readonly number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const id of userIds) {
      const name = this.byId.get(id);
      if (name !== undefined) out.set(id, name);
    }
    return out;
  }
}

/**
 * The sample data's users are named by a fixed rule (`sampleUserName`), so the
 * demo's directory needs no storage: the same rule the generator used.
 */
export function sampleUserName(userId: number): string {
  return `user${String(userId).padStart(5, '0')}`;
}

export class SampleUserDirectory implements UserDirectory {
  async names(userIds: readonly number[]): Promise<Map<number, string>> {
    return new Map(userIds.map((id) => [id, sampleUserName(id)]));
  }
}
