/** See bind.mjs. */
export declare function bindExecuteSync(statement: string, values: readonly (string | Uint8Array | null)[]): Buffer;
