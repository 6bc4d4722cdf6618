/**
 * Helpers for writing SVG by hand: XML escaping, compact coordinates and a text-width
 * estimate (no font metrics are available in a pure function, so layout reserves room
 * from an average glyph width that errs on the wide side for DejaVu Sans).
 *
 * @example
 * escapeXml('WRN <16> & "friends"'); // 'WRN &lt;16&gt; &amp; &quot;friends&quot;'
 * px(12.3456);                        // '12.3'
 */

/** The font stack every plot uses; DejaVu Sans is what the PNG renderer finds on Linux. */
export const FONT_FAMILY = 'DejaVu Sans, sans-serif';

/** Escapes text for use in SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A coordinate with one decimal (sub-pixel precision is invisible and bloats the file). */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** Estimated width of s at fontSize; bold text is about 8% wider. */
export function textWidth(s: string, fontSize: number, bold = false): number {
  // DejaVu Sans: digits 0.64 em, lower case ~0.58 em, narrow punctuation ~0.32 em.
  let em = 0;
  for (const c of s) em += /[.,:;il|!'() ]/.test(c) ? 0.34 : /[A-Z0-9mwMW%_=]/.test(c) ? 0.68 : 0.6;
  return em * fontSize * (bold ? 1.08 : 1);
}

/** s shortened with an ellipsis so that it fits in maxWidth at fontSize. */
export function fitText(s: string, maxWidth: number, fontSize: number, bold = false): string {
  if (textWidth(s, fontSize, bold) <= maxWidth) return s;
  const chars = [...s];
  while (chars.length > 1 && textWidth(chars.join('') + '…', fontSize, bold) > maxWidth) chars.pop();
  return chars.join('').trimEnd() + '…';
}
