/**
 * Every http(s) URL in a piece of text, in one linear pass: each `http://` or `https://` (any case)
 * starts a URL that runs to the next whitespace, control character, quote, angle bracket or backtick;
 * trailing sentence punctuation (`.`, `,`, `)`…) is not part of it. A bare scheme with nothing after
 * it is no URL. Text that is itself a `data:` URL holds content, not a link, and yields nothing.
 */

const SCHEME = /https?:\/\//gi;
const TRAILING = new Set([".", ",", ";", ":", "!", "?", ")", "]", "}"]);

function endsUrl(code: number): boolean {
  // Controls and space, " ' < > ` and DEL; everything else (non-ASCII included) may be in a URL.
  return (
    code <= 0x20 || code === 0x22 || code === 0x27 || code === 0x3c || code === 0x3e || code === 0x60 || code === 0x7f
  );
}

export function isDataUrl(text: string): boolean {
  return text.length >= 5 && text.slice(0, 5).toLowerCase() === "data:";
}

export function findUrls(text: string): string[] {
  if (isDataUrl(text)) return [];
  const urls: string[] = [];
  SCHEME.lastIndex = 0;
  for (let m = SCHEME.exec(text); m !== null; m = SCHEME.exec(text)) {
    const start = m.index;
    let end = start + m[0].length;
    while (end < text.length && !endsUrl(text.charCodeAt(end))) end++;
    SCHEME.lastIndex = end;
    while (end > start + m[0].length && TRAILING.has(text.charAt(end - 1))) end--;
    if (end > start + m[0].length) urls.push(text.slice(start, end));
  }
  return urls;
}
