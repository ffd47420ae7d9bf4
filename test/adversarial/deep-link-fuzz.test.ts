/**
 * Property tests of `extractDeepLink(argv, scheme)` (main/shell/deep-link.ts),
 * the function that picks our redirect out of the arguments the OS starts the
 * app with (cold start, second instance, macOS open-url). argv is attacker
 * influenced (CVE-2018-1000006: a crafted link that injects Chromium
 * switches), so: it never throws, it returns a string only when exactly one
 * well-formed URL of our scheme is among the arguments, and never a URL of
 * another scheme.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractDeepLink } from '../../main/shell/deep-link';

const RUNS = 10_000;
const SCHEME = 'com.example.desktop';
const PREFIX = `${SCHEME}:`;

const hasOurPrefix = (arg: unknown): boolean => typeof arg === 'string' && arg.slice(0, PREFIX.length).toLowerCase() === PREFIX;

const codeUnits = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength });
const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }), codeUnits(maxLength));

/** Characters an honest callback URL is made of. */
const safeChunk = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~'.split('')), minLength: 1, maxLength });

/** A clean, well-formed deep link of our scheme: `<Scheme>:/path?query`. */
const cleanLink: fc.Arbitrary<string> = fc
  .record({
    scheme: fc.mixedCase(fc.constant(SCHEME)),
    // Not "." or "..": dot segments vanish in the URL parser, and "/" alone is no link.
    segments: fc.array(safeChunk(12).filter((segment) => !/^\.+$/.test(segment)), { minLength: 1, maxLength: 3 }),
    params: fc.array(fc.tuple(safeChunk(8), safeChunk(40)), { maxLength: 4 }),
  })
  .map(({ scheme, segments, params }) => `${scheme}:/${segments.join('/')}${params.length ? `?${params.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`);

/** Arguments that are not ours. */
const noise: fc.Arbitrary<string> = fc.oneof(
  anyText(60),
  fc.constantFrom('.', '--', '-', '/usr/lib/oidc-desktop/oidc-desktop', 'C:\\Program Files\\OIDC Desktop\\OIDC Desktop.exe', '--no-sandbox', '--allow-file-access-from-files', '--original-process-start-time=13345678901234567', '--inspect=0'),
  fc.tuple(safeChunk(20), anyText(20)).map(([name, value]) => `--${name}=${value}`),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'https://evil.example/callback?code=1&state=2',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'com.example.desktopx:/callback?code=1',
    'com.example:/callback?code=1',
    'com.example.desktop/callback?code=1',
    ' com.example.desktop:/callback?code=1',
    'xcom.example.desktop:/callback',
    'data:text/html,<script>alert(1)</script>',
  ),
);

/** Arguments that start with our scheme but are hostile or malformed. */
const hostileOurs: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'com.example.desktop://" --gpu-launcher="cmd" --',
    'com.example.desktop:/callback" --gpu-launcher="cmd /c calc" --',
    'com.example.desktop:/callback --renderer-cmd-prefix=evil',
    'com.example.desktop://attacker.example/callback?code=1',
    'com.example.desktop://user:pass@host/callback',
    'com.example.desktop:',
    'com.example.desktop:/',
    'com.example.desktop:callback',
    'com.example.desktop:\\\\host\\share',
    'com.example.desktop:/callback\u0000',
    'com.example.desktop:/call back',
    "com.example.desktop:/callback?code='1'",
    'com.example.desktop:/callback?\u202ecode=1',
    `com.example.desktop:/callback?pad=${'A'.repeat(9000)}`,
  ),
  fc.tuple(fc.mixedCase(fc.constant(SCHEME)), anyText(80)).map(([scheme, rest]) => `${scheme}:${rest}`),
  fc.tuple(cleanLink, codeUnits(4), fc.nat()).map(([link, insert, at]) => {
    const i = PREFIX.length + (at % (link.length - PREFIX.length + 1));
    return `${link.slice(0, i)}${insert}${link.slice(i)}`;
  }),
);

const argument: fc.Arbitrary<string> = fc.oneof({ weight: 5, arbitrary: noise }, { weight: 3, arbitrary: hostileOurs }, { weight: 3, arbitrary: cleanLink });

describe('fuzzing extractDeepLink (fast-check)', () => {
  it(`${RUNS} generated argv lists: never throws; a string only for exactly one well-formed URL of our scheme, never another scheme`, () => {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 8 }), (argv) => {
        let result: string | undefined;
        try {
          result = extractDeepLink(argv, SCHEME);
        } catch (error) {
          assert.fail(`extractDeepLink threw for ${JSON.stringify(argv).slice(0, 300)}: ${String(error)}`);
        }
        if (result === undefined) return;
        assert.equal(typeof result, 'string');
        const candidates = argv.filter(hasOurPrefix);
        assert.equal(candidates.length, 1, `a result only when exactly one argument is of our scheme: ${JSON.stringify(argv).slice(0, 300)}`);
        const url = new URL(candidates[0] as string);
        assert.equal(result, url.href, 'the result is that argument, normalized');
        const parsed = new URL(result);
        assert.equal(parsed.protocol, PREFIX, 'never another scheme');
        assert.ok(result.startsWith(PREFIX));
        assert.equal(parsed.host, '', 'no authority');
        assert.equal(parsed.username + parsed.password, '', 'no credentials');
        // (A single quote is a legal RFC 3986 sub-delimiter and is not a command-line metacharacter on Windows.)
        assert.doesNotMatch(result, /[\s"<>\\`\p{Cc}]/u, 'no whitespace, double quotes, backslashes or control characters');
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} generated argv lists with exactly one clean link of ours among noise: it is found`, () => {
    fc.assert(
      fc.property(fc.array(noise.filter((arg) => !hasOurPrefix(arg)), { maxLength: 8 }), cleanLink, fc.nat(), (others, link, at) => {
        const argv = [...others];
        argv.splice(at % (argv.length + 1), 0, link);
        assert.equal(extractDeepLink(argv, SCHEME), new URL(link).href, JSON.stringify(argv).slice(0, 300));
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} generated argv lists with two links of ours: refused`, () => {
    fc.assert(
      fc.property(fc.array(noise, { maxLength: 5 }), cleanLink, fc.oneof(cleanLink, hostileOurs), fc.nat(), fc.nat(), (others, first, second, i, j) => {
        const argv = [...others];
        argv.splice(i % (argv.length + 1), 0, first);
        argv.splice(j % (argv.length + 1), 0, second);
        assert.equal(extractDeepLink(argv, SCHEME), undefined, JSON.stringify(argv).slice(0, 300));
      }),
      { numRuns: RUNS },
    );
  });

  it('non-string junk in argv never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.anything(), argument), { maxLength: 6 }), (argv) => {
        const result = extractDeepLink(argv as string[], SCHEME);
        assert.ok(result === undefined || result.startsWith(PREFIX));
      }),
      { numRuns: 2000 },
    );
  });
});
