/**
 * Recursive-descent parser for the SOQL subset: SELECT fields (with relationship paths) or
 * COUNT(), FROM one object, WHERE with AND/OR/NOT and parentheses, comparison, IN / NOT IN, LIKE,
 * date and datetime literals and relative date literals, ORDER BY (several fields, ASC/DESC,
 * NULLS FIRST/LAST), LIMIT, OFFSET. Anything else is a syntax error (MALFORMED_QUERY), never a
 * silently wrong answer.
 */
import type { Condition, FieldPath, Literal, OrderItem, SoqlQuery } from './ast.js';
import { SoqlSyntaxError, tokenize, type Token } from './lexer.js';
import { isDateLiteral, dateLiteralTakesN } from './date-literals.js';

const UNSUPPORTED_CLAUSES = new Set(['GROUP', 'HAVING', 'WITH', 'FOR', 'USING', 'TYPEOF', 'UPDATE', 'ALL']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }
  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.upper === word;
  }
  private expectKeyword(word: string): Token {
    const t = this.next();
    if (t.kind !== 'ident' || t.upper !== word)
      throw new SoqlSyntaxError(`unexpected token: '${t.text || 'end of query'}', expecting ${word}`, t.pos);
    return t;
  }
  private expectPunct(p: string): void {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== p)
      throw new SoqlSyntaxError(`unexpected token: '${t.text || 'end of query'}', expecting '${p}'`, t.pos);
  }
  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === p;
  }

  parse(): SoqlQuery {
    const q = this.query(false);
    const end = this.peek();
    if (end.kind !== 'eof') {
      const why = UNSUPPORTED_CLAUSES.has(end.upper) ? `${end.text} is not supported by the sandbox` : `unexpected token: '${end.text}'`;
      throw new SoqlSyntaxError(why, end.pos);
    }
    return q;
  }

  private query(nested: boolean): SoqlQuery {
    this.expectKeyword('SELECT');
    let fields: FieldPath[] | null = [];
    const subqueries: SoqlQuery[] = [];
    if (this.isKeyword('COUNT') && this.peek(1).text === '(') {
      this.next();
      this.expectPunct('(');
      if (!this.isPunct(')')) throw new SoqlSyntaxError('only COUNT() without a field is supported', this.peek().pos);
      this.expectPunct(')');
      fields = null;
    } else {
      do {
        if (this.isPunct('(')) {
          if (nested) throw new SoqlSyntaxError('nested subqueries are not supported', this.peek().pos);
          this.next();
          subqueries.push(this.query(true));
          this.expectPunct(')');
          continue;
        }
        const f = this.fieldPath();
        if (this.isPunct('(')) throw new SoqlSyntaxError(`unsupported function '${f.text}'`, f.pos);
        fields.push(f);
      } while (this.isPunct(',') && this.next());
      if (fields.length === 0) throw new SoqlSyntaxError('at least one field must be selected', this.peek().pos);
    }
    this.expectKeyword('FROM');
    const from = this.next();
    if (from.kind !== 'ident') throw new SoqlSyntaxError(`unexpected token: '${from.text}'`, from.pos);
    if (this.isPunct(',')) throw new SoqlSyntaxError('only one object in FROM is supported', this.peek().pos);
    let where: Condition | null = null;
    if (this.isKeyword('WHERE')) {
      this.next();
      where = this.orCondition();
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword('ORDER')) {
      this.next();
      this.expectKeyword('BY');
      do {
        const field = this.fieldPath();
        let descending = false;
        if (this.isKeyword('ASC')) this.next();
        else if (this.isKeyword('DESC')) {
          this.next();
          descending = true;
        }
        let nullsLast = descending;
        if (this.isKeyword('NULLS')) {
          this.next();
          const which = this.next();
          if (which.upper === 'FIRST') nullsLast = false;
          else if (which.upper === 'LAST') nullsLast = true;
          else throw new SoqlSyntaxError(`unexpected token: '${which.text}', expecting FIRST or LAST`, which.pos);
        }
        orderBy.push({ field, descending, nullsLast });
      } while (this.isPunct(',') && this.next());
    }
    let limit: number | null = null;
    let offset: number | null = null;
    if (this.isKeyword('LIMIT')) {
      this.next();
      limit = this.integer();
    }
    if (this.isKeyword('OFFSET')) {
      this.next();
      offset = this.integer();
    }
    return { fields, subqueries, from: from.text, fromPos: from.pos, where, orderBy, limit, offset };
  }

  private integer(): number {
    const t = this.next();
    if (t.kind !== 'number' || !/^\d+$/.test(t.text))
      throw new SoqlSyntaxError(`unexpected token: '${t.text}', expecting a non-negative integer`, t.pos);
    return Number(t.text);
  }

  private fieldPath(): FieldPath {
    const first = this.next();
    if (first.kind !== 'ident') throw new SoqlSyntaxError(`unexpected token: '${first.text || 'end of query'}'`, first.pos);
    const parts = [first.text];
    while (this.isPunct('.')) {
      this.next();
      const t = this.next();
      if (t.kind !== 'ident') throw new SoqlSyntaxError(`unexpected token: '${t.text}'`, t.pos);
      parts.push(t.text);
    }
    return { text: parts.join('.'), parts, pos: first.pos };
  }

  private orCondition(): Condition {
    const items = [this.andCondition()];
    while (this.isKeyword('OR')) {
      this.next();
      items.push(this.andCondition());
    }
    return items.length === 1 ? (items[0] as Condition) : { kind: 'or', items };
  }

  private andCondition(): Condition {
    const items = [this.notCondition()];
    while (this.isKeyword('AND')) {
      this.next();
      items.push(this.notCondition());
    }
    return items.length === 1 ? (items[0] as Condition) : { kind: 'and', items };
  }

  private notCondition(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', item: this.notCondition() };
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.orCondition();
      this.expectPunct(')');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Condition {
    const field = this.fieldPath();
    const t = this.peek();
    if (t.kind === 'op') {
      this.next();
      return { kind: 'compare', field, op: t.text as '=' | '!=' | '<' | '<=' | '>' | '>=', value: this.literal() };
    }
    if (t.kind === 'ident' && (t.upper === 'IN' || (t.upper === 'NOT' && this.peek(1).upper === 'IN'))) {
      const negated = t.upper === 'NOT';
      this.next();
      if (negated) this.next();
      this.expectPunct('(');
      if (this.isKeyword('SELECT')) throw new SoqlSyntaxError('semi-join subqueries are not supported by the sandbox', this.peek().pos);
      const values: Literal[] = [this.literal()];
      while (this.isPunct(',')) {
        this.next();
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { kind: 'in', field, negated, values };
    }
    if (t.kind === 'ident' && t.upper === 'LIKE') {
      this.next();
      const p = this.next();
      if (p.kind !== 'string') throw new SoqlSyntaxError(`unexpected token: '${p.text}', expecting a string`, p.pos);
      return { kind: 'like', field, pattern: p.text };
    }
    if (t.kind === 'ident' && (t.upper === 'INCLUDES' || t.upper === 'EXCLUDES')) {
      throw new SoqlSyntaxError(`${t.upper} is not supported by the sandbox`, t.pos);
    }
    throw new SoqlSyntaxError(`unexpected token: '${t.text || 'end of query'}'`, t.pos);
  }

  private literal(): Literal {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.text };
      case 'number':
        return { kind: 'number', value: Number(t.text) };
      case 'date':
        return { kind: 'date', value: t.text };
      case 'datetime': {
        const normalized = t.text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
        const ms = Date.parse(normalized);
        if (Number.isNaN(ms)) throw new SoqlSyntaxError(`invalid datetime '${t.text}'`, t.pos);
        return { kind: 'datetime', value: ms };
      }
      case 'ident': {
        if (t.upper === 'NULL') return { kind: 'null' };
        if (t.upper === 'TRUE' || t.upper === 'FALSE') return { kind: 'boolean', value: t.upper === 'TRUE' };
        if (isDateLiteral(t.upper)) {
          if (dateLiteralTakesN(t.upper)) {
            this.expectPunct(':');
            return { kind: 'dateLiteral', name: t.upper, n: this.integer() };
          }
          return { kind: 'dateLiteral', name: t.upper, n: null };
        }
        if (this.isPunct(':')) throw new SoqlSyntaxError(`unknown date literal '${t.text}'`, t.pos);
        throw new SoqlSyntaxError(`unexpected token: '${t.text}'`, t.pos);
      }
      default:
        throw new SoqlSyntaxError(`unexpected token: '${t.text || 'end of query'}'`, t.pos);
    }
  }
}

export function parseSoql(text: string): SoqlQuery {
  return new Parser(tokenize(text)).parse();
}

export { SoqlSyntaxError };
