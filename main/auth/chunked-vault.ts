import { createHash, randomBytes } from 'node:crypto';
import type { SecretVault } from './secret-vault';

/**
 * Windows Credential Manager refuses a secret over 2 560 bytes
 * (CRED_MAX_CREDENTIAL_BLOB_SIZE), and some providers' refresh tokens come
 * close to that on their own. Values above `maxItemBytes` are therefore kept
 * as several items plus a small head item that names them. Replacing a value
 * writes the new items first, then swaps the head in one write, then drops the
 * old items: a crash at any point leaves either the old value or the new one.
 */
export const DEFAULT_MAX_ITEM_BYTES = 2048;

const HEAD_PREFIX = 'vault-chunks:v1:';

interface Head {
  readonly id: string;
  readonly count: number;
  readonly digest: string;
}

/** More pieces than any head may name (parseHead): the bound of the sweep past a head's last piece. */
const MAX_PIECES = 64;

export function withChunking(base: SecretVault, maxItemBytes = DEFAULT_MAX_ITEM_BYTES): SecretVault {
  // The head (prefix, id, count, SHA-256) is under 100 bytes: every item, the head included, must fit.
  if (!(maxItemBytes >= 128)) throw new RangeError('withChunking: maxItemBytes must be at least 128');
  const chunkKey = (key: string, id: string, index: number): string => `${key}#chunk:${id}:${index}`;

  /**
   * Deletes the pieces of `head`, and any piece planted after the last one it
   * names (issue 17): the sweep goes on past its count until a piece is
   * missing. Not by listing the keychain: keytar's findCredentials reads
   * every secret of the service, and on a locked collection the native
   * module fails on the missing value instead of rejecting.
   */
  async function dropChunks(key: string, head: Head | undefined): Promise<void> {
    if (!head) return;
    for (let index = 0; index < head.count; index += 1) await base.delete(chunkKey(key, head.id, index));
    for (let index = head.count; index < MAX_PIECES; index += 1) {
      if (!(await base.delete(chunkKey(key, head.id, index)))) break;
    }
  }

  return {
    async get(key) {
      const stored = await base.get(key);
      const head = parseHead(stored);
      if (!head) return stored;
      const parts: string[] = [];
      for (let index = 0; index < head.count; index += 1) {
        const part = await base.get(chunkKey(key, head.id, index));
        // A missing or altered piece: as if nothing were stored (the user signs in again).
        if (part === null) return null;
        parts.push(part);
      }
      const value = parts.join('');
      return digestOf(value) === head.digest ? value : null;
    },
    async set(key, value) {
      const previous = parseHead(await base.get(key));
      if (Buffer.byteLength(value, 'utf8') <= maxItemBytes && !value.startsWith(HEAD_PREFIX)) {
        await base.set(key, value);
      } else {
        const id = randomBytes(6).toString('base64url');
        const parts = splitUtf8(value, maxItemBytes);
        for (const [index, part] of parts.entries()) await base.set(chunkKey(key, id, index), part);
        await base.set(key, `${HEAD_PREFIX}${id}:${parts.length}:${digestOf(value)}`);
      }
      await dropChunks(key, previous);
    },
    async delete(key) {
      const head = parseHead(await base.get(key));
      const deleted = await base.delete(key);
      await dropChunks(key, head);
      return deleted;
    },
  };
}

function parseHead(stored: string | null): Head | undefined {
  if (stored === null || !stored.startsWith(HEAD_PREFIX)) return undefined;
  const [id, count, digest] = stored.slice(HEAD_PREFIX.length).split(':');
  const n = Number(count);
  if (!id || !digest || !Number.isInteger(n) || n < 1 || n > 64) return undefined;
  return { id, count: n, digest };
}

function digestOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Splits on code point boundaries so that every piece is valid UTF-8 of at most `maxBytes`. */
export function splitUtf8(value: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let current = '';
  let bytes = 0;
  for (const codePoint of value) {
    const size = Buffer.byteLength(codePoint, 'utf8');
    if (bytes + size > maxBytes && current !== '') {
      parts.push(current);
      current = '';
      bytes = 0;
    }
    current += codePoint;
    bytes += size;
  }
  if (current !== '') parts.push(current);
  return parts;
}
