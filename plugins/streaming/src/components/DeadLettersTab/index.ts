export { DeadLettersTab } from './DeadLettersTab';
