/** See prepared.mjs. */
export declare const MAX_PREPARED: number;
export declare const PLAN_CHANGED: string;
