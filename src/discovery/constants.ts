/** The protocol id of p2prpc's DHT, kept apart from IPFS's `/ipfs/kad/1.0.0`. */
export const DEFAULT_DHT_PROTOCOL = "/p2prpc/kad/1.0.0";

/** How long a provider record is valid by default, in milliseconds (kad-dht's 48 h). */
export const DEFAULT_PROVIDER_VALIDITY_MS = 48 * 60 * 60 * 1000;

/** How often the DHT checks its provider records by default, in milliseconds (kad-dht's 1 h). */
export const DEFAULT_PROVIDER_REPUBLISH_INTERVAL_MS = 60 * 60 * 1000;

/** How long a client calls the providers it found before it asks the DHT again, in milliseconds. */
export const DEFAULT_PROVIDERS_MAX_AGE_MS = 60_000;

/** A provider lookup stops once it found this many. */
export const DEFAULT_MAX_PROVIDERS = 20;
