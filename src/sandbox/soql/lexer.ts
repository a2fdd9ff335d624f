/** Tokenizer for the SOQL subset the sandbox understands. */
export type TokenKind = 'ident' | 'string' | 'number' | 'date' | 'datetime' | 'op' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Raw text (identifiers keep their case; compare keywords with `upper`). */
  text: string;
  upper: string;
  /** 0-based character offset, for Salesforce-style error positions. */
  pos: number;
}

export class SoqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, pos: number) => tokens.push({ kind, text, upper: text.toUpperCase(), pos });
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = input.slice(i);
    const dt = DATETIME.exec(rest);
    if (dt) {
      push('datetime', dt[0], i);
      i += dt[0].length;
      continue;
    }
    const d = DATE.exec(rest);
    if (d) {
      push('date', d[0], i);
      i += d[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(input[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?/.exec(rest)!;
      push('number', m[0], i);
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)!;
      push('ident', m[0], i);
      i += m[0].length;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        const ch = input[j];
        if (ch === undefined) throw new SoqlSyntaxError('unterminated string literal', i);
        if (ch === '\\') {
          const next = input[j + 1];
          const escapes: Record<string, string> = {
            n: '\n',
            r: '\r',
            t: '\t',
            b: '\b',
            f: '\f',
            '"': '"',
            "'": "'",
            '\\': '\\',
            _: '\\_',
            '%': '\\%',
          };
          if (next === undefined || !(next in escapes)) throw new SoqlSyntaxError('invalid escape sequence in string literal', j);
          value += escapes[next];
          j += 2;
          continue;
        }
        if (ch === "'") break;
        value += ch;
        j++;
      }
      tokens.push({ kind: 'string', text: value, upper: value.toUpperCase(), pos: i });
      i = j + 1;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      push('op', two === '<>' ? '!=' : two, i);
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      push('op', c, i);
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '.' || c === ':') {
      push('punct', c, i);
      i++;
      continue;
    }
    throw new SoqlSyntaxError(`unexpected character '${c}'`, i);
  }
  push('eof', '', input.length);
  return tokens;
}
