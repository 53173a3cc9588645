/** The data of a config class, by name: what its constructor takes, so no call site depends on argument order. */
export type Fields<T> = { readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K] };
