// The part of fontkit (which ships no types) the font tests use.
declare module 'fontkit' {
  export interface Font {
    familyName: string;
    subfamilyName: string;
    /** Every code point the font maps to a glyph. */
    characterSet: number[];
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function create(buffer: Buffer): Font;
  export function openSync(path: string): Font;
}
