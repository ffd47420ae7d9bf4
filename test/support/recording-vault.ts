/**
 * A vault wrapper that records every operation when it completes, and lets a
 * test wait for one: the core writes and deletes keychain entries in the
 * background (in order, after the state change the user waits for), so a
 * test that asserts "the pending flow is gone" waits for that delete, not for
 * the write queued before it.
 */
import { createMemoryVault, type SecretVault } from '../../main/auth/index';

export type VaultOp = 'get' | 'set' | 'delete';

export interface VaultRecord {
  readonly op: VaultOp;
  readonly key: string;
  readonly value?: string;
  readonly ok: boolean;
}

export interface WaitForRecord {
  /** Only records at this index of `calls` or later (take `calls.length` before the action). Default 0. */
  readonly since?: number;
  /** The outcome to wait for. Default: succeeded. */
  readonly ok?: boolean;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
}

/** A vault wrapper that records every call and can be told to fail. */
export interface RecordingVault extends SecretVault {
  /** Completed operations, in the order they completed. Values are secrets: never print them. */
  readonly calls: VaultRecord[];
  /** Called before each operation; return an Error to make that operation reject with it. */
  fault: ((op: VaultOp, key: string) => Error | undefined) | undefined;
  /** What the vault holds now, key → value. */
  contents(): Promise<Map<string, string>>;
  /** Every value ever handed to `set`, and what it holds now, as one string to search. */
  everything(): Promise<string>;
  /**
   * Resolves with the first completed `op` on `key` (a key, or a test on it)
   * recorded at or after `options.since`, as soon as it completes; rejects
   * naming `what` after `options.timeoutMs`.
   */
  completed(op: VaultOp, key: string | ((key: string) => boolean), what: string, options?: WaitForRecord): Promise<VaultRecord>;
}

export function recordingVault(inner: SecretVault = createMemoryVault()): RecordingVault {
  const keys = new Set<string>();
  const watchers = new Set<(record: VaultRecord, index: number) => void>();
  /** Runs one operation, recording it with its outcome (an injected fault, or the inner vault's). */
  async function run<T>(op: VaultOp, key: string, value: string | undefined, call: () => Promise<T>): Promise<T> {
    const record = (ok: boolean): void => {
      const entry: VaultRecord = { op, key, ...(value === undefined ? {} : { value }), ok };
      vault.calls.push(entry);
      for (const watcher of [...watchers]) watcher(entry, vault.calls.length - 1);
    };
    const injected = vault.fault?.(op, key);
    if (injected) {
      record(false);
      throw injected;
    }
    try {
      const result = await call();
      record(true);
      return result;
    } catch (error) {
      record(false);
      throw error;
    }
  }
  const vault: RecordingVault = {
    calls: [],
    fault: undefined,
    get: (key) => run('get', key, undefined, () => inner.get(key)),
    set: (key, value) =>
      run('set', key, value, async () => {
        keys.add(key);
        await inner.set(key, value);
      }),
    delete: (key) => run('delete', key, undefined, () => inner.delete(key)),
    async contents() {
      const out = new Map<string, string>();
      for (const key of keys) {
        const value = await inner.get(key).catch(() => null);
        if (value !== null) out.set(key, value);
      }
      return out;
    },
    async everything() {
      const now = [...(await vault.contents()).entries()].map(([k, v]) => `${k}=${v}`);
      const written = vault.calls.flatMap((c) => (c.value === undefined ? [] : [`${c.key}=${c.value}`]));
      return [...now, ...written].join('\n');
    },
    completed(op, key, what, options = {}) {
      const since = options.since ?? 0;
      const ok = options.ok ?? true;
      const timeoutMs = options.timeoutMs ?? 5000;
      const matches = (record: VaultRecord, index: number): boolean =>
        index >= since && record.op === op && record.ok === ok && (typeof key === 'string' ? record.key === key : key(record.key));
      const found = vault.calls.findIndex(matches);
      if (found >= 0) return Promise.resolve(vault.calls[found] as VaultRecord);
      return new Promise<VaultRecord>((resolve, reject) => {
        const watcher = (record: VaultRecord, index: number): void => {
          if (!matches(record, index)) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(record);
        };
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          // Operations and keys only: the values are secrets.
          const seen = vault.calls.slice(since).map((c) => `${c.op} ${c.key.split(':')[0]} ${c.ok ? 'ok' : 'failed'}`);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; vault operations since: [${seen.join(', ')}]`));
        }, timeoutMs);
        watchers.add(watcher);
      });
    },
  };
  return vault;
}
