/** The SOQL subset: what parses, what is refused (MALFORMED_QUERY), and what a query returns. */
import { describe, expect, it } from 'vitest';
import { BookStore } from '../../../src/sandbox/book-store.js';
import { CallLog } from '../../../src/sandbox/call-log.js';
import { SandboxClock } from '../../../src/sandbox/clock.js';
import { generateBook } from '../../../src/sandbox/generator/generate.js';
import { SalesforceContext } from '../../../src/sandbox/salesforce/context.js';
import { salesforceTables } from '../../../src/sandbox/salesforce/schema.js';
import { dateLiteralRange } from '../../../src/sandbox/soql/date-literals.js';
import { executeSoql, SoqlError } from '../../../src/sandbox/soql/execute.js';
import { parseSoql, SoqlSyntaxError } from '../../../src/sandbox/soql/parser.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;

describe('SOQL parser', () => {
  it('parses fields, relationship paths, nested boolean logic, IN, LIKE, literals, ORDER BY, LIMIT, OFFSET', () => {
    const q = parseSoql(
      "select Id, Owner.Name FROM Opportunity WHERE (StageName IN ('A', 'B') OR NOT Amount > 10.5) " +
        "AND Name LIKE 'Ac\\_me%' AND CloseDate = LAST_N_DAYS:30 AND SystemModstamp >= " +
        '2026-01-01T00:00:00Z AND CreatedDate < 2026-01-01T00:00:00.000+0100 AND NextStep != null ORDER ' +
        'BY CloseDate DESC NULLS LAST, Id LIMIT 10 OFFSET 5',
    );
    expect(q.fields?.map((f) => f.text)).toEqual(['Id', 'Owner.Name']);
    expect(q.from).toBe('Opportunity');
    expect(q.orderBy.map((o) => [o.field.text, o.descending, o.nullsLast])).toEqual([
      ['CloseDate', true, true],
      ['Id', false, false],
    ]);
    expect([q.limit, q.offset]).toEqual([10, 5]);
    expect(q.where?.kind).toBe('and');
    const where = q.where as { kind: 'and'; items: { kind: string; value?: unknown; pattern?: string }[] };
    expect(where.items.map((c) => c.kind)).toEqual(['or', 'like', 'compare', 'compare', 'compare', 'compare']);
    expect(where.items[1]!.pattern).toBe('Ac\\_me%');
    expect(where.items[2]!.value).toEqual({ kind: 'dateLiteral', name: 'LAST_N_DAYS', n: 30 });
    expect(where.items[4]!.value).toEqual({ kind: 'datetime', value: Date.parse('2025-12-31T23:00:00Z') });
  });

  it('parses SELECT COUNT()', () => {
    expect(parseSoql('SELECT COUNT() FROM Task').fields).toBeNull();
  });

  it.each([
    ['GROUP BY', 'SELECT StageName FROM Opportunity GROUP BY StageName'],
    ['aggregate functions', 'SELECT SUM(Amount) FROM Opportunity'],
    ['nested subqueries', 'SELECT Id, (SELECT Id, (SELECT Id FROM Tasks) FROM Tasks) FROM Opportunity'],
    ['semi-joins', 'SELECT Id FROM Opportunity WHERE Id IN (SELECT WhatId FROM Task)'],
    ['TYPEOF', 'SELECT TYPEOF What WHEN Opportunity THEN Name END FROM Task'],
    ['FOR UPDATE', 'SELECT Id FROM Opportunity FOR UPDATE'],
    ['two objects', 'SELECT Id FROM Opportunity, Account'],
    ['INCLUDES', "SELECT Id FROM Opportunity WHERE Type INCLUDES ('a')"],
    ['unknown date literal', 'SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_FORTNIGHTS:2'],
    ['an unterminated string', "SELECT Id FROM Opportunity WHERE Name = 'abc"],
    ['a missing FROM', 'SELECT Id Opportunity'],
    ['trailing garbage', 'SELECT Id FROM Opportunity LIMIT 5 banana'],
  ])('refuses %s with a syntax error', (_what, soql) => {
    expect(() => parseSoql(soql)).toThrow(SoqlSyntaxError);
  });
});

describe('SOQL date literals', () => {
  const now = NOW.getTime();
  const today = Date.UTC(2026, 10, 26);
  it.each([
    ['TODAY', null, today, today + DAY],
    ['YESTERDAY', null, today - DAY, today],
    ['LAST_N_DAYS', 7, today - 7 * DAY, today + DAY],
    ['NEXT_N_DAYS', 3, today + DAY, today + 4 * DAY],
    ['THIS_QUARTER', null, Date.UTC(2026, 9, 1), Date.UTC(2027, 0, 1)],
    ['LAST_QUARTER', null, Date.UTC(2026, 6, 1), Date.UTC(2026, 9, 1)],
    ['THIS_MONTH', null, Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)],
    ['THIS_WEEK', null, Date.UTC(2026, 10, 22), Date.UTC(2026, 10, 29)],
  ] as const)('%s:%s covers [start, end)', (name, n, start, end) => {
    expect(dateLiteralRange(name, n, now)).toEqual({ start, end });
  });
});

describe('SOQL execution over the sandbox tables', () => {
  const store = new BookStore(generateBook({ provider: 'salesforce', seed: 9, deals: 200, now: NOW }), new SandboxClock(NOW));
  const ctx = new SalesforceContext(store, new CallLog(), {
    clientId: 'c',
    clientSecret: 's',
    refreshToken: 'r',
    username: 'u',
    organizationId: '00D000000000001AAA',
    jwtPublicKeyPem: '',
    acceptedAudiences: [],
  });
  const run = (soql: string, includeDeleted = false) =>
    executeSoql(salesforceTables(ctx), parseSoql(soql), { includeDeleted, now: NOW.getTime() });
  const deals = store.book.deals;

  it('filters dates against relative literals as ranges', () => {
    const res = run('SELECT Id FROM Opportunity WHERE CloseDate > TODAY');
    const today = Date.UTC(2026, 10, 26);
    expect(res.rows.map((r) => deals[r]!.id).sort()).toEqual(
      deals
        .filter((d) => d.closeDate !== null && d.closeDate >= today + DAY)
        .map((d) => d.id)
        .sort(),
    );
  });

  it('orders nulls first ascending and last descending by default, or as told', () => {
    const amounts = (soql: string) => run(soql).rows.map((r) => deals[r]!.amount);
    const asc = amounts('SELECT Id FROM Opportunity ORDER BY Amount');
    expect(asc[0]).toBeNull();
    const desc = amounts('SELECT Id FROM Opportunity ORDER BY Amount DESC');
    expect(desc[desc.length - 1]).toBeNull();
    const ascLast = amounts('SELECT Id FROM Opportunity ORDER BY Amount ASC NULLS LAST');
    expect(ascLast[ascLast.length - 1]).toBeNull();
    const nonNull = ascLast.filter((a): a is number => a !== null);
    expect(nonNull).toEqual([...nonNull].sort((a, b) => a - b));
  });

  it('applies LIKE case-insensitively with % and _', () => {
    const name = deals[0]!.name;
    const res = run(`SELECT Id FROM Opportunity WHERE Name LIKE '${name.slice(0, 3).toLowerCase()}%'`);
    expect(res.rows.every((r) => deals[r]!.name.toLowerCase().startsWith(name.slice(0, 3).toLowerCase()))).toBe(true);
    expect(res.rows.length).toBeGreaterThan(0);
  });

  it('matches 15-character ids against 18-character ones', () => {
    const id = deals[3]!.id;
    expect(run(`SELECT Id FROM Opportunity WHERE Id = '${id.slice(0, 15)}'`).rows).toEqual([3]);
  });

  it('applies OFFSET and LIMIT after ordering, and counts with COUNT()', () => {
    const all = run('SELECT Id FROM Opportunity ORDER BY Name, Id').rows;
    expect(run('SELECT Id FROM Opportunity ORDER BY Name, Id LIMIT 5 OFFSET 10').rows).toEqual(all.slice(10, 15));
    expect(run('SELECT COUNT() FROM Opportunity').totalSize).toBe(deals.filter((d) => !d.deleted).length);
  });

  it('answers unknown fields INVALID_FIELD, unknown objects INVALID_TYPE, mistyped values and big offsets as Salesforce does', () => {
    const code = (soql: string) => {
      try {
        run(soql);
        return 'no error';
      } catch (e) {
        return (e as SoqlError).errorCode;
      }
    };
    expect(code('SELECT Bogus__c FROM Opportunity')).toBe('INVALID_FIELD');
    expect(code('SELECT Id FROM Lead')).toBe('INVALID_TYPE');
    expect(code("SELECT Id FROM Opportunity WHERE Amount = '5'")).toBe('INVALID_FIELD');
    expect(code('SELECT Id FROM Opportunity WHERE CloseDate = 2026-01-01T00:00:00Z')).toBe('INVALID_FIELD');
    expect(code('SELECT Id FROM Opportunity OFFSET 2001')).toBe('MALFORMED_QUERY');
    expect(code('SELECT Id, Id FROM Opportunity')).toBe('MALFORMED_QUERY');
    expect(code('SELECT Nobody.Name FROM Opportunity')).toBe('INVALID_FIELD');
  });

  it('runs parent-to-child subqueries per parent row, null when a parent has no children', () => {
    const res = run(
      'SELECT Id, (SELECT ContactId FROM OpportunityContactRoles), (SELECT Id FROM Tasks WHERE Status ' +
        "= 'Completed' ORDER BY ActivityDate DESC LIMIT 2) FROM Opportunity LIMIT 50",
    );
    expect(res.subqueries.map((s) => s.relationshipName)).toEqual(['OpportunityContactRoles', 'Tasks']);
    for (const row of res.rows) {
      const roles = res.subqueries[0]!.rowsFor(row);
      expect(roles).toHaveLength(deals[row]!.contactIds.length);
      const tasks = res.subqueries[1]!.rowsFor(row).map((r) => store.book.activities[r]!);
      expect(tasks.length).toBeLessThanOrEqual(2);
      expect(tasks.every((t) => t.deal === row && t.completed && t.kind !== 'meeting')).toBe(true);
    }
    expect(() => run('SELECT Id, (SELECT Id FROM Nothings) FROM Opportunity')).toThrow(SoqlError);
  });

  it('keeps Task and Event rows apart, deleted or not', () => {
    const tasks = run('SELECT Id FROM Task', true).rows;
    const events = run('SELECT Id FROM Event', true).rows;
    expect(tasks.every((r) => store.book.activities[r]!.kind !== 'meeting')).toBe(true);
    expect(events.every((r) => store.book.activities[r]!.kind === 'meeting')).toBe(true);
    expect(tasks.length + events.length).toBe(store.book.activities.length);
  });
});
