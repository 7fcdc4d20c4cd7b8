/** The value set or restored for what runs now: undefined if none. */
export declare function get(): unknown;
/** Sets the value and returns the one it replaces. */
export declare function swap(value: unknown): unknown;
