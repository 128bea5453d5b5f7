/**
 * The interactive reference at `/docs`: Scalar's standalone bundle, loaded by the reader's
 * browser from jsDelivr, pointed at our `/openapi.json`. A static page, so the server needs no
 * dependency for it and the Worker bundle stays small.
 */
export const SCALAR_CDN = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1";

export function docsPage(title: string, specUrl: string): string {
  const config = JSON.stringify({ url: specUrl, theme: "default", hideDownloadButton: false });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body>
<script id="api-reference" data-configuration='${config.replace(/'/g, "&#39;")}'></script>
<script src="${SCALAR_CDN}"></script>
<noscript>This page needs JavaScript. The raw description is at <a href="${specUrl}">${specUrl}</a>.</noscript>
</body>
</html>`;
}
