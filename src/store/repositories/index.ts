import type { Db, Tables } from '../db.js';
import type { Repositories } from '../types.js';
import { activityRepository } from './activities.js';
import { connectionRepository, connectionStateRepository } from './connections.js';
import { dealRepository } from './deals.js';
import { digestSendLedger } from './digests.js';
import { findingsLedger } from './findings.js';
import { historyRepository } from './history.js';
import { ownerRepository, stageRepository } from './reference.js';
import { scoreRepository } from './scores.js';
import { snapshotRepository } from './snapshots.js';
import { cursorRepository, syncRunRepository } from './sync.js';

/** Every repository over one `Db` (the pool, or an open transaction). */
export function repositories(db: Db, t: Tables): Repositories {
  return {
    connections: connectionRepository(db, t),
    connectionState: connectionStateRepository(db, t),
    owners: ownerRepository(db, t),
    stages: stageRepository(db, t),
    deals: dealRepository(db, t),
    activities: activityRepository(db, t),
    history: historyRepository(db, t),
    snapshots: snapshotRepository(db, t),
    cursors: cursorRepository(db, t),
    syncRuns: syncRunRepository(db, t),
    scores: scoreRepository(db, t),
    findings: findingsLedger(db, t),
    digestSends: digestSendLedger(db, t),
  };
}
