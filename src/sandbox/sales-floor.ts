/**
 * Optional background "sales floor": every tick one random open deal moves to its next stage
 * (or is closed), the way a team works the pipeline, so webhooks and incremental syncs have
 * something to see. Seeded, so the sequence of moves is reproducible.
 */
import type { BookStore } from './book-store.js';
import { createPrng, deriveSeed } from './prng.js';

export function startSalesFloor(stores: BookStore[], seed: number, intervalMs: number): { stop(): void } {
  const rng = createPrng(deriveSeed(seed, 'sales-floor'));
  const timer = setInterval(() => {
    const store = stores[rng.int(0, stores.length - 1)]!;
    const deals = store.book.deals;
    for (let tries = 0; tries < 20; tries++) {
      const idx = rng.int(0, deals.length - 1);
      const deal = deals[idx]!;
      const stage = store.stageOf(deal);
      if (deal.deleted || stage.isClosed) continue;
      const stages = store.pipelineOf(deal).stages;
      store.updateDeal(idx, { stage: Math.min(deal.stage + 1, stages.length - 1) });
      return;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
