/**
 * A connector wrapper for quota tests: it records every pull, and after `pagesLeft` pages of the
 * `limited` pull the provider "says" the day's quota is spent (the error the real connector raises).
 */
import type { CrmConnector, PullOptions } from '../../../connectors/types.js';
import type { CrmError } from '../../../src/domain/errors.js';

type PullName = 'pullDeals' | 'pullActivities' | 'pullHistory';

/** Mutable by the test between syncs. */
export interface QuotaScript {
  limited: PullName;
  /** Pages of `limited` still allowed; Infinity lifts the limit. */
  pagesLeft: number;
  /** Every pull the sync engine started, in order. */
  pulls: { pull: PullName; options: PullOptions }[];
  /** The provider's quota error. */
  error(connector: CrmConnector): CrmError;
}

export function quotaLimited(connector: CrmConnector, script: QuotaScript): CrmConnector {
  const wrap = (name: PullName) =>
    async function* (options: PullOptions) {
      script.pulls.push({ pull: name, options });
      for await (const page of (connector[name] as (o: PullOptions) => AsyncIterable<unknown>).call(connector, options)) {
        if (name === script.limited) {
          if (script.pagesLeft <= 0) throw script.error(connector);
          script.pagesLeft -= 1;
        }
        yield page;
      }
    };
  return Object.assign(Object.create(connector) as CrmConnector, {
    pullDeals: wrap('pullDeals'),
    pullActivities: wrap('pullActivities'),
    pullHistory: wrap('pullHistory'),
  });
}
