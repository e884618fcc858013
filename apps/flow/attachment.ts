/** An attachment as the app sees it (the row, camelCased). */
export interface Attachment {
  readonly id: number;
  readonly taskId: number;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly storageKey: string;
  readonly thumbnailKey: string | null;
  readonly uploadedBy: number;
  readonly createdAt: string;
}

/** Makes `flow/attachments/<uuid>/thumb.webp` for an image attachment (attachment-job.ts). */
export const ATTACHMENT_THUMBNAIL_JOB = 'flow.attachment-thumbnail';
export const THUMB_SIZE = 256;

/** Types found by their signature bytes (file-type), each stored and served as this type. */
const BINARY_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']);
/** Types with no signature: accepted when the bytes are UTF-8 text without NUL. */
const TEXT_TYPES = new Set(['text/plain', 'text/csv']);
export const ALLOWED_TYPES: readonly string[] = [...BINARY_TYPES, ...TEXT_TYPES];
/** What browsers declare for a file whose type they do not know: the sniffed type decides alone. */
const UNDECLARED = new Set(['', 'application/octet-stream']);
/** Bytes read before deciding (file-type needs up to 4100 for its signatures). */
export const SNIFF_BYTES = 4100;

export function isImage(contentType: string): boolean {
  return contentType.startsWith('image/');
}

/**
 * The type to store for an upload whose first bytes are `head`, or why it is refused. The bytes
 * decide: a declared type (the part's Content-Type) that disagrees with them is refused, so a
 * script cannot come in as `image/png`, and HTML cannot come in at all.
 */
export async function sniffType(head: Buffer, declared: string): Promise<{ type: string } | { problem: string }> {
  const said = declared.split(';')[0]!.trim().toLowerCase();
  // Imported at the first upload: file-type and its readers cost every other request's node boot time (issue 19).
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(head);
  const allowed = ALLOWED_TYPES.join(', ');
  if (found) {
    if (!BINARY_TYPES.has(found.mime)) return { problem: `Files of type ${found.mime} cannot be attached; allowed: ${allowed}.` };
    if (!UNDECLARED.has(said) && said !== found.mime) return { problem: `The file is ${found.mime}, but its Content-Type says ${said}.` };
    return { type: found.mime };
  }
  if (looksLikeText(head)) {
    if (UNDECLARED.has(said)) return { type: 'text/plain; charset=utf-8' };
    if (TEXT_TYPES.has(said)) return { type: `${said}; charset=utf-8` };
    if (BINARY_TYPES.has(said)) return { problem: `The file is text, but its Content-Type says ${said}.` };
  }
  return { problem: `This file's type cannot be attached${UNDECLARED.has(said) ? '' : ` (declared ${said})`}; allowed: ${allowed}.` };
}

/** UTF-8 without NUL or other C0 controls but tab, CR, LF, FF; a character cut at the end of `head` is fine. */
function looksLikeText(head: Buffer): boolean {
  if (/[\x00-\x08\x0b\x0e-\x1f]/.test(head.toString('latin1'))) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

const MAX_FILENAME = 200;

/**
 * The name to keep and send back: the last path segment (browsers on Windows send `C:\…`), no
 * control characters, no leading dots, at most 200 characters; `file` when nothing is left.
 */
export function cleanFilename(name: string | undefined): string {
  const last = (name ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '').replace(/^[.\s]+/, '').trim();
  const cut = [...clean].slice(0, MAX_FILENAME).join('');
  return cut === '' ? 'file' : cut;
}

export function attachmentKeys(uuid: string): { readonly original: string; readonly thumb: string } {
  return { original: `flow/attachments/${uuid}/original`, thumb: `flow/attachments/${uuid}/thumb.webp` };
}

/** The attachment resource of the JSON API, field by field (no storage keys). */
export function toAttachmentJson(attachment: Attachment) {
  const base = `/api/tasks/${attachment.taskId}/attachments/${attachment.id}`;
  return {
    id: attachment.id,
    taskId: attachment.taskId,
    filename: attachment.filename,
    contentType: attachment.contentType,
    size: attachment.size,
    uploadedBy: attachment.uploadedBy,
    createdAt: attachment.createdAt,
    url: base,
    thumbnailUrl: attachment.thumbnailKey ? `${base}/thumbnail` : null,
  };
}
