import { describe, expect, it } from 'vitest';
import type { MorningReview } from '../../../src/domain/engine.js';
import { escapeHtml, renderReviewPage } from '../../../src/server/pages/review-page.js';

const review: MorningReview = {
  asOf: '2026-11-26',
  timezone: 'Europe/Paris',
  currency: 'EUR',
  newCritical: [
    {
      dealId: 'd1',
      name: '<script>alert(1)</script> Acme',
      ownerId: 'u1',
      ownerName: 'Ana "A" O\'Neil',
      amount: [{ amount: 12_000, currency: 'EUR' }],
      score: 21,
      findings: [
        {
          connectionId: 'c',
          dealId: 'd1',
          ruleId: 'stale_deal',
          severity: 'critical',
          message: 'No activity in 45 days',
          evidence: {},
          suggestedAction: 'Call & check',
        },
      ],
    },
  ],
  reps: [
    {
      ownerId: 'u1',
      name: 'Ana',
      stalePipeline: [{ amount: 12_000, currency: 'EUR' }],
      staleDeals: 1,
      staleShare: 0.25,
      complianceRate: 0.5,
      openDeals: 4,
    },
  ],
  trendFlags: [],
  forecast: { period: 'FY2026-Q4', expectedNow: 50_000, expectedLastWeek: 45_000, change: 5_000, closedWonNow: 20_000, currency: 'EUR' },
  findingsByRep: [],
  concentrations: [],
  activityCollapses: [],
  stageConversionGaps: [],
  forecastCall: null,
};

describe('renderReviewPage', () => {
  const html = renderReviewPage('EMEA <team>', review);

  it('escapes everything that comes from the CRM', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Acme');
    expect(html).toContain('Ana &quot;A&quot; O&#39;Neil');
    expect(html).toContain('Call &amp; check');
    expect(html).toContain('EMEA &lt;team&gt;');
  });

  it('shows the forecast, the critical deals and the reps', () => {
    expect(html).toContain('Expected 50,000 EUR (+5,000 vs last week)');
    expect(html).toContain('stale_deal: No activity in 45 days');
    expect(html).toContain('25%');
    expect(html).toContain('KPI trend flags (0)');
  });

  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
