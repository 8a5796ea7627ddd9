/**
 * One change at a time per key, within this process: each call waits for the previous one on the same key (whether
 * it succeeded or not). For read-modify-write of one stored value.
 */
export type KeyedLock = <T>(key: string, change: () => Promise<T>) => Promise<T>;

export function createKeyedLock(): KeyedLock {
	const tails = new Map<string, Promise<unknown>>();
	return (key, change) => {
		const next = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(change);
		tails.set(key, next);
		void next
			.finally(() => {
				if (tails.get(key) === next) tails.delete(key);
			})
			.catch(() => undefined);
		return next;
	};
}
