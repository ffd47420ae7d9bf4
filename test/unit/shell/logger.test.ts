import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRedactingLogger, redact } from '../../../main/shell/logger';

describe('redact', () => {
  it('removes the code, state and iss-carrying query of a deep link', () => {
    const line = redact('received com.example.desktop:/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj');
    assert.doesNotMatch(line, /SplxlOBeZQQYbYS6WxSbIA|af0ifjsldkj/);
    assert.match(line, /code=\[redacted\]/);
  });

  it('removes JWTs, bearer credentials and token fields in JSON or form bodies', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';
    const text = redact(`id ${jwt} Authorization: Bearer abc.def-ghi {"refresh_token":"rt-secret","access_token": "at-secret"} code_verifier=ver123`);
    for (const secret of [jwt, 'abc.def-ghi', 'rt-secret', 'at-secret', 'ver123']) assert.ok(!text.includes(secret), secret);
  });

  it('leaves ordinary text alone', () => {
    assert.equal(redact('signing in with login.example.com (redirect com.example.desktop:/callback)'), 'signing in with login.example.com (redirect com.example.desktop:/callback)');
    assert.equal(redact('error code: state_mismatch'), 'error code: state_mismatch');
  });
});

describe('createRedactingLogger', () => {
  it('tags and redacts every line', () => {
    const lines: string[] = [];
    const logger = createRedactingLogger('shell', (level, line) => lines.push(`${level} ${line}`));
    logger.warn('deep link com.example.desktop:/callback?code=abc');
    logger.info('hello');
    assert.deepEqual(lines, ['warn [shell] deep link com.example.desktop:/callback?code=[redacted]', 'info [shell] hello']);
  });
});
