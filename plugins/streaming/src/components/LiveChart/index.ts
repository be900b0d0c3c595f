export { LiveChart, chartLines, decimate } from './LiveChart';
export { defaultFields, fieldInfo, STREAM_TITLES } from './streamFields';
