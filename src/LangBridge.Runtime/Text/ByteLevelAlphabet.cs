namespace LangBridge.Runtime;

/// <summary>
/// GPT-2's reversible map from bytes to printable characters: bytes that are printable Latin-1 (33–126,
/// 161–172, 174–255) stand for themselves, the other 68 take the code points from 256 on, in byte order. BPE
/// vocabularies (<c>vocab.json</c>, <c>merges.txt</c>) spell tokens in these characters, so a space is "Ġ".
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>The character byte <paramref name="b"/> is spelled with.</summary>
    public static char Char(byte b) => ByteToChar[b];

    /// <summary>UTF-8 bytes spelled in the alphabet, one character a byte.</summary>
    public static string Spell(ReadOnlySpan<byte> utf8)
    {
        var chars = new char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) chars[i] = ByteToChar[utf8[i]];
        return new string(chars);
    }

    /// <summary>Appends the bytes <paramref name="token"/> spells; false if it has a character outside the alphabet.</summary>
    public static bool TryAppendBytes(string token, List<byte> bytes)
    {
        foreach (var c in token)
        {
            if (!CharToByte.TryGetValue(c, out var b)) return false;
            bytes.Add(b);
        }
        return true;
    }
}
