import { AuthError } from './errors';

export interface BoundedFetchOptions {
  /** Milliseconds for the whole exchange, headers and body. */
  readonly timeoutMs: number;
  /** Bodies above this are refused without being read whole. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/** Discovery documents, JWKS and token responses are a few KB; 1 MiB leaves room for any real provider. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Wraps fetch so that every request the core makes is bounded in time and in
 * size, whoever calls it (openid-client included). A provider that never
 * answers, or answers with an endless body, costs at most `timeoutMs` and
 * `maxBodyBytes`.
 */
export function createBoundedFetch(base: typeof fetch, options: BoundedFetchOptions): typeof fetch {
  const bounded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await base(input, { ...init, signal });
    } catch (error) {
      throw networkError(error, timeout, options.timeoutMs);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new AuthError('network_error', `The provider sent a response of ${declared} bytes, more than the ${options.maxBodyBytes} allowed.`);
    }
    if (!response.body) return response;
    // A declared length within the limit is enforced by HTTP framing itself;
    // only compressed or unframed bodies need counting as they arrive.
    if (Number.isFinite(declared) && response.headers.has('content-length') && !response.headers.has('content-encoding')) return response;
    const limited = response.body.pipeThrough(byteLimit(options.maxBodyBytes));
    // A fresh Response keeps status and headers; the body is now the limited stream.
    return new Response(limited, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return bounded as typeof fetch;
}

function byteLimit(max: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) {
        controller.error(new AuthError('network_error', `The provider's response exceeded ${max} bytes and was refused.`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}

function networkError(error: unknown, timeout: AbortSignal, timeoutMs: number): AuthError {
  if (error instanceof AuthError) return error;
  if (timeout.aborted) {
    return new AuthError('network_error', `The provider did not answer within ${Math.round(timeoutMs / 1000)} seconds.`, { cause: error });
  }
  return new AuthError('network_error', 'The provider could not be reached. Check the network connection.', { cause: error });
}
