/**
 * Which build of the tool is running, for caches whose content depends on the tool's own code (the
 * validated config: a newer schema may apply other defaults or refuse what an older one took).
 * The CLI bundle and the package's dist/ each get an id from a hash of the sources they were built
 * from (scripts/bundle-cli.ts defines `__LLMAKE_BUILD_ID__`; scripts/build-package.ts writes it
 * into dist/). Run from the TypeScript sources there is none, and those caches are not used: an
 * edit to a schema takes effect at once.
 */
declare const __LLMAKE_BUILD_ID__: string | undefined;

export function buildId(): string | undefined {
  return typeof __LLMAKE_BUILD_ID__ === 'string' ? __LLMAKE_BUILD_ID__ : undefined;
}
