// Builds dist/: vitals.js (IIFE for the script tag, global `Vitals`), vitals.mjs (ESM,
// self-contained for <script type="module">), vitals.external.mjs (ESM importing
// web-vitals, for bundlers; also what "our own code" measures), and type declarations.
// esbuild bundles; terser minifies because it shrinks the bundle ~8 % more than esbuild's
// minifier, and the size budget (tests/size.test.ts) is tight. Its `^_` property
// mangling is the one web-vitals' own build applies to its private fields.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { minify } from 'terser';

const root = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

export const BUNDLES = [
  { file: 'vitals.js', entry: 'src/script-tag.ts', format: 'iife' },
  { file: 'vitals.mjs', entry: 'src/index.ts', format: 'esm' },
  { file: 'vitals.external.mjs', entry: 'src/index.ts', format: 'esm', external: ['web-vitals'] },
];

export async function bundle(outdir, { file, entry, format, external = [] }) {
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format,
    external,
    // es2022 keeps web-vitals' class fields as they are (es2020 would add helpers).
    target: 'es2022',
    define: { __VERSION__: JSON.stringify(version) },
    sourcemap: 'external',
    sourcesContent: true,
    outfile: join(outdir, file),
    write: false,
  });
  const code = result.outputFiles.find((f) => !f.path.endsWith('.map')).text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map')).text;
  const out = await minify(code, {
    ecma: 2022,
    module: format === 'esm',
    compress: { passes: 3, unsafe_arrows: true },
    mangle: { properties: { regex: /^_/ } },
    sourceMap: { content: map, url: `${file}.map` },
  });
  writeFileSync(join(outdir, file), out.code);
  writeFileSync(join(outdir, `${file}.map`), out.map);
}

export async function build(outdir = join(root, 'dist'), { types = true } = {}) {
  mkdirSync(outdir, { recursive: true });
  await Promise.all(BUNDLES.map((b) => bundle(outdir, b)));
  if (types) {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  return outdir;
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  await build();
}
