/**
 * The configuration file's text as JSON (RFC 8259). A syntax error is told by
 * line and column only: V8's SyntaxError quotes the text around the error,
 * which can be a secret (an unquoted `clientSecret`), and that message would
 * reach the configuration screen and the log. A UTF-8 byte order mark, which
 * some editors write, is skipped (RFC 8259 §8.1 lets a parser ignore it).
 */

/** Where a JSON text stops being valid. Line and column count from 1; the column in UTF-16 code units. */
export interface JsonErrorPosition {
  readonly line: number;
  readonly column: number;
}

export class ConfigTextError extends Error {
  override readonly name = 'ConfigTextError';
  constructor(readonly position: JsonErrorPosition | undefined) {
    super(position ? `the error is at line ${position.line}, column ${position.column}` : 'its structure is could not be read');
  }
}

/**
 * @throws ConfigTextError when `text` is not JSON; its message has the
 * position and nothing of the text.
 */
export function parseConfigText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    // JSON.parse's message is dropped on purpose (it quotes the file); find the position ourselves.
    const offset = syntaxErrorOffset(body);
    throw new ConfigTextError(offset === undefined ? undefined : positionOf(body, offset));
  }
}

function positionOf(text: string, offset: number): JsonErrorPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i += 1) {
    if (text[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The offset of the first character where `text` departs from the JSON
 * grammar (RFC 8259 §2–7): its length for a text that ends too early.
 * Undefined when the nesting is too deep to follow (a stack overflow).
 */
export function syntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const whitespace = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i += 1;
  };
  const string = (): void => {
    i += 1;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i += 1;
        return;
      }
      if (c === '\\') {
        i += 1;
        const escape = text[i];
        if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 1;
        else if (escape === 'u' && HEX4.test(text.slice(i + 1, i + 5))) i += 5;
        else fail();
        continue;
      }
      if (c < ' ') fail();
      i += 1;
    }
    fail();
  };
  const value = (): void => {
    whitespace();
    const c = text[i];
    if (c === '{') {
      i += 1;
      whitespace();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        whitespace();
        if (text[i] !== '"') fail();
        string();
        whitespace();
        if (text[i] !== ':') fail();
        i += 1;
        value();
        whitespace();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === '}') {
          i += 1;
          return;
        }
        fail();
      }
    }
    if (c === '[') {
      i += 1;
      whitespace();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        whitespace();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === ']') {
          i += 1;
          return;
        }
        fail();
      }
    }
    if (c === '"') return string();
    NUMBER.lastIndex = i;
    if ((c === '-' || (c !== undefined && c >= '0' && c <= '9')) && NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    whitespace();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof JsonStop) return error.offset;
    // RangeError: nesting deeper than the stack.
    return undefined;
  }
}

class JsonStop {
  constructor(readonly offset: number) {}
}
