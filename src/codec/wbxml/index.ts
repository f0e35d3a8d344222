/**
 * WBXML content of the Push Proxy Gateway: SI (WAP-167) and SL (WAP-168) compiled to WBXML
 * (WAP-192) and back. The PPG compiles `application/vnd.wap.si` / `text/vnd.wap.si` content to
 * `application/vnd.wap.sic` (and SL to `slc`) with compilePushContent; `wapgw decode` shows
 * compiled bodies with decompileWbxml.
 */
import { compileSi, compileSl } from './compile';

export { compileSi, compileSl, siTree, slTree, ContentError, type ContentErrorCode } from './compile';
export { decompileWbxml, wbxmlTableOf } from './decompile';
export { encodeDatetime, decodeDatetime } from './datetime';
export { SI_TABLE, SL_TABLE, WBXML_TABLES, tableByPublicId, type WbxmlTable, type AttrStart } from './tables';
export {
  decodeWbxml,
  encodeWbxml,
  readWbxmlHeader,
  TOKEN,
  CHARSET,
  type WbxmlDocument,
  type WbxmlElement,
  type WbxmlAttr,
  type WbxmlNode,
  type WbxmlValue,
  type EncodeOptions,
} from './wbxml';

export const SIC_CONTENT_TYPE = 'application/vnd.wap.sic';
export const SLC_CONTENT_TYPE = 'application/vnd.wap.slc';

/** Content types whose bodies are SI / SL XML (WAP-230 Appendix A lists the text/ forms; PAP uses application/). */
const COMPILERS: Record<string, { compile: (xml: string) => Buffer; compiledType: string }> = {
  'application/vnd.wap.si': { compile: compileSi, compiledType: SIC_CONTENT_TYPE },
  'text/vnd.wap.si': { compile: compileSi, compiledType: SIC_CONTENT_TYPE },
  'application/vnd.wap.sl': { compile: compileSl, compiledType: SLC_CONTENT_TYPE },
  'text/vnd.wap.sl': { compile: compileSl, compiledType: SLC_CONTENT_TYPE },
};

/** The compiled content type for an SI/SL XML type (parameters ignored), or undefined. */
export function compiledContentType(contentType: string): string | undefined {
  return COMPILERS[mediaType(contentType)]?.compiledType;
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Compiles a push content entity when it is SI or SL XML; returns undefined for any other
 * type (pass it through). The body is read as UTF-8 unless the type's charset parameter says
 * iso-8859-1 or us-ascii. Throws ContentError (ERR_SI_INVALID / ERR_SL_INVALID).
 */
export function compilePushContent(contentType: string, body: Buffer | string): { contentType: string; body: Buffer } | undefined {
  const c = COMPILERS[mediaType(contentType)];
  if (!c) return undefined;
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    const cs = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
    text = cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii' ? body.toString('latin1') : body.toString('utf8');
  }
  return { contentType: c.compiledType, body: c.compile(text) };
}
