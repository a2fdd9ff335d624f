/**
 * Outgoing notifications (HubSpot webhooks, Salesforce outbound messages): batched, POSTed,
 * retried with backoff by p-retry until the receiver accepts, and recorded so tests can see
 * every attempt.
 */
import pRetry, { AbortError } from 'p-retry';

export interface DeliveryAttempt {
  provider: 'hubspot' | 'salesforce';
  url: string;
  attempt: number;
  status: number | null;
  ok: boolean;
  at: string;
  events: number;
  error?: string;
}

export interface RetryPolicy {
  /** Total attempts per batch. @defaultValue 5 */
  attempts?: number;
  /** First backoff, doubled per attempt. @defaultValue 1000 */
  minDelayMs?: number;
  /** Per-attempt timeout (HubSpot gives receivers 5 s). @defaultValue 5000 */
  timeoutMs?: number;
}

export class Deliverer<E> {
  private queue: E[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: {
      provider: 'hubspot' | 'salesforce';
      url: string;
      maxBatch: number;
      batchDelayMs: number;
      retry: RetryPolicy;
      /** Builds the request for one attempt (attempt numbers start at 1). */
      build(events: E[], attempt: number): { body: string; headers: Record<string, string> };
      /** Whether the receiver accepted (HTTP status and body). */
      accepted(status: number, body: string): boolean;
      record(attempt: DeliveryAttempt): void;
    },
  ) {}

  enqueue(event: E): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatch) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.options.batchDelayMs);
  }

  private flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      const p = this.send(batch).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Sends what is queued and waits for every delivery (with its retries) to finish. */
  async drain(): Promise<void> {
    this.flushNow();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue = [];
  }

  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  private async send(events: E[]): Promise<void> {
    const { retry, url } = this.options;
    const attempts = retry.attempts ?? 5;
    await pRetry(
      async (attempt) => {
        if (this.closed) throw new AbortError('sandbox closed');
        const { body, headers } = this.options.build(events, attempt);
        const at = new Date().toISOString();
        let status: number | null = null;
        try {
          const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(retry.timeoutMs ?? 5000) });
          status = res.status;
          const text = await res.text();
          const ok = this.options.accepted(res.status, text);
          this.options.record({ provider: this.options.provider, url, attempt, status, ok, at, events: events.length });
          if (!ok) throw new Error(`receiver answered ${res.status}`);
        } catch (err) {
          if (status === null) {
            this.options.record({
              provider: this.options.provider,
              url,
              attempt,
              status,
              ok: false,
              at,
              events: events.length,
              error: (err as Error).message,
            });
          }
          throw err;
        }
      },
      { retries: attempts - 1, minTimeout: retry.minDelayMs ?? 1000, factor: 2, randomize: false },
    ).catch(() => undefined);
  }
}
