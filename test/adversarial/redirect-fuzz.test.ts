/**
 * Property tests of the redirect handling with fast-check: whatever the OS
 * hands the app as a "redirect" (random strings, random URLs, our scheme with
 * random queries, the valid-looking callback with one field mutated, huge and
 * unicode inputs), `handleRedirect` resolves to a boolean and nothing happens
 * unless the input is a valid callback for the pending flow.
 *
 * The reference model (test/support/redirect-inputs.ts) says what each input
 * must cause; see `modelRedirect` for the four outcomes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRedirect } from '../../main/auth/redirect-url';
import { beginSignIn, hostileClient, REDIRECT_URI, signInFully, type HostileClient } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';
import { buildInput, modelParse, modelRedirect, recipe, type Recipe } from '../support/redirect-inputs';
import { assertSecretEqual, redactSecrets } from '../support/secret-assert';

const RUNS = 10_000;
/** Not a code the provider ever issued: a callback that passes every client-side check still fails at the provider. */
const FAKE_CODE = 'fuzz-code-the-provider-never-issued';
/** Codes for "refused" and "ignored" inputs; only `spent` and `exchanged` may change anything. */
const REPORTED = new Set(['callback_invalid', 'state_mismatch']);

/** The code of the last refusal the client logged ("redirect refused: <code>"). */
function lastRefusal(client: HostileClient, since: number): string | undefined {
  const line = client.logs.slice(since).findLast((entry) => entry.startsWith('warn: redirect refused: '));
  return line?.slice('warn: redirect refused: '.length);
}

describe('fuzzing handleRedirect (fast-check)', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  it(`with a sign-in pending: ${RUNS} generated inputs, no exception, a boolean, nothing happens unless the callback is valid`, async (t) => {
    const client = hostileClient(provider);
    const expected = new URL(REDIRECT_URI);
    const seen = { ignored: 0, refused: 0, spent: 0, exchanged: 0 };
    let pendingState = '';
    const arm = async (): Promise<void> => {
      const { authorizeUrl } = await beginSignIn(client, provider);
      pendingState = new URL(authorizeUrl).searchParams.get('state') ?? '';
      assert.ok(pendingState.length >= 32);
    };
    try {
      await client.auth.ready();
      await arm();
      await fc.assert(
        fc.asyncProperty(recipe, async (r: Recipe) => {
          const input = buildInput(r, { redirectUri: REDIRECT_URI, state: pendingState, issuer: provider.issuer, code: FAKE_CODE });
          const outcome = modelRedirect(input, expected, pendingState, provider.issuer);
          seen[outcome] += 1;
          provider.resetRequests();
          const statesBefore = client.states.length;
          const logsBefore = client.logs.length;
          const sessionBefore = client.auth.getSession();

          let handled: unknown;
          try {
            handled = await client.auth.handleRedirect(input);
          } catch (error) {
            // The input carries the pending flow's real state: printed as a fingerprint.
            assert.fail(`handleRedirect threw for ${redactSecrets(show(input), [pendingState])}: ${redactSecrets(String(error), [pendingState])}`);
          }
          assert.equal(typeof handled, 'boolean');
          const emitted = client.states.slice(statesBefore);
          const session = client.auth.getSession();
          assert.ok(!emitted.some((s) => s.status === 'signed-in'), 'never signed in by a generated input');

          switch (outcome) {
            case 'ignored':
              assert.equal(handled, false, 'not our redirect: false');
              assert.equal(emitted.length, 0, 'not our redirect: no state change');
              assert.equal(session, sessionBefore);
              assert.equal(provider.requests.length, 0, 'not our redirect: no request');
              break;
            case 'refused':
              assert.equal(handled, true);
              assert.equal(provider.requests.length, 0, 'refused: no request');
              // Issue 17 F4: logged and nothing else; the signing-in screen stays and the flow is untouched.
              assert.equal(emitted.length, 0, `refused while the flow waits: no state emitted (saw ${JSON.stringify(emitted)})`);
              assert.equal(session.status, 'signing-in');
              assert.ok(REPORTED.has(lastRefusal(client, logsBefore) ?? ''), `refused with a known code (${lastRefusal(client, logsBefore)})`);
              break;
            case 'spent':
              assert.equal(handled, true);
              assert.equal(provider.count('/token'), 0, 'a callback that fails a client-side check sends no token request');
              assert.equal(session.status, 'error', `spent: ${JSON.stringify(session)}`);
              await arm();
              break;
            case 'exchanged':
              assert.equal(handled, true);
              assert.equal(provider.count('/token'), 1, 'exactly one token request');
              assertSecretEqual(provider.exchanges[0]?.code, new URL(input).searchParams.get('code'), 'the code of the input, as given');
              assert.equal(session.status, 'error', 'a code the provider never issued does not sign in');
              assert.ok(session.status === 'error' && session.error.code === 'token_rejected');
              await arm();
              break;
          }
        }),
        { numRuns: RUNS },
      );
      // The flow survived ten thousand hostile inputs: its genuine callback still signs in.
      const { authorization } = await beginSignIn(client, provider);
      provider.resetRequests();
      assert.equal(await client.auth.handleRedirect(authorization.callback), true);
      assert.equal(client.auth.getSession().status, 'signed-in');
      t.diagnostic(`outcomes: ${JSON.stringify(seen)}`);
      assert.ok(seen.refused > 500 && seen.ignored > 500 && seen.spent > 50 && seen.exchanged > 20, `every outcome was exercised: ${JSON.stringify(seen)}`);
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
    }
  });

  /**
   * Bounded by what it asserts (no request, no state change), not by a wall
   * clock it can lose on a busy machine: the session's access token lives a
   * day, so no proactive refresh falls due however long the runs take; each
   * run yields to the event loop, so no socket or timer waits behind
   * thousands of runs; and the requests the test makes itself (sign-in,
   * userinfo, sign-out) may take as long as the machine needs.
   */
  it(`signed in: ${RUNS} generated inputs (the old flow's state included) leave the session untouched and send nothing`, async () => {
    provider.reset();
    provider.script = { tokenResponse: (body) => ({ ...body, expires_in: 86_400 }) };
    const client: HostileClient = hostileClient(provider, { httpTimeoutMs: 300_000 });
    try {
      const authorization = await signInFully(client, provider);
      const signedIn = client.auth.getSession();
      const emitted = client.states.length;
      provider.resetRequests();
      await fc.assert(
        fc.asyncProperty(recipe, fc.boolean(), async (r, realCode) => {
          const input = buildInput(r, { redirectUri: REDIRECT_URI, state: authorization.state ?? '', issuer: provider.issuer, code: realCode ? authorization.code : FAKE_CODE });
          const handled = await client.auth.handleRedirect(input);
          assert.equal(typeof handled, 'boolean');
          assert.equal(client.auth.getSession(), signedIn, 'the very same session');
          assert.equal(client.states.length, emitted, 'no state emitted');
          assert.equal(provider.requests.length, 0, 'no request');
          await new Promise((resolve) => setImmediate(resolve));
        }),
        { numRuns: RUNS },
      );
      assert.equal((await client.auth.getUserInfo()).sub, provider.subject, 'the session still works');
      await client.auth.signOut();
    } finally {
      client.auth.dispose();
      provider.reset();
    }
  });
});

describe('fuzzing parseRedirect (fast-check)', () => {
  const bases = [
    { redirectUri: REDIRECT_URI, issuer: 'http://127.0.0.1:4321' },
    { redirectUri: 'http://127.0.0.1:53123/callback', issuer: 'https://login.example.com' },
  ];

  it(`${RUNS} generated inputs: never throws, and agrees with the model`, () => {
    fc.assert(
      fc.property(
        fc.oneof({ weight: 9, arbitrary: recipe.map((r): unknown => r) }, { weight: 1, arbitrary: fc.anything() }),
        fc.constantFrom(...bases),
        fc.string({ minLength: 1, maxLength: 64 }),
        (input, base, state) => {
          const expected = new URL(base.redirectUri);
          const value = isRecipe(input) ? buildInput(input, { ...base, state, code: FAKE_CODE }) : input;
          let result: ReturnType<typeof parseRedirect>;
          try {
            result = parseRedirect(value, expected);
          } catch (error) {
            assert.fail(`parseRedirect threw for ${show(value)}: ${String(error)}`);
          }
          assert.ok(['not-ours', 'malformed', 'callback'].includes(result.kind));
          assert.equal(result.kind, modelParse(value, expected), `kind for ${show(value)}`);
          if (result.kind === 'callback') {
            const url = new URL(value as string);
            assert.equal(result.url.href, url.href);
            assert.equal(result.state, url.searchParams.get('state'));
            assert.ok(result.state.length > 0);
            assert.equal(result.url.protocol, expected.protocol);
            assert.equal(result.url.host, expected.host);
            assert.equal(result.url.pathname, expected.pathname);
          }
          if (result.kind === 'malformed') assert.equal(typeof result.reason, 'string');
        },
      ),
      { numRuns: RUNS },
    );
  });
});

function isRecipe(value: unknown): value is Recipe {
  return typeof value === 'object' && value !== null && 'kind' in value && ['raw', 'ours-with-query', 'mutated', 'huge'].includes(String((value as { kind: unknown }).kind));
}

function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
