/**
 * The package's root folder, found from a module's `import.meta.url`. The
 * published build is bundled: a module's code lands in whichever file of dist/
 * esbuild puts it (an entry point or a shared chunk, at any depth), so a path
 * relative to the module's own source location would not resolve there. The
 * last `/dist/` or `/src/` in the URL marks the root instead: dist/ for the
 * build, src/ where vitest runs the TypeScript sources.
 */
export function packageRoot(moduleUrl: string): URL {
  const at = Math.max(moduleUrl.lastIndexOf('/dist/'), moduleUrl.lastIndexOf('/src/'));
  if (at < 0) throw new Error(`streamlearn: cannot find the package's folder from ${moduleUrl}`);
  return new URL(moduleUrl.slice(0, at + 1));
}
