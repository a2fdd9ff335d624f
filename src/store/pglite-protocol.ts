/**
 * Works around two pglite-socket 0.2.17 behaviours that break concurrent clients of one PGlite
 * (the embedded database, which the store and the queues both use over several connections):
 * 1. it runs each protocol message as its own turn, so another connection's Parse can land between
 *    this connection's Parse and Bind ("bind message supplies 2 parameters, but prepared statement
 *    "" requires 3"): here a connection keeps its turn from its first message to its Sync;
 * 2. a message that throws leaves the queue marked busy forever: here the queue moves on.
 * src/store/embedded.ts applies it to the server it builds, so every user of the embedded database
 * (store pool, BullMQ's PostgreSQL backend, other processes joining over the URL) gets it.
 */
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData(data: Uint8Array): void;
  resolve(bytes: number): void;
  reject(error: unknown): void;
}

interface QueryQueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(f: () => Promise<T>): Promise<T>;
    execProtocolRawStream(m: Uint8Array, o: { onRawData(d: Uint8Array): void }): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/** Patches the server's query queue in place; call before `start()`. */
export function keepProtocolGroupsTogether(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue: QueryQueueInternals }).queryQueue;
  let groupOwner: number | null = null;
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (groupOwner === handlerId) groupOwner = null;
    void q.processQueue();
  };
  q.processQueue = async function processQueue(this: QueryQueueInternals) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.db.isInTransaction() && this.lastHandlerId !== null ? this.lastHandlerId : groupOwner;
        const index = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // the owner's next message will restart the loop
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          groupOwner = null;
          item.reject(error);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        const type = item.message[0];
        // A startup message has no type byte (its first byte is 0): it also ends a turn.
        groupOwner = type === SYNC || type === QUERY || type === TERMINATE || type === 0 ? null : item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(q);
}
