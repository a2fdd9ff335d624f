/**
 * Response schemas of the engine's reports. Until the engine exports its own zod schemas these
 * accept any object; the OpenAPI document names them so clients can find them.
 */
import { z } from 'zod';

export const ReviewReport = z.looseObject({}).meta({ id: 'MorningReview' });
export const KpiReport = z.looseObject({}).meta({ id: 'KpiReport' });
export const ForecastReport = z.looseObject({}).meta({ id: 'ForecastReport' });
export const ChangesReport = z.looseObject({}).meta({ id: 'PipelineChanges' });
export const RepsReport = z.looseObject({}).meta({ id: 'Reps' });
