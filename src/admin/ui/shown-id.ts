/** How much of an id from the URL a page repeats: as much as a refused path (platform/refused-url.ts). */
const SHOWN = 120;

// eslint-disable-next-line no-control-regex -- C0, DEL and C1 controls are what is made visible
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * An id (or other word) taken from the request's URL as a console page repeats it: a control
 * character (`%00` decodes to NUL) is written as the %-escape it was typed as, not put in the
 * page where it shows as nothing or garbles the heading, and a long one is cut. Masking is the
 * html template's (every interpolated value).
 */
export function shownId(id: string): string {
  const visible = id.replace(CONTROL, (c) => encodeURIComponent(c));
  return visible.length > SHOWN ? `${visible.slice(0, SHOWN)}…` : visible;
}
