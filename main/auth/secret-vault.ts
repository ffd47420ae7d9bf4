/**
 * Where the refresh token lives. The app uses the OS keychain (keytar); tests
 * and keychain-less machines use memory. Every method may reject (locked
 * keychain, no Secret Service): callers decide what that means.
 */
export interface SecretVault {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export function createMemoryVault(): SecretVault {
  const items = new Map<string, string>();
  return {
    async get(key) {
      return items.get(key) ?? null;
    },
    async set(key, value) {
      items.set(key, value);
    },
    async delete(key) {
      return items.delete(key);
    },
  };
}
