/**
 * How the stage-change fast path shares work between the events that arrive together (a bulk
 * update sends hundreds in a second), inside one worker process: what is per connection (the CRM
 * reads, the scoring context, the write-back lease, the ledger read, the CRM write) is done once for
 * every item handed in during a short window, or while the group's previous batch ran, instead of
 * once per event. An item already in the open batch shares it (coalesced). Every caller gets the
 * shared outcome: when the batch fails, each of their jobs fails and is retried by BullMQ, so
 * nothing is dropped.
 */

interface OpenBatch<R> {
  items: Set<string>;
  result: Promise<R>;
}

export class BatchWindow<R> {
  private readonly open = new Map<string, OpenBatch<R>>();
  private readonly running = new Map<string, Promise<unknown>>();

  /**
   * @param windowMs how long a batch stays open for more items after its first one
   * @param flush the shared work, once per batch (one batch of a group runs at a time)
   */
  constructor(
    private readonly windowMs: number,
    private readonly flush: (group: string, items: string[], signal: AbortSignal | undefined) => Promise<R>,
  ) {}

  /**
   * Adds `item` to the group's open batch (opening one if none); `result` resolves with that batch's
   * outcome, `coalesced` says the item was in it already.
   */
  add(group: string, item: string, signal?: AbortSignal): { result: Promise<R>; coalesced: boolean } {
    const open = this.open.get(group);
    if (open) {
      const coalesced = open.items.has(item);
      open.items.add(item);
      return { result: open.result, coalesced };
    }
    const items = new Set([item]);
    const previous = this.running.get(group) ?? Promise.resolve();
    const result = Promise.all([delay(this.windowMs), previous.catch(() => undefined)]).then(() => {
      // From here on the batch is closed: later items open the next one, which waits for this one.
      this.open.delete(group);
      return this.flush(group, [...items].sort(), signal);
    });
    this.open.set(group, { items, result });
    this.running.set(group, result);
    const forget = () => {
      if (this.running.get(group) === result) this.running.delete(group);
    };
    result.then(forget, forget);
    return { result, coalesced: false };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
