/**
 * The envelope's JSON text assembled from pieces (issue 18, s11-C's proposal): the large body
 * texts (the client's answer, each upstream page) are escaped and redacted apart from the small
 * rest, and remembered by identical text, so a repeated search pays one comparison per body
 * instead of a mask scan, two redaction passes and a JSON escape of ~60 KB.
 *
 * The text is byte-equal to wholeEnvelopeText's (redact(JSON.stringify(envelope)), the builder
 * it replaces): each piece is the redaction of a whole JSON string (its quotes included), and
 * every other stretch of the text is redacted on its own. That equals one pass over the whole
 * text because no match can cross a `"` while no known secret form holds one (Redactor
 * .hasFormWithQuote; a Bearer/Basic credential is made of token characters), and the text next
 * to a piece is `:` before it and `,` or `}` after it, which no look-ahead reads past. With a
 * secret that holds a `"`, the whole text is redacted in one pass, but for the marks of an update
 * owed (marksApartText).
 */
import { randomUUID } from 'node:crypto';
import { processRedactor, type Redactor } from '../platform/redaction.js';
import { MIN_REMEMBERED_LENGTH, TextMemo } from '../platform/text-memo.js';
import {
  type BodyBudget,
  type BodyFields,
  type EnvelopeInput,
  plainBodyFields,
  unredactedEnvelope,
  wholeEnvelopeText,
} from './envelope.js';
import { maskBodyText } from './masking.js';

/** An upstream body masked and redacted, with its UTF-8 length and its piece when not cut. */
interface PreparedBody {
  text: string;
  bytes: number;
  piece: string;
}

interface Memos {
  responses: TextMemo<string>;
  upstream: TextMemo<PreparedBody>;
}

const memosByRedactor = new WeakMap<Redactor, Memos>();

function memosOf(redactor: Redactor): Memos {
  let memos = memosByRedactor.get(redactor);
  if (!memos) {
    memos = { responses: new TextMemo(redactor), upstream: new TextMemo(redactor) };
    memosByRedactor.set(redactor, memos);
  }
  return memos;
}

/**
 * Marks where a piece goes: a string no other value of the envelope holds (the nonce is made
 * per process and never leaves it), so the stringified skeleton is cut exactly at the pieces.
 */
const NONCE = randomUUID();
const markOf = (index: number) => `@@${NONCE}:${index}@@`;

/**
 * The large body fields as marks, the pieces kept aside in the order the marks were handed out.
 * A short body (below what a memo keeps) stays in the text, as plainBodyFields puts it, and is
 * redacted with the stretch around it: a piece of its own would only add a redaction call.
 */
class Pieces implements BodyFields {
  readonly list: string[] = [];
  private readonly plain: BodyFields;

  constructor(
    private readonly redactor: Redactor,
    private readonly memos: Memos,
  ) {
    this.plain = plainBodyFields(redactor);
  }

  response(text: string): string {
    if (text.length < MIN_REMEMBERED_LENGTH) return this.plain.response(text);
    return this.add(this.memos.responses.get(text, '', (t) => this.redactor.redact(JSON.stringify(t))));
  }

  orchestration(text: string, contentType: string | undefined, secrets: readonly string[], budget: BodyBudget): string {
    if (text.length < MIN_REMEMBERED_LENGTH) return this.plain.orchestration(text, contentType, secrets, budget);
    const context = `${contentType ?? ''}\u0000${secrets.join('\u0000')}`;
    const prepared = this.memos.upstream.get(text, context, (t) => {
      // as plainBodyFields: redacted before it is cut, so a cut cannot leave half a secret
      const masked = this.redactor.redact(maskBodyText(t, contentType, secrets));
      return { text: masked, bytes: Buffer.byteLength(masked), piece: this.redactor.redact(JSON.stringify(masked)) };
    });
    const cut = budget.takeKnown(prepared.text, prepared.bytes);
    return this.add(cut === prepared.text ? prepared.piece : this.redactor.redact(JSON.stringify(cut)));
  }

  /** A mark's value as its JSON string, unredacted: made by the mediator, never secret. */
  mark(value: string): string {
    return this.add(JSON.stringify(value));
  }

  private add(piece: string): string {
    this.list.push(piece);
    return markOf(this.list.length - 1);
  }
}

/** The skeleton's stretches redacted, the pieces put in their places; undefined if a mark is missing. */
function assemble(skeleton: string, pieces: readonly string[], redactor: Redactor): string | undefined {
  let out = '';
  let from = 0;
  for (let i = 0; i < pieces.length; i++) {
    const mark = `"${markOf(i)}"`;
    const at = skeleton.indexOf(mark, from);
    if (at < 0) return undefined;
    out += redactor.redact(skeleton.slice(from, at)) + pieces[i];
    from = at + mark.length;
  }
  return out + redactor.redact(skeleton.slice(from));
}

/**
 * The envelope in one redaction pass but for its marks (EnvelopeInput.marks), for a secret holding
 * a `"`: everything else is redacted as in wholeEnvelopeText (the text between two marks at once),
 * and the marks, made by the mediator, are put back unredacted, so the update they name is not
 * refused. A secret form that spans a mark and the text beside it would then be left whole: such
 * a text is not sent, the whole pass is (its marks masked, as before).
 */
function marksApartText(input: EnvelopeInput, redactor: Redactor): string {
  const marks: string[] = [];
  const bodies = {
    ...plainBodyFields(redactor),
    mark(value: string) {
      marks.push(JSON.stringify(value));
      return markOf(marks.length - 1);
    },
  };
  const skeleton = JSON.stringify(unredactedEnvelope(input, bodies));
  const text = assemble(skeleton, marks, redactor);
  // one pass over the text masks only inside the marks (what the mediator made) when no form
  // spans a mark's bounds: the same as each mark redacted alone in its place
  const spans =
    text === undefined ||
    redactor.redact(text) !==
      assemble(
        skeleton,
        marks.map((m) => redactor.redact(m)),
        redactor,
      );
  return spans ? wholeEnvelopeText(input) : text;
}

/** The envelope as the JSON text sent to OpenHIM, every configured secret masked. */
export function openHimEnvelopeText(input: EnvelopeInput): string {
  const redactor = input.redactor ?? processRedactor;
  if (redactor.hasFormWithQuote) return input.marks ? marksApartText(input, redactor) : wholeEnvelopeText(input);
  const pieces = new Pieces(redactor, memosOf(redactor));
  const skeleton = JSON.stringify(unredactedEnvelope(input, pieces));
  return assemble(skeleton, pieces.list, redactor) ?? wholeEnvelopeText(input);
}
