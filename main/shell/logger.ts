/**
 * The shell's log. Same shape as the core's AuthLogger, so one logger serves
 * both. The core already hands only redacted text; this redacts again, because
 * the shell sees raw URLs (deep links carry an authorization code) and a
 * second pass is cheap.
 */
export interface ShellLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LogSink {
  (level: 'info' | 'warn' | 'error', line: string): void;
}

const REDACTED = '[redacted]';

/** Query / form / JSON parameters whose values are secrets in OAuth 2.0 and OIDC. */
const SECRET_PARAMS = [
  'code',
  'state',
  'nonce',
  'code_verifier',
  'code_challenge',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'client_secret',
  'assertion',
  'session_state',
];

const NAMES = SECRET_PARAMS.join('|');
/** `name=value` in a query string, fragment or form body. */
const PARAM_PATTERN = new RegExp(`((?:^|[?&#\\s;,])(?:${NAMES})=)([^&#\\s,;"']+)`, 'gi');
/** `"name": "value"` in JSON. */
const JSON_PATTERN = new RegExp(`("(?:${NAMES})"\\s*:\\s*")([^"]*)`, 'gi');
/** Three base64url segments starting like a JSON object: a JWS/JWT. */
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /\b(Bearer|DPoP|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;

/** Removes anything that looks like a token, code or verifier from one log line. */
export function redact(text: string): string {
  return text
    .replace(JWT_PATTERN, REDACTED)
    .replace(BEARER_PATTERN, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(PARAM_PATTERN, (_match, name: string) => `${name}${REDACTED}`)
    .replace(JSON_PATTERN, (_match, name: string) => `${name}${REDACTED}`);
}

/** A logger that redacts each line and prefixes it with a tag, writing to `sink` (console by default). */
export function createRedactingLogger(tag: string, sink: LogSink = consoleSink): ShellLogger {
  const write = (level: 'info' | 'warn' | 'error', message: string): void => {
    sink(level, `[${tag}] ${redact(String(message))}`);
  };
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}

function consoleSink(level: 'info' | 'warn' | 'error', line: string): void {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
