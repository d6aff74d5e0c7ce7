import { InvalidInputError } from '../domain/errors.js';

/** The longest name an admin API caller may give as who acts (the console's own names stop at 100). */
export const ACTOR_MAX = 200;

/**
 * Who acts, as the audit trail, a crosswalk row's decidedBy and the console keep it: a name
 * given by an API caller (X-Actor, X-Admin-User, a body's `actor`), trimmed. A control character
 * (a line break, a tab, an escape) or a name of thousands of characters is refused (400 at
 * `where`) before anything is done, rather than stored with every decision it signs.
 */
export function checkedActor(actor: string, where: string): string {
  if (actor === 'auto') throw new InvalidInputError('"auto" is reserved for the matcher', where);
  if (actor.length > ACTOR_MAX)
    throw new InvalidInputError(`${where} is ${actor.length} characters long; a name is at most ${ACTOR_MAX}`, where);
  if (/\p{Cc}/u.test(actor))
    throw new InvalidInputError(
      `${where} holds a control character (a line break, a tab, an escape); give the name on one line`,
      where,
    );
  return actor;
}
