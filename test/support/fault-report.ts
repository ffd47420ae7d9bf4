import type { SessionState } from '../../main/auth/session-state';

/** What a fault scenario run in a child process (fault-child.ts) reports back to faults.test.ts. */
export interface FaultReport {
  scenario: string;
  observations: Record<string, unknown>;
  /** The native keychain errors, as keytar reported them (the cause of the vault's AuthError). */
  nativeErrors: string[];
  states: SessionState[];
  logs: string[];
  secrets: string[];
}
