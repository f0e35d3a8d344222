/**
 * Loads the project's 3GPP dictionary (conf/dictionary.3gpp, vendor 10415, TS 29.061 §16.4.7)
 * into npm `radius`, whose dictionaries are module-global state (npm `radius` 1.1.4). Idempotent and
 * safe whatever touched `radius` before: `add_dictionary` after the dictionaries were loaded is
 * silently ignored by `radius`, so when the 3GPP names are still unknown we add our file and
 * force a reload.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import radius from 'radius';

/** Resolved from the package root, so it works from src/ (tests) and dist/. */
export const DICTIONARY_3GPP = join(__dirname, '..', '..', 'conf', 'dictionary.3gpp');
export const VENDOR_3GPP = 10415;

interface RadiusInternals {
  load_dictionaries(): void;
  attr_name_to_id(name: string, vendor?: number): string | undefined;
}

const internals = radius as unknown as RadiusInternals;

/** Makes sure `radius` knows the 3GPP attributes; throws when the dictionary file is missing. */
export function ensure3gppDictionary(file = DICTIONARY_3GPP): void {
  internals.load_dictionaries();
  if (internals.attr_name_to_id('3GPP-RAT-Type', VENDOR_3GPP) !== undefined) return;
  if (!existsSync(file)) throw new Error(`RADIUS dictionary not found: ${file}`);
  radius.add_dictionary(file);
  radius.unload_dictionaries();
  internals.load_dictionaries();
  if (internals.attr_name_to_id('3GPP-RAT-Type', VENDOR_3GPP) === undefined) throw new Error(`RADIUS dictionary ${file} does not define 3GPP-RAT-Type`);
}
