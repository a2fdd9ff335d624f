/** HubSpot's error bodies, as the CRM v3 APIs send them. */
import { randomUUID } from 'node:crypto';

export interface HubSpotErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category?: string;
  errors?: unknown[];
  context?: Record<string, unknown>;
  [extra: string]: unknown;
}

export function hubspotError(category: string, message: string, extra: Record<string, unknown> = {}): HubSpotErrorBody {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export const unauthorized = (): HubSpotErrorBody =>
  hubspotError(
    'INVALID_AUTHENTICATION',
    'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at ' +
      'https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  );

export const expiredToken = (): HubSpotErrorBody =>
  hubspotError('EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 0 day(s) ago.');

/**
 * 403 for a call the app's scopes do not cover, as HubSpot sends it (category MISSING_SCOPES, the
 * scopes needed in `errors[].context.requiredGranularScopes`):
 * https://developers.hubspot.com/docs/api/error-handling and https://developers.hubspot.com/docs/apps/legacy-apps/authentication/scopes
 */
export const missingScopes = (scopes: string[]): HubSpotErrorBody =>
  hubspotError(
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. " +
      'Read more about required scopes here: https://developers.hubspot.com/scopes.',
    {
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: scopes } }],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    },
  );

export const notFound = (): HubSpotErrorBody => hubspotError('OBJECT_NOT_FOUND', 'resource not found');

export const validation = (message: string, extra: Record<string, unknown> = {}): HubSpotErrorBody =>
  hubspotError('VALIDATION_ERROR', message, extra);

/** The body of a property validation failure (unknown or read-only property), as HubSpot words it. */
export function propertyErrors(
  problems: { name: string; error: 'PROPERTY_DOESNT_EXIST' | 'READ_ONLY_VALUE' | 'INVALID_OPTION' | 'INVALID_INTEGER' | 'INVALID_DATE' }[],
): HubSpotErrorBody {
  const details = problems.map((p) => {
    const message =
      p.error === 'PROPERTY_DOESNT_EXIST'
        ? `Property "${p.name}" does not exist`
        : p.error === 'READ_ONLY_VALUE'
          ? `"${p.name}" is a read only property; its value cannot be set.`
          : `${JSON.stringify(p.name)} was not a valid value`;
    return { isValid: false, message, error: p.error, name: p.name, localizedErrorMessage: message };
  });
  return validation(`Property values were not valid: ${JSON.stringify(details)}`);
}

/** 429 bodies per policy (TEN_SECONDLY_ROLLING, SECONDLY for search, DAILY). */
export function rateLimited(policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY'): Record<string, unknown> {
  const words = { TEN_SECONDLY_ROLLING: 'ten_secondly_rolling', SECONDLY: 'secondly', DAILY: 'daily' }[policy];
  return {
    status: 'error',
    message: `You have reached your ${words} limit.`,
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    groupName: policy === 'SECONDLY' ? 'publicapi:crm-search' : 'privateapp:ratelimit',
  };
}
