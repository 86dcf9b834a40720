// Types of bin/current-bundle.js for the TypeScript entries (pipeline.ts, scripts/bundle-cli.ts).
export declare const REPO: string;
export declare const BUNDLE_ROOT: string;
export declare const POINTER: string;
export declare function sourceHash(inputs: readonly string[]): string | undefined;
export declare function currentBundle(): string | undefined;
export declare function packageVersion(): string;
export declare function sourceStamps(inputs: readonly string[]): [number, number][] | undefined;
