/**
 * Money never adds across currencies. Amounts are converted to the reporting currency when the
 * connection gives a rate for their currency; otherwise they are kept in their own currency, and
 * a total becomes one line per currency. Every total carries its currency.
 */
import { groupThousands } from './strings.js';

/** An amount in one currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** How a connection converts money: the reporting currency and the rates into it. */
export interface MoneyContext {
  reportingCurrency: string;
  /** 1 unit of key = rate units of the reporting currency. */
  exchangeRates?: Readonly<Record<string, number>> | undefined;
}

/**
 * A sum that stays per currency. Ordered by currency code; a single line in the reporting
 * currency when every amount could be converted.
 */
export type MoneyTotal = Money[];

/**
 * Converts an amount to the reporting currency when possible; returns it unchanged (its own
 * currency) when no rate is given. A null currency means the connection's default currency,
 * which is the reporting currency.
 */
export function toReporting(amount: number, currency: string | null, ctx: MoneyContext): Money {
  if (currency === null || currency === ctx.reportingCurrency) return { amount, currency: ctx.reportingCurrency };
  const rate = ctx.exchangeRates?.[currency];
  if (rate !== undefined) return { amount: amount * rate, currency: ctx.reportingCurrency };
  return { amount, currency };
}

/** Accumulates amounts per currency (after conversion). */
export class MoneySum {
  private readonly byCurrency = new Map<string, number>();
  constructor(private readonly ctx: MoneyContext) {}

  /** Adds an amount given in `currency` (null = connection default). */
  add(amount: number, currency: string | null): void {
    const m = toReporting(amount, currency, this.ctx);
    this.byCurrency.set(m.currency, (this.byCurrency.get(m.currency) ?? 0) + m.amount);
  }

  /** Adds an already converted amount. */
  addMoney(m: Money): void {
    this.byCurrency.set(m.currency, (this.byCurrency.get(m.currency) ?? 0) + m.amount);
  }

  /** The total, one line per currency (the reporting currency line always present). */
  total(): MoneyTotal {
    const out: MoneyTotal = [];
    if (!this.byCurrency.has(this.ctx.reportingCurrency)) out.push({ amount: 0, currency: this.ctx.reportingCurrency });
    for (const [currency, amount] of this.byCurrency) out.push({ amount: roundCents(amount), currency });
    return out.sort((a, b) =>
      a.currency === this.ctx.reportingCurrency ? -1 : b.currency === this.ctx.reportingCurrency ? 1 : a.currency.localeCompare(b.currency),
    );
  }

  /** Amount in one currency (0 when none). */
  get(currency: string): number {
    return roundCents(this.byCurrency.get(currency) ?? 0);
  }
}

/** Amount of `total` in `currency` (0 when absent). */
export function amountIn(total: MoneyTotal, currency: string): number {
  return total.find((m) => m.currency === currency)?.amount ?? 0;
}

/** Rounds to cents to keep totals free of float dust. */
export function roundCents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** `12,500 USD` for messages. */
export function formatMoney(m: Money): string {
  return `${groupThousands(m.amount)} ${m.currency}`;
}
