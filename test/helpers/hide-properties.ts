/**
 * `target` as a later version of a package might show it: the `hidden`
 * properties are gone for whoever reads them through the returned proxy
 * (as if they had become private), while the object's methods keep working,
 * called on the object itself (own properties, such as a logger function
 * with properties of its own, are handed out as they are). Tests give it to
 * a wrapper of libp2p internals to see it fall back.
 */
export function hideProperties<T extends object>(target: T, hidden: readonly PropertyKey[]): T {
  return new Proxy(target, {
    get(object, key) {
      if (hidden.includes(key)) {
        return undefined;
      }
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === "function" && !Object.hasOwn(object, key)
        ? value.bind(object)
        : value;
    },
    has(object, key) {
      return !hidden.includes(key) && Reflect.has(object, key);
    },
  });
}
