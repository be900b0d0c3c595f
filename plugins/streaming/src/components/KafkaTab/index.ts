export { KafkaTab } from './KafkaTab';
