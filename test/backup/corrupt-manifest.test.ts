import { describeCorruption } from './corruption.ts';

describeCorruption('the manifest', (name) => name.includes('manifest'), true);
