namespace LangBridge.Runtime;

/// <summary>A glyph file (GNU Unifont <c>.hex</c>) that cannot be read: the message names the file, the line and the problem.</summary>
public sealed class FontFormatException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    public FontFormatException(string file, int line, string problem)
        : base($"{file}, line {line}: {problem}. A glyph line is 'XXXX:' then 32 (8×16) or 64 (16×16) hex digits.")
    {
        File = file;
        Line = line;
    }

    /// <summary>The glyph file.</summary>
    public string File { get; }

    /// <summary>The 1-based line at fault.</summary>
    public int Line { get; }
}
