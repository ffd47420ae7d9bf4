/**
 * In-memory storage for every oidc-provider model of one development provider.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** Extra seconds stored artifacts are kept past their expiry, like the library's own memory adapter (its clockTolerance). */
const STORAGE_GRACE_SECONDS = 15;

interface StoredEntry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/**
 * In-memory storage for every model, shared by all adapters of one provider.
 * Owning it (instead of the library's quick-start adapter) lets
 * revokeAllGrants find every grant, and keeps two providers in one process apart.
 */
export class MemoryStorage {
  readonly #entries = new Map<string, StoredEntry>();
  readonly #keysByGrant = new Map<string, Set<string>>();
  readonly #keyByUid = new Map<string, string>();
  readonly #keyByUserCode = new Map<string, string>();

  readonly factory: AdapterFactory = (model) => this.#adapterFor(model);

  revokeAllGrants(): void {
    const grantIds = new Set(this.#keysByGrant.keys());
    for (const key of this.#entries.keys()) {
      if (key.startsWith('Grant:')) grantIds.add(key.slice('Grant:'.length));
    }
    for (const grantId of grantIds) {
      this.#revokeByGrantId(grantId);
      this.#delete(`Grant:${grantId}`);
    }
  }

  #adapterFor(model: string): Adapter {
    const keyOf = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const key = keyOf(id);
        this.#delete(key);
        const lifetime = typeof expiresIn === 'number' ? (expiresIn + STORAGE_GRACE_SECONDS) * 1000 : Number.POSITIVE_INFINITY;
        this.#entries.set(key, { payload: structuredClone(payload), expiresAt: Date.now() + lifetime });
        if (payload.grantId) {
          const keys = this.#keysByGrant.get(payload.grantId) ?? new Set<string>();
          keys.add(key);
          this.#keysByGrant.set(payload.grantId, keys);
        }
        if (model === 'Session' && payload.uid) this.#keyByUid.set(payload.uid, key);
        if (payload.userCode) this.#keyByUserCode.set(payload.userCode, key);
      },
      find: async (id) => this.#get(keyOf(id)),
      findByUid: async (uid) => {
        const key = this.#keyByUid.get(uid);
        return key ? this.#get(key) : undefined;
      },
      findByUserCode: async (userCode) => {
        const key = this.#keyByUserCode.get(userCode);
        return key ? this.#get(key) : undefined;
      },
      consume: async (id) => {
        const entry = this.#entries.get(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#delete(keyOf(id));
      },
      revokeByGrantId: async (grantId) => {
        this.#revokeByGrantId(grantId);
      },
    };
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#delete(key);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) {
      const keys = this.#keysByGrant.get(grantId);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysByGrant.delete(grantId);
    }
    if (uid && this.#keyByUid.get(uid) === key) this.#keyByUid.delete(uid);
    if (userCode && this.#keyByUserCode.get(userCode) === key) this.#keyByUserCode.delete(userCode);
  }

  #revokeByGrantId(grantId: string): void {
    for (const key of [...(this.#keysByGrant.get(grantId) ?? [])]) {
      this.#delete(key);
    }
    this.#keysByGrant.delete(grantId);
  }
}
