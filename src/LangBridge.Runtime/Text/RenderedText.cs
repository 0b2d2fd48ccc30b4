namespace LangBridge.Runtime;

/// <summary>Text drawn onto a canvas: 8-bit grey pixels, row-major, and what did not fit.</summary>
/// <param name="Pixels">Size × Size grey levels.</param>
/// <param name="Size">Canvas side.</param>
/// <param name="Text">The text as drawn (normalised: lower-cased, whitespace runs collapsed).</param>
/// <param name="Characters">Characters drawn.</param>
/// <param name="Truncated">True when the text did not fit and its end was left out.</param>
/// <param name="Unknown">Characters drawn with the fallback glyph because the font lacks them.</param>
public sealed record RenderedText(byte[] Pixels, int Size, string Text, int Characters, bool Truncated, int Unknown);
