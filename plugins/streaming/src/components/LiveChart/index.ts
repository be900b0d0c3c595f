export { LiveChart, decimate } from './LiveChart';
