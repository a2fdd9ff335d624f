import { describe, expect, it } from 'vitest';
import { asRepSeesIt } from '../../../src/commands/demo.js';

describe('demo: a written warning as the rep reads it', () => {
  it('turns a HubSpot note body (HTML) into plain lines', () => {
    const text = asRepSeesIt({
      hs_timestamp: '2026-11-26T10:00:00.000Z',
      hs_note_body:
        '<p><strong>Pipeline health: Stale deal</strong></p><p>No logged activity in 42 days &amp; counting.<br>What to do: call.</p>',
    });
    expect(text).toBe('Pipeline health: Stale deal\nNo logged activity in 42 days & counting.\nWhat to do: call.');
  });

  it('shows a Salesforce Task as subject, description and due date, not its ids', () => {
    const text = asRepSeesIt({
      WhatId: '0065g000000005gAAA',
      OwnerId: '0055g0000000002AAA',
      Subject: 'Pipeline health: Stale deal [dw:abc]',
      Description: 'No logged activity in 45 days.',
      ActivityDate: '2026-11-28',
      Status: 'Not Started',
      Priority: 'High',
    });
    expect(text).toBe('Pipeline health: Stale deal [dw:abc]\nNo logged activity in 45 days.\nDue 2026-11-28, priority High');
  });
});
