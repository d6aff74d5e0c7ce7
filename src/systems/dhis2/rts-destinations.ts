import { codeCandidates } from '../../domain/identifiers.js';
import { BusinessRuleError } from '../../domain/errors.js';
import type { Code } from '../../domain/index.js';
import { asRecord } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { objectAnswer } from './page-answer.js';

/**
 * Where an RTS distribution went. RTS's "deliver to" data element (`distributedTo` of the use
 * case) has an option set whose options are the destinations the app offers
 * (dhis2-android-capture-app stock-usecase `MetadataManagerImpl.destinations`), and DHIS2 takes
 * an option's code only: any other value refuses the event (tracker `ValidationCode.E1125`
 * "Value … is not a valid option code in OptionSet …"). A report names its destination in its
 * reason's display (the read side puts the option code there); it is sent as the option whose
 * code or name it is.
 */
export interface Destination {
  code: string;
  name?: string;
}

/** The options of the data element's option set; undefined when it has none (any text is taken). */
export async function loadDestinations(client: Dhis2Client, dataElement: string): Promise<Destination[] | undefined> {
  const path = `/api/dataElements/${dataElement}`;
  // a 204 or a page without the data element is no answer (transient): read as "no option set",
  // any destination went through and DHIS2 refused the events (E1125)
  const res = await client.send<unknown>({
    method: 'GET',
    path,
    query: { fields: 'id,optionSet[id,options[code,name]]' },
    accept: [404],
    decodeAnswer: objectAnswer(path, dataElement),
  });
  // not readable as a data element: nothing to check against, DHIS2 says at the import
  if (res.status === 404) return undefined;
  const options = asRecord(asRecord(res.body)?.optionSet)?.options;
  if (!Array.isArray(options)) return undefined;
  return options
    .map(asRecord)
    .filter((o) => typeof o?.code === 'string')
    .map((o) => ({ code: String(o!.code), name: typeof o!.name === 'string' ? o!.name : undefined }));
}

/**
 * The option code of the destination `reason` names, or undefined when it names none: no
 * display, or a display that only repeats the reason's code ("distributed"). A name that is no
 * option is the client's to correct (422 at the reason), not an event DHIS2 would refuse.
 */
export function destinationCode(
  destinations: Destination[] | undefined,
  reason: Code | undefined,
  where: string,
): string | undefined {
  const named = reason?.display?.trim();
  if (!named) return undefined;
  if (!destinations) return named;
  const exact = destinations.find((d) => d.code === named);
  if (exact) return exact.code;
  const lower = named.toLowerCase();
  const loose = destinations.find((d) => d.code.toLowerCase() === lower || d.name?.toLowerCase() === lower);
  if (loose) return loose.code;
  if (codeCandidates(reason).some((c) => c.code.toLowerCase() === lower)) return undefined;
  throw new BusinessRuleError(
    `"${named}" is not an RTS destination: DHIS2 takes one of ${destinations.map((d) => (d.name ? `${d.code} (${d.name})` : d.code)).join(', ')}`,
    where,
  );
}
