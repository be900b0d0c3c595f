export { PipelineView, PipelineCard } from './PipelineView';
