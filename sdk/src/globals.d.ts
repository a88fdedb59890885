/** Replaced at build time with package.json's version (build.mjs, vitest.config.ts). */
declare const __VERSION__: string;
