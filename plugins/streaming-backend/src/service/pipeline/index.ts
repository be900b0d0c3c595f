export { createPipelineRouter } from './router';
export type { PipelineRouterOptions } from './router';
export { PipelineService } from './PipelineService';
export { readPipelineSettings, checkPipelineTargets } from './settings';
export type { PipelineViewSettings } from './settings';
