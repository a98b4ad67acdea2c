import { fail } from '../../core/errors.js';

/** The scheme of every broker address streamlearn takes. */
export const NATS_SCHEME = 'nats://';
/** Where nats-server listens unless told otherwise. */
export const DEFAULT_NATS_PORT = 4222;

/** Whether a --source, --out, --to or --model value names a NATS address rather than a file or directory. */
export function isNatsUrl(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.toLowerCase().startsWith(NATS_SCHEME);
}

/** A NATS server and the credentials given in the URL, if any. */
export interface NatsServer {
  /** `nats://host:port`, what the client connects to (credentials left out, so messages never print them). */
  readonly servers: string;
  readonly user?: string;
  readonly pass?: string;
}

/** `nats://HOST:PORT/STREAM`: a JetStream stream. */
export interface StreamUrl extends NatsServer {
  readonly stream: string;
  /** The URL as messages show it (no credentials). */
  readonly display: string;
}

/** `nats://HOST:PORT/BUCKET/NAME[@VERSION]`: a model in the registry (an object store and a key-value bucket of one name). */
export interface ModelRef extends NatsServer {
  readonly bucket: string;
  readonly name: string;
  /** A version asked for by `@N`; absent: the current one. */
  readonly version?: number;
  /** The reference as messages show it (no credentials). */
  readonly display: string;
}

// Stream and bucket names become parts of subjects and of stream names (KV_<bucket>, OBJ_<bucket>), so
// only the characters every NATS name accepts: no dots, wildcards, slashes or spaces.
const NAME = /^[A-Za-z0-9_-]+$/;
// A model's name is a key in the KV bucket and the prefix of its objects' names.
const MODEL_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Splits a nats:// URL into its server and path segments, failing with the flag's name. */
function parse(value: string, flag: string, shape: string): { server: NatsServer; segments: string[] } {
  if (!isNatsUrl(value)) fail(`${flag} ${value}: expected ${shape}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${flag} ${value}: not a valid URL; expected ${shape}`);
  }
  if (url.hostname === '') fail(`${flag} ${value}: no host; expected ${shape}`);
  if (url.search !== '' || url.hash !== '') fail(`${flag} ${value}: unexpected "${url.search}${url.hash}"; expected ${shape}`);
  const port = url.port === '' ? DEFAULT_NATS_PORT : Number(url.port);
  const host = url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  const server: NatsServer = {
    servers: `nats://${host}:${port}`,
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { pass: decodeURIComponent(url.password) } : {}),
  };
  const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return { server, segments };
}

/** Parses `nats://HOST[:PORT]/STREAM` (port 4222 by default); failures name the flag. */
export function parseStreamUrl(value: string, flag = '--source'): StreamUrl {
  const shape = 'nats://HOST:PORT/STREAM';
  const { server, segments } = parse(value, flag, shape);
  if (segments.length !== 1 || segments[0] === '') fail(`${flag} ${value}: expected ${shape} (one stream name after the address)`);
  const stream = segments[0];
  if (!NAME.test(stream)) fail(`${flag} ${value}: "${stream}" is not a valid stream name (letters, digits, - and _ only)`);
  return { ...server, stream, display: `${server.servers}/${stream}` };
}

/** Parses `nats://HOST[:PORT]/BUCKET/NAME[@VERSION]`; failures name the flag. */
export function parseModelRef(value: string, flag = '--model'): ModelRef {
  const shape = 'nats://HOST:PORT/BUCKET/NAME (optionally @VERSION)';
  const { server, segments } = parse(value, flag, shape);
  if (segments.length !== 2 || segments.some((s) => s === '')) fail(`${flag} ${value}: expected ${shape}`);
  const [bucket, named] = segments;
  if (!NAME.test(bucket)) fail(`${flag} ${value}: "${bucket}" is not a valid bucket name (letters, digits, - and _ only)`);
  const at = named.lastIndexOf('@');
  const name = at >= 0 ? named.slice(0, at) : named;
  if (!MODEL_NAME.test(name) || name.endsWith('.')) {
    fail(`${flag} ${value}: "${name}" is not a valid model name (letters, digits, ., - and _; not starting or ending with a dot)`);
  }
  let version: number | undefined;
  if (at >= 0) {
    const text = named.slice(at + 1);
    version = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(version) || version < 1) fail(`${flag} ${value}: "@${text}" is not a version (a positive integer)`);
  }
  const display = `${server.servers}/${bucket}/${name}${version !== undefined ? `@${version}` : ''}`;
  return { ...server, bucket, name, ...(version !== undefined ? { version } : {}), display };
}
