// A control for browser.test.ts: a module that needs a Node builtin, which a browser bundle must refuse.
import { readFileSync } from 'node:fs';
import { createHash } from 'crypto';

export const read = (path: string): string => readFileSync(path, 'utf8');
export const hash = (text: string): string => createHash('sha256').update(text).digest('hex');
