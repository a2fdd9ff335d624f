/**
 * Enhanced Notes: ContentNote records and the ContentDocumentLink rows that share them with records.
 * Creating a note also links it to its owner (ShareType 'I'), as Salesforce does, so a query by
 * ContentDocumentId returns the owner's link too (query rules: content-query.ts).
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentnote.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentdocumentlink.htm
 */
import { salesforceId18 } from '../generator/ids.js';

export interface SfContentNote {
  id: string;
  title: string;
  /** The decoded body (HTML or escaped plain text). */
  content: Buffer;
  ownerId: string;
  createdAt: number;
  modifiedAt: number;
  deleted: boolean;
}

export interface SfContentDocumentLink {
  id: string;
  contentDocumentId: string;
  linkedEntityId: string;
  shareType: 'V' | 'C' | 'I';
  visibility: 'AllUsers' | 'InternalUsers' | 'SharedUsers';
  createdAt: number;
  deleted: boolean;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 18-character id with a key prefix (069 ContentDocument/ContentNote, 06A ContentDocumentLink). */
function contentId(prefix: string, n: number): string {
  let body = '';
  let v = n;
  for (let i = 0; i < 9; i++) {
    body = BASE62[v % 62] + body;
    v = Math.floor(v / 62);
  }
  return salesforceId18(`${prefix}5g0${body}`);
}

export const CONTENT_NOTE_PREFIX = '069';
export const CONTENT_DOCUMENT_LINK_PREFIX = '06A';

/** The notes and links of one sandbox org. */
export class ContentStore {
  readonly notes: SfContentNote[] = [];
  readonly links: SfContentDocumentLink[] = [];

  addNote(input: Omit<SfContentNote, 'id' | 'deleted' | 'modifiedAt'>): SfContentNote {
    const note: SfContentNote = {
      ...input,
      id: contentId(CONTENT_NOTE_PREFIX, this.notes.length + 1),
      modifiedAt: input.createdAt,
      deleted: false,
    };
    this.notes.push(note);
    return note;
  }

  addLink(input: Omit<SfContentDocumentLink, 'id' | 'deleted'>): SfContentDocumentLink {
    const link: SfContentDocumentLink = { ...input, id: contentId(CONTENT_DOCUMENT_LINK_PREFIX, this.links.length + 1), deleted: false };
    this.links.push(link);
    return link;
  }

  noteIndex(id: string): number | undefined {
    const i = this.notes.findIndex((n) => n.id.slice(0, 15) === id.slice(0, 15));
    return i < 0 ? undefined : i;
  }

  linkIndex(id: string): number | undefined {
    const i = this.links.findIndex((l) => l.id.slice(0, 15) === id.slice(0, 15));
    return i < 0 ? undefined : i;
  }

  isLinked(contentDocumentId: string, entityId: string): boolean {
    return this.links.some(
      (l) =>
        !l.deleted &&
        l.contentDocumentId.slice(0, 15) === contentDocumentId.slice(0, 15) &&
        l.linkedEntityId.slice(0, 15) === entityId.slice(0, 15),
    );
  }
}

/** Text of a note as TextPreview shows it: tags dropped, the common entities decoded, 255 characters. */
export function textPreview(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/p>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&nbsp;', ' ')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
}

const ALLOWED_TAG = /^<\/?(p|br|b|strong|i|em|u|s|strike|ul|ol|li|a|span|div)(\s[^<>]*)?\/?>/i;
const ENTITY = /^&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;

/**
 * Salesforce refuses note bodies with unescaped special characters or tags it does not allow:
 * "Note can't be saved because it contains HTML tags or unescaped characters that are not allowed in a Note."
 */
export function noteBodyAllowed(body: string): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '<' && !ALLOWED_TAG.test(body.slice(i))) return false;
    if (c === '&' && !ENTITY.test(body.slice(i))) return false;
  }
  return true;
}

/** Strict base64 (what the API decodes a base64 field from). */
export function decodeBase64(value: string): Buffer | null {
  const compact = value.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}
