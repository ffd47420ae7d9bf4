import { createMemoryVault } from '../../main/auth/secret-vault';
import type { SecretVault } from '../../main/auth/secret-vault';
import { vaultContract } from '../support/vault-contract';

// One memory vault per name, like one keychain service per name.
const vaults = new Map<string, SecretVault>();

vaultContract('memory vault', {
  makeVault(namespace) {
    let vault = vaults.get(namespace);
    if (!vault) {
      vault = createMemoryVault();
      vaults.set(namespace, vault);
    }
    return vault;
  },
});
