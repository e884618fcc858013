import { SafeHtml } from '../../src/http/html.ts';

/**
 * A short URL as a QR code, drawn server-side as SVG (no script, nothing for the CSP to refuse).
 * The markup is the library's own paths and viewBox: the URL is encoded into modules, never
 * written as text, so it is safe to put in the page as it is.
 */
export async function qrSvg(url: string): Promise<SafeHtml> {
  // Imported at the first link page that shows a code: boot and redirects go without it (issue 19).
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  // Named for screen readers; the caption beside it says what it encodes.
  return new SafeHtml(svg.replace('<svg ', '<svg role="img" aria-label="QR code" '));
}
