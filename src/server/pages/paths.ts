/**
 * The web app's page addresses, in one place: the pages register these routes, and the digest and
 * the API link to them (prefixed with the configured `publicUrl`).
 */
const seg = encodeURIComponent;

export const pagePaths = {
  login: '/login',
  logout: '/logout',
  connections: '/connections',
  deals: (connectionId: string) => `/connections/${seg(connectionId)}/deals`,
  deal: (connectionId: string, dealId: string) => `/connections/${seg(connectionId)}/deals/${seg(dealId)}`,
  forecast: (connectionId: string) => `/connections/${seg(connectionId)}/forecast`,
  changes: (connectionId: string) => `/connections/${seg(connectionId)}/changes`,
  reps: (connectionId: string) => `/connections/${seg(connectionId)}/reps`,
} as const;
