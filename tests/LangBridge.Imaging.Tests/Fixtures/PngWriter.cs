using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace LangBridge.Imaging.Tests.Fixtures;

/// <summary>
/// Writes PNG files chunk by chunk, so tests can make the kinds SkiaSharp's encoder never writes
/// (palette, 16-bit, a header that lies about its size).
/// </summary>
internal static class PngWriter
{
    public const byte Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    /// <summary>
    /// A PNG whose pixel (x, y) is <paramref name="pixel"/>'s bytes (the raw sample bytes for the colour
    /// type and bit depth, big-endian for 16 bits); rows use filter type 0.
    /// </summary>
    public static byte[] Encode(int width, int height, byte colorType, byte bitDepth, Func<int, int, byte[]> pixel,
                                byte[]? palette = null, byte[]? transparency = null)
    {
        var rows = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            rows.WriteByte(0);
            for (var x = 0; x < width; x++) rows.Write(pixel(x, y));
        }

        return Assemble(width, height, colorType, bitDepth, Compress(rows.ToArray()), palette, transparency);
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> × <paramref name="height"/> RGB pixels but whose data is a few bytes.</summary>
    public static byte[] Bomb(int width, int height) => Assemble(width, height, Rgb, 8, Compress(new byte[1000]), null, null);

    private static byte[] Assemble(int width, int height, byte colorType, byte bitDepth, byte[] idat, byte[]? palette, byte[]? transparency)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colorType;
        WriteChunk(png, "IHDR", header);
        if (palette is not null) WriteChunk(png, "PLTE", palette);
        if (transparency is not null) WriteChunk(png, "tRNS", transparency);
        WriteChunk(png, "IDAT", idat);
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static byte[] Compress(byte[] data)
    {
        var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return output.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
