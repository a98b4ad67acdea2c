/**
 * streamlearn's own version: package.json's, written here so that the core
 * reads no file (it runs in browsers too). test/package.test.ts holds the two equal.
 */
export const VERSION = '0.1.0';
