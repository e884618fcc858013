import { describeCorruption } from './corruption.ts';

describeCorruption('parts', (name) => !name.includes('manifest'), false);
