/**
 * The icon of every server-rendered page (dashboard, sign-in, review links), inline as a data URL:
 * no extra route, no request that could 404, and it works under the pages' CSP (img-src data:).
 * A rounded square in the product blue with a white bar-chart mark.
 */
const SVG = [
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">',
  '<rect width="32" height="32" rx="7" fill="#2563eb"/>',
  '<rect x="7" y="17" width="4" height="8" rx="1" fill="#fff"/>',
  '<rect x="14" y="11" width="4" height="14" rx="1" fill="#fff"/>',
  '<rect x="21" y="7" width="4" height="18" rx="1" fill="#fff"/>',
  '</svg>',
].join('');

/** `data:image/svg+xml,...` (percent-encoded, so it is safe inside a double-quoted attribute). */
export const FAVICON_DATA_URL = `data:image/svg+xml,${encodeURIComponent(SVG)}`;

/** The `<link rel="icon">` for a page's <head>. */
export const FAVICON_LINK = `<link rel="icon" type="image/svg+xml" href="${FAVICON_DATA_URL}">`;
