/**
 * Requests generated from the OpenAPI document the server publishes: for every operation, its path
 * and query parameters and its JSON body, valid-shaped (enums, ranges, dates, and values the API
 * itself answered: connection ids, deal ids, cursors) or hostile (empty, huge, unicode, control
 * characters, numbers as strings, arrays for scalars, prototype-pollution keys). A route added to
 * the document is fuzzed without new test code.
 */
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  /** Path template as documented: `/api/v1/connections/{id}/deals`. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  /** Schema of the JSON body, when the operation takes one. */
  body: JsonSchema | undefined;
  secured: boolean;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; security?: unknown[] }>
  >;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([template, byMethod]) =>
    Object.entries(byMethod)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path'),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
        secured: (op.security ?? []).length > 0,
      })),
  );
}

/**
 * Values the API answered, by JSON key: a parameter draws from the keys that end with its name
 * (`id` <- `id`, `dealId` <- `dealId`, `owner` <- `ownerId`, `cursor` <- `nextCursor`).
 */
export class ValuePool {
  private readonly byKey = new Map<string, Set<string>>();

  harvest(value: unknown, key = ''): void {
    if (typeof value === 'string' && key !== '' && value.length > 0 && value.length <= 2_000) {
      const set = this.byKey.get(key) ?? new Set<string>();
      if (set.size < 50) set.add(value);
      this.byKey.set(key, set);
    } else if (Array.isArray(value)) {
      for (const item of value) this.harvest(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) this.harvest(v, k);
    }
  }

  /**
   * Values for parameter `name`; `resource` is the path segment before it (`jobs` in `/jobs/{id}`),
   * whose singular + `Id` key (`jobId`) comes first.
   */
  valuesFor(name: string, resource?: string): string[] {
    const wanted = name.toLowerCase();
    const own = resource === undefined ? undefined : `${resource.replace(/s$/, '')}id`.toLowerCase();
    const keys = [...this.byKey.keys()];
    const ranked = [
      ...keys.filter((key) => key.toLowerCase() === own),
      ...keys.filter((key) => key === name),
      ...keys.filter(
        (key) => key !== name && key.toLowerCase() !== own && (key.toLowerCase().endsWith(wanted) || key.toLowerCase() === `${wanted}id`),
      ),
    ];
    return [...new Set(ranked.flatMap((key) => [...this.byKey.get(key)!]))];
  }

  /** The values of the best-matching key only (a path parameter wants the right kind of id). */
  bestValuesFor(name: string, resource?: string): string[] {
    const own = resource === undefined ? undefined : `${resource.replace(/s$/, '')}id`.toLowerCase();
    const key = [...this.byKey.keys()].find((k) => k.toLowerCase() === own) ?? (this.byKey.has(name) ? name : undefined);
    return key === undefined ? this.valuesFor(name, resource) : [...this.byKey.get(key)!];
  }
}

/** Strings no parameter should trip on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    '-0',
    'NaN',
    'Infinity',
    '0x1F',
    '1.5',
    '99999999999999999999999',
    'true',
    'null',
    'undefined',
    '[]',
    '{}',
    '__proto__',
    'constructor',
    'prototype',
    "' OR 1=1 --",
    '"; DROP TABLE deals; --',
    '../../../etc/passwd',
    '..%2F..%2Fetc',
    '{{7*7}}',
    '${7*7}',
    '<script>alert(1)</script>',
    '\u0000',
    '\r\nSet-Cookie: x=1',
    '\u202e\u0645',
    '😀👍🏽',
    '\uFEFF',
    'ß',
    '0001-01-01',
    '9999-12-31',
    '2026-02-30',
    '2026-13-01',
    '+002026-11-26',
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 }),
  fc.integer({ min: 1_000, max: 12_000 }).map((n) => 'x'.repeat(n)),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double().map(String),
);

function validScalar(schema: JsonSchema | undefined, name: string, pool: ValuePool, resource?: string): fc.Arbitrary<string> {
  const known = pool.valuesFor(name, resource);
  const options: fc.Arbitrary<string>[] = [];
  if (schema?.enum !== undefined && schema.enum.length > 0) options.push(fc.constantFrom(...schema.enum.map(String)));
  else if (schema?.type === 'integer' || schema?.type === 'number') {
    const min = schema.minimum ?? -1_000_000;
    const max = schema.maximum ?? 1_000_000;
    options.push(fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }).map(String));
  } else if (schema?.type === 'boolean') options.push(fc.constantFrom('true', 'false'));
  else if (schema?.format === 'date') {
    options.push(fc.integer({ min: Date.UTC(2019, 0, 1), max: Date.UTC(2028, 0, 1) }).map((ms) => new Date(ms).toISOString().slice(0, 10)));
  } else
    options.push(
      fc.string({ minLength: Math.max(1, schema?.minLength ?? 0), maxLength: Math.max(1, Math.min(schema?.maxLength ?? 24, 24)) }),
    );
  if (known.length > 0) options.push(fc.constantFrom(...known), fc.constantFrom(...known));
  return fc.oneof(...options);
}

/** A parameter value: valid-shaped (mostly) or hostile. */
function paramValue(param: Parameter, pool: ValuePool, resource?: string): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: validScalar(param.schema, param.name, pool, resource), weight: 3 }, { arbitrary: hostileString, weight: 2 });
}

/** The path segment before `{name}` in a template (`jobs` in `/api/v1/jobs/{id}`). */
function resourceOf(template: string, name: string): string | undefined {
  const segments = template.split('/');
  const at = segments.indexOf(`{${name}}`);
  return at > 0 ? segments[at - 1] : undefined;
}

function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Segments sent as they are, not percent-encoded: broken escapes and separators. */
const rawSegment = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AE%C0%AE', '..', '.', '%2e%2e', ';x=1', '%00', '%FF%FE');

/** Lone surrogates cannot be percent-encoded; a client would send U+FFFD for them. */
const wellFormed = (value: string) => value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const encode = (value: string) => encodeURIComponent(wellFormed(value));

/** Extra query keys a client might send: prototype pollution, duplicates, junk. */
const extraQuery = fc.array(
  fc.tuple(
    fc.constantFrom(
      '__proto__',
      '__proto__[polluted]',
      'constructor[prototype][polluted]',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      'a[]',
      'x',
    ),
    hostileString,
  ),
  { maxLength: 3 },
);

/** A value for a parameter: valid-shaped (known values first), hostile, or either. */
function valueOf(param: Parameter, pool: ValuePool, resource: string | undefined, kind: Kind): fc.Arbitrary<string> {
  const known = pool.bestValuesFor(param.name, resource);
  const valid = known.length > 0 && param.in === 'path' ? fc.constantFrom(...known) : validScalar(param.schema, param.name, pool, resource);
  if (kind === 'valid') return valid;
  if (kind === 'hostile') return hostileString;
  return paramValue(param, pool, resource);
}

/** valid: as documented; hostile: as no client should send it; any: either. */
type Kind = 'valid' | 'hostile' | 'any';

function queryPart(op: Operation, pool: ValuePool, kindOf: (name: string) => Kind, extraKind: Kind): fc.Arbitrary<string> {
  const perParam = op.queryParams.map((param) => {
    const kind = kindOf(param.name);
    const value = valueOf(param, pool, undefined, kind);
    const shapes: fc.Arbitrary<string[]>[] =
      kind === 'valid'
        ? [fc.constant<string[]>([]), value.map((v) => [v])]
        : // an array where a scalar is expected, as repeated keys
          [...(kind === 'any' ? [fc.constant<string[]>([])] : []), value.map((v) => [v]), fc.array(value, { minLength: 2, maxLength: 3 })];
    return fc.oneof(...shapes).map((values) => values.map((v) => `${encode(param.name)}=${encode(v)}`));
  });
  const extra = extraKind === 'valid' ? fc.constant<[string, string][]>([]) : extraQuery;
  return fc
    .tuple(fc.tuple(...perParam), extra, extraKind === 'valid' ? fc.constant(false) : fc.boolean())
    .map(([declared, extras, doubled]) => {
      const pairs = [...declared.flat(), ...extras.map(([k, v]) => `${encode(k)}=${encode(v)}`)];
      return pairs.length === 0 ? '' : `?${pairs.join(doubled ? '&&' : '&')}`;
    });
}

function pathPart(op: Operation, pool: ValuePool, kindOf: (name: string) => Kind): fc.Arbitrary<{ path: string; values: string[] }> {
  const segments = op.pathParams.map((param) => {
    const kind = kindOf(param.name);
    const encoded = valueOf(param, pool, resourceOf(op.template, param.name), kind).map((value) => ({ sent: encode(value), value }));
    if (kind === 'valid') return encoded;
    return fc.oneof(
      { arbitrary: encoded, weight: 5 },
      { arbitrary: rawSegment.map((raw) => ({ sent: raw, value: decodedOrRaw(raw) })), weight: 1 },
    );
  });
  return fc.tuple(...segments).map((values) => {
    let path = op.template;
    op.pathParams.forEach((param, i) => {
      path = path.replace(`{${param.name}}`, values[i]!.sent);
    });
    return { path, values: values.map((v) => wellFormed(v.value)) };
  });
}

/** A JSON value where the schema wants `schema`: a valid one, or (kind any) anything else too. */
function jsonValue(schema: JsonSchema, name: string, pool: ValuePool, depth: number, kind: Kind): fc.Arbitrary<unknown> {
  const valid: fc.Arbitrary<unknown> =
    schema.type === 'object' && schema.properties !== undefined && depth < 3
      ? jsonObject(schema, pool, depth + 1, kind)
      : schema.type === 'integer' || schema.type === 'number'
        ? validScalar(schema, name, pool).map(Number)
        : schema.type === 'boolean'
          ? fc.boolean()
          : schema.enum !== undefined
            ? fc.constantFrom(...schema.enum)
            : validScalar(schema, name, pool);
  if (kind === 'valid') return valid;
  return fc.oneof(
    { arbitrary: valid, weight: 2 },
    // an array for a scalar, a number as a string
    { arbitrary: valid.map((v) => [v]), weight: 1 },
    { arbitrary: valid.map((v) => (typeof v === 'number' ? String(v) : v)), weight: 1 },
    {
      arbitrary: fc.oneof(hostileString, fc.constant(null), fc.integer(), fc.double(), fc.boolean(), fc.object({ maxDepth: 2 })),
      weight: 2,
    },
  );
}

function jsonObject(schema: JsonSchema, pool: ValuePool, depth: number, kind: Kind): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries(schema.properties ?? {});
  const fields = fc.tuple(...props.map(([name, sub]) => fc.option(jsonValue(sub, name, pool, depth, kind), { nil: undefined, freq: 3 })));
  const extra =
    kind === 'valid'
      ? fc.constant<[string, unknown][]>([])
      : fc.array(
          fc.tuple(
            fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x'),
            fc.oneof(fc.object({ maxDepth: 2 }), hostileString),
          ),
          { maxLength: 2 },
        );
  return fc.tuple(fields, extra).map(([values, extras]) => {
    const entries: [string, unknown][] = props.flatMap(([name], i) =>
      values[i] === undefined ? [] : [[name, values[i]] as [string, unknown]],
    );
    // fromEntries defines `__proto__` as an own key, so it reaches the wire as JSON does
    return Object.fromEntries([...entries, ...extras]);
  });
}

/** Bodies that are not the documented object at all. */
const hostileBody = fc.oneof(
  fc.constantFrom(
    '',
    'null',
    '[]',
    '"full"',
    '{',
    '{"mode":',
    '\u0000',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
  ),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => JSON.stringify({ mode: 'x'.repeat(n) })),
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

export interface GeneratedRequest {
  method: string;
  url: string;
  /** The path parameters' values as the server should decode them. */
  pathValues: string[];
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * What a request of `op` can get wrong, one at a time: each parameter, the body, the credentials,
 * the content type, extra query keys; and `all`, everything at random at once.
 */
export function targetsOf(op: Operation): string[] {
  return [
    ...op.pathParams.map((p) => `path:${p.name}`),
    ...op.queryParams.map((p) => `query:${p.name}`),
    'body',
    'authorization',
    'content-type',
    'extra-query',
    'all',
  ];
}

/** Requests for `op` with everything valid but `target` (see {@link targetsOf}), so each refusal is reached on its own. */
export function requestFor(op: Operation, pool: ValuePool, apiToken: string, target: string): fc.Arbitrary<GeneratedRequest> {
  return build(op, pool, apiToken, target);
}

function build(op: Operation, pool: ValuePool, apiToken: string, target: string): fc.Arbitrary<GeneratedRequest> {
  const kind = (name: string): Kind => (target === 'all' ? 'any' : target === name ? 'hostile' : 'valid');
  const validBody = op.body === undefined ? fc.constant(undefined) : jsonObject(op.body, pool, 0, 'valid').map((b) => JSON.stringify(b));
  const hostile: fc.Arbitrary<string | undefined> =
    op.body === undefined
      ? hostileBody
      : fc.oneof(
          { arbitrary: jsonObject(op.body, pool, 0, 'any').map((b) => JSON.stringify(b)), weight: 2 },
          { arbitrary: hostileBody, weight: 1 },
        );
  const body = kind('body') === 'valid' ? validBody : kind('body') === 'hostile' ? hostile : fc.oneof(validBody, hostile);
  const goodType = fc.constant('application/json');
  const badType = fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'application/xml',
    '',
  );
  const contentType =
    kind('content-type') === 'valid' ? goodType : kind('content-type') === 'hostile' ? badType : fc.oneof(goodType, badType);
  const goodAuth = fc.constant(`Bearer ${apiToken}`);
  const badAuth = fc.oneof(
    fc.constantFrom(
      '',
      'Bearer',
      `Bearer ${apiToken}x`,
      `bearer  ${apiToken}x`,
      `Basic ${Buffer.from(`u:${apiToken}x`).toString('base64')}`,
      'Basic %%%',
      'Bearer \u0000',
    ),
    hostileString.map((s) => `Bearer ${s}`),
  );
  const authorization =
    kind('authorization') === 'valid'
      ? goodAuth
      : kind('authorization') === 'hostile'
        ? badAuth
        : fc.oneof({ arbitrary: goodAuth, weight: 4 }, { arbitrary: badAuth, weight: 1 });
  const path = pathPart(op, pool, (name) => kind(`path:${name}`));
  const query = queryPart(op, pool, (name) => kind(`query:${name}`), kind('extra-query'));
  return fc.record({ path, query, body, contentType, authorization }).map((r) => {
    const headers: Record<string, string> = {};
    // header values must be printable latin-1 to be sent at all
    const auth = r.authorization.replace(/[^\u0020-\u007e]/g, '');
    if (auth !== '') headers.authorization = auth;
    if (r.body !== undefined && r.contentType !== '') headers['content-type'] = r.contentType;
    return {
      method: op.method,
      url: `${r.path.path}${r.query}`,
      pathValues: r.path.values,
      headers,
      body: op.method === 'GET' ? undefined : r.body,
    };
  });
}

/** The valid request of an operation, filled from the pool (for the crawl and the every-route-answers check). */
export function exampleRequest(op: Operation, pool: ValuePool, apiToken: string, pick = 0, variant = 0): GeneratedRequest | undefined {
  let url = op.template;
  const pathValues: string[] = [];
  for (const param of op.pathParams) {
    const values = pool.bestValuesFor(param.name, resourceOf(op.template, param.name));
    if (values.length === 0) return undefined;
    const value = values[pick % values.length]!;
    pathValues.push(value);
    url = url.replace(`{${param.name}}`, encode(value));
  }
  const body = op.body === undefined ? undefined : JSON.stringify(exampleOf(op.body));
  // variant 0: no query; 1: numeric parameters at their minimum (small pages give cursors); 2: every parameter
  const query = op.queryParams
    .filter((p) => variant === 2 || (variant === 1 && (p.schema?.type === 'integer' || p.schema?.type === 'number')))
    .flatMap((p) => {
      const values = pool.valuesFor(p.name);
      const value = p.schema?.minimum ?? p.schema?.enum?.[0] ?? (p.schema?.format === 'date' ? undefined : values[0]);
      return value === undefined ? [] : [`${encode(p.name)}=${encode(String(value))}`];
    });
  return {
    method: op.method,
    url: query.length === 0 ? url : `${url}?${query.join('&')}`,
    pathValues,
    headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  };
}

function exampleOf(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.enum !== undefined) return schema.enum[0];
  if (schema.type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, exampleOf(v)]));
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return true;
  return 'x';
}
