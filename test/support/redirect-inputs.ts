/**
 * Inputs for fuzzing the redirect handling, and the reference model they are
 * judged by.
 *
 * The state of the pending flow is random and only known while a property
 * runs, so the arbitrary produces *recipes* (random strings, random URLs, our
 * redirect with random queries, the valid-looking callback with one field
 * mutated, huge and unicode inputs) and `buildInput` turns a recipe into the
 * string handed to the core, with the flow's current state.
 */
import fc from 'fast-check';

/** Parameters of which a callback may hold at most one (parameter pollution). */
export const SINGLE_VALUED = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss', 'session_state'] as const;
export const MAX_REDIRECT_LENGTH = 8192;

export type Recipe =
  | { readonly kind: 'raw'; readonly input: string }
  | { readonly kind: 'ours-with-query'; readonly query: string; readonly fragment: string | null }
  | { readonly kind: 'mutated'; readonly mutation: Mutation }
  | { readonly kind: 'huge'; readonly length: number; readonly filler: string; readonly withState: boolean };

export type Mutation =
  | { readonly field: 'none' }
  | { readonly field: 'state'; readonly how: 'random' | 'drop' | 'empty' | 'flip' | 'suffix' | 'prefix' | 'case' | 'percent-encoded' | 'unicode'; readonly value: string; readonly at: number }
  | { readonly field: 'code'; readonly how: 'random' | 'drop' | 'empty'; readonly value: string }
  | { readonly field: 'iss'; readonly how: 'random' | 'drop' | 'empty' | 'trailing-slash' | 'case' | 'other-port'; readonly value: string }
  | { readonly field: 'path'; readonly value: string }
  | { readonly field: 'scheme'; readonly value: string }
  | { readonly field: 'duplicate'; readonly name: string; readonly same: boolean; readonly value: string }
  | { readonly field: 'extra'; readonly name: string; readonly value: string }
  | { readonly field: 'fragment'; readonly value: string }
  | { readonly field: 'authority'; readonly value: string }
  | { readonly field: 'insert'; readonly at: number; readonly text: string }
  | { readonly field: 'order'; readonly seed: number };

/** Any code unit, lone surrogates included. */
const codeUnitString = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength });

const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    codeUnitString(maxLength),
    fc.constantFrom('', ' ', '%', '%00', '%zz', '&', '=', '#', '?', '\u0000', '\n', '\t', '\u202e', '\ufeff', 'é', '😀', '\ud800'),
  );

const paramName = fc.oneof(fc.constantFrom(...SINGLE_VALUED, 'response', 'id_token', 'token', 'access_token', 'scope', 'redirect_uri', 'code_verifier', 'nonce', 'STATE', 'Code', 'iss ', 'state%00'), fc.string({ minLength: 1, maxLength: 8 }));

const controlOrOdd = fc.oneof(
  fc.constantFrom('\n', '\r', '\t', '\u0000', ' ', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', '\ufeff', '%', '%0a', '%2F', '/', '\\', '?', '#', '&', '@', ':', '..', '.', '\ud83d'),
  codeUnitString(3),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Mutation>({ field: 'none' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      field: fc.constant('state' as const),
      how: fc.constantFrom('random', 'drop', 'empty', 'flip', 'suffix', 'prefix', 'case', 'percent-encoded', 'unicode'),
      value: anyText(60),
      at: fc.nat(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ field: fc.constant('code' as const), how: fc.constantFrom('random', 'drop', 'empty'), value: anyText(60) }) },
  {
    weight: 4,
    arbitrary: fc.record({ field: fc.constant('iss' as const), how: fc.constantFrom('random', 'drop', 'empty', 'trailing-slash', 'case', 'other-port'), value: anyText(40) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      field: fc.constant('path' as const),
      value: fc.oneof(fc.constantFrom('', '/', '/callback/', '/Callback', '//callback', '/callback/..', '/./callback', '/%63allback', '/callback%00', '/callback;x', 'callback', '/callbackx', '/a/../callback'), fc.webPath(), anyText(20)),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      field: fc.constant('scheme' as const),
      value: fc.oneof(
        fc.constantFrom('COM.EXAMPLE.DESKTOP', 'Com.Example.Desktop', 'com.example.desktop2', 'com.example.desktop.', 'com.example', 'com.example.desktopx', 'https', 'http', 'javascript', 'file', 'data', 'com.exampIe.desktop', ''),
        fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.+-'.split('')), maxLength: 24 }),
      ),
    }),
  },
  { weight: 4, arbitrary: fc.record({ field: fc.constant('duplicate' as const), name: fc.constantFrom(...SINGLE_VALUED), same: fc.boolean(), value: anyText(30) }) },
  { weight: 3, arbitrary: fc.record({ field: fc.constant('extra' as const), name: paramName, value: anyText(30) }) },
  { weight: 1, arbitrary: fc.record({ field: fc.constant('fragment' as const), value: anyText(30) }) },
  { weight: 1, arbitrary: fc.record({ field: fc.constant('authority' as const), value: fc.oneof(fc.constantFrom('', 'callback', 'attacker.example', 'user:pass@', 'user@host', '127.0.0.1'), anyText(12)) }) },
  { weight: 3, arbitrary: fc.record({ field: fc.constant('insert' as const), at: fc.nat(), text: controlOrOdd }) },
  { weight: 1, arbitrary: fc.record({ field: fc.constant('order' as const), seed: fc.nat() }) },
);

export const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), input: anyText(300) }) },
  {
    weight: 2,
    arbitrary: fc
      .record({ kind: fc.constant('raw' as const), input: fc.webUrl({ validSchemes: ['https', 'http', 'com.example.desktop', 'file', 'javascript'], withQueryParameters: true, withFragments: true }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), input: anyText(80).map((s) => `com.example.desktop:${s}`) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('ours-with-query' as const),
      query: fc.oneof(
        fc.webQueryParameters(),
        anyText(200),
        fc.array(fc.tuple(paramName, anyText(40)), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
      ),
      fragment: fc.option(anyText(20), { nil: null }),
    }),
  },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutation }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      length: fc.oneof(fc.integer({ min: 8000, max: 8300 }), fc.integer({ min: 8300, max: 200_000 })),
      filler: fc.constantFrom('A', 'é', '😀', '%41', '&a=b', '\u0000'),
      withState: fc.boolean(),
    }),
  },
);

export interface CallbackBase {
  /** The redirect URI of the pending flow, e.g. `com.example.desktop:/callback`. */
  readonly redirectUri: string;
  readonly state: string;
  readonly issuer: string;
  readonly code: string;
}

function encode(value: string): string {
  // Lone surrogates cannot be percent-encoded by encodeURIComponent: keep them raw (the URL parser will see them).
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function query(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
}

function flipCase(text: string): string {
  return [...text].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');
}

/** The string handed to the core for `recipe`, given the pending flow. */
export function buildInput(r: Recipe, base: CallbackBase): string {
  const redirect = new URL(base.redirectUri);
  const scheme = redirect.protocol.slice(0, -1);
  const authority = redirect.host === '' ? '' : `//${redirect.host}`;
  const path = redirect.pathname;
  switch (r.kind) {
    case 'raw':
      return r.input;
    case 'ours-with-query':
      return `${scheme}:${authority}${path}?${r.query}${r.fragment === null ? '' : `#${r.fragment}`}`;
    case 'huge': {
      const params = r.withState ? `code=${encode(base.code)}&state=${encode(base.state)}&iss=${encode(base.issuer)}&pad=` : 'pad=';
      const head = `${scheme}:${authority}${path}?${params}`;
      return head + r.filler.repeat(Math.ceil(Math.max(0, r.length - head.length) / r.filler.length));
    }
    case 'mutated':
      break;
  }
  const m = r.mutation;
  let pairs: Array<[string, string]> = [
    ['code', base.code],
    ['state', base.state],
    ['iss', base.issuer],
  ];
  const set = (name: string, value: string | null): void => {
    pairs = value === null ? pairs.filter(([n]) => n !== name) : pairs.map(([n, v]) => [n, n === name ? value : v]);
  };
  let schemePart = scheme;
  let authorityPart = authority;
  let pathPart = path;
  let fragment = '';
  switch (m.field) {
    case 'none':
    case 'insert':
    case 'order':
      break;
    case 'state': {
      const s = base.state;
      const at = m.at % Math.max(1, s.length);
      const replaced = {
        random: m.value,
        drop: null,
        empty: '',
        flip: `${s.slice(0, at)}${s[at] === 'x' ? 'y' : 'x'}${s.slice(at + 1)}`,
        suffix: `${s}${m.value || 'x'}`,
        prefix: `${m.value || 'x'}${s}`,
        case: flipCase(s),
        'percent-encoded': s, // same value, encoded differently below
        unicode: `${s.slice(0, at)}${m.value || 'é'}${s.slice(at + 1)}`,
      }[m.how];
      set('state', replaced);
      if (m.how === 'percent-encoded') {
        const encoded = [...s].map((ch, i) => (i === at ? `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : ch)).join('');
        return `${scheme}:${authority}${path}?code=${encode(base.code)}&state=${encoded}&iss=${encode(base.issuer)}`;
      }
      break;
    }
    case 'code':
      set('code', { random: m.value, drop: null, empty: '' }[m.how]);
      break;
    case 'iss': {
      const other = new URL(base.issuer);
      other.port = String((Number(other.port) % 65000) + 1);
      set('iss', { random: m.value, drop: null, empty: '', 'trailing-slash': `${base.issuer}/`, case: base.issuer.toUpperCase(), 'other-port': other.origin }[m.how]);
      break;
    }
    case 'path':
      pathPart = m.value;
      break;
    case 'scheme':
      schemePart = m.value;
      break;
    case 'duplicate': {
      const existing = pairs.find(([n]) => n === m.name)?.[1];
      pairs.push([m.name, m.same && existing !== undefined ? existing : m.value]);
      break;
    }
    case 'extra':
      pairs.push([m.name, m.value]);
      break;
    case 'fragment':
      fragment = `#${m.value}`;
      break;
    case 'authority':
      authorityPart = `//${m.value}`;
      break;
  }
  if (m.field === 'order') {
    const shift = m.seed % pairs.length;
    pairs = [...pairs.slice(shift), ...pairs.slice(0, shift)];
  }
  const url = `${schemePart}:${authorityPart}${pathPart}?${query(pairs)}${fragment}`;
  if (m.field === 'insert') {
    const at = m.at % (url.length + 1);
    return `${url.slice(0, at)}${m.text}${url.slice(at)}`;
  }
  return url;
}

/**
 * The reference model of `parseRedirect` (main/auth/redirect-url.ts), from
 * its specification: RFC 8252 §7.1/§7.3 (exact scheme, host, port and path),
 * RFC 6749 §4.1.2 (state; code or error), parameter pollution refused.
 */
export function modelParse(input: unknown, expected: URL): 'not-ours' | 'malformed' | 'callback' {
  if (typeof input !== 'string' || input.length > MAX_REDIRECT_LENGTH) return 'not-ours';
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return 'not-ours';
  }
  if (url.protocol !== expected.protocol || url.host !== expected.host || url.pathname !== expected.pathname) return 'not-ours';
  if (url.username !== '' || url.password !== '') return 'malformed';
  const p = url.searchParams;
  if (SINGLE_VALUED.some((name) => p.getAll(name).length > 1)) return 'malformed';
  if (!p.get('state')) return 'malformed';
  if (p.has('code') === p.has('error')) return 'malformed';
  if (p.has('code') && p.get('code') === '') return 'malformed';
  return 'callback';
}

/**
 * What the core must do with `input` while a flow with `state` is pending:
 * - `ignored`: not our redirect at all (handleRedirect resolves false, nothing happens);
 * - `refused`: ours but not this flow's (malformed, or another state): reported, the flow stays pending;
 * - `spent`: carries this flow's state but fails a client-side check (RFC 9207
 *   iss, an error response, implicit-flow parameters): the flow ends in an
 *   error without a token request;
 * - `exchanged`: a valid callback for the pending flow as far as the client
 *   can tell (state, iss, a code): exactly one token request, and only the
 *   provider can say whether the code is good.
 */
export function modelRedirect(input: string, expected: URL, state: string, issuer: string): 'ignored' | 'refused' | 'spent' | 'exchanged' {
  const parsed = modelParse(input, expected);
  if (parsed === 'not-ours') return 'ignored';
  if (parsed === 'malformed') return 'refused';
  const p = new URL(input).searchParams;
  if (p.get('state') !== state) return 'refused';
  if (p.getAll('response').length > 1 || p.get('response')) return 'spent';
  if (p.get('iss') !== issuer) return 'spent';
  if (p.get('error')) return 'spent';
  if (p.has('id_token') || p.has('token')) return 'spent';
  if (!p.get('code')) return 'spent';
  return 'exchanged';
}
