using System.Buffers.Binary;
using System.IO.Compression;

namespace LangBridge.Data;

/// <summary>An unsigned-byte tensor read from an IDX file (the MNIST / Fashion-MNIST format).</summary>
/// <param name="Shape">Dimensions, outermost first (e.g. [60000, 28, 28]).</param>
/// <param name="Data">The elements in row-major order.</param>
public sealed record IdxArray(int[] Shape, byte[] Data);

/// <summary>
/// Reads IDX files: magic 0x00 0x00 &lt;type&gt; &lt;ndim&gt;, ndim big-endian int32 sizes, then the data.
/// Only the unsigned-byte type (0x08) that MNIST-style datasets use is accepted. Reads raw or
/// gzip-compressed files (detected from the content, not the name).
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;
    private const long MaxElements = 1L << 31;

    /// <summary>Reads an IDX file and checks its dimension count (when given) and exact length.</summary>
    /// <param name="path">IDX file, raw or gzip.</param>
    /// <param name="expectedDimensions">Required number of dimensions, or null for any (1–4).</param>
    /// <exception cref="IdxFormatException">Wrong magic, type, dimension count, truncated data or trailing bytes.</exception>
    public static IdxArray Read(string path, int? expectedDimensions = null)
    {
        using var file = File.OpenRead(path);
        return Read(file, path, expectedDimensions);
    }

    /// <summary>Reads an IDX stream; <paramref name="name"/> is the file name used in errors.</summary>
    public static IdxArray Read(Stream stream, string name, int? expectedDimensions = null)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> peek = stackalloc byte[2];
        int peeked = ReadFully(buffered, peek, name);
        bool gzip = peeked == 2 && peek[0] == 0x1f && peek[1] == 0x8b;
        Stream input = new PrefixStream(peek[..peeked].ToArray(), buffered);
        if (gzip) input = new GZipStream(input, CompressionMode.Decompress);
        try
        {
            return ReadRaw(input, name, expectedDimensions);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(name, "a complete gzip stream", $"corrupt or truncated gzip data ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new IdxFormatException(name, "a complete gzip stream", "truncated gzip data", e);
        }
    }

    private static IdxArray ReadRaw(Stream input, string name, int? expectedDimensions)
    {
        Span<byte> header = stackalloc byte[4];
        int n = ReadFully(input, header, name);
        if (n < 4) throw new IdxFormatException(name, "a 4-byte IDX magic number", $"a file of {n} bytes");
        if (header[0] != 0 || header[1] != 0)
            throw new IdxFormatException(name, "IDX magic number 0x0000TTNN", $"0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8}");
        if (header[2] != UnsignedByteType)
            throw new IdxFormatException(name, "IDX data type 0x08 (unsigned byte)", $"data type 0x{header[2]:X2}");
        int ndim = header[3];
        if (expectedDimensions is int want && ndim != want)
            throw new IdxFormatException(name, $"{want} dimension(s) (magic 0x0000080{want})", $"{ndim} dimension(s) (magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8})");
        if (ndim is < 1 or > 4)
            throw new IdxFormatException(name, "1 to 4 dimensions", $"{ndim}");

        var shape = new int[ndim];
        Span<byte> dims = stackalloc byte[4 * 4];
        n = ReadFully(input, dims[..(4 * ndim)], name);
        if (n < 4 * ndim) throw new IdxFormatException(name, $"{ndim} dimension sizes ({4 * ndim} bytes) after the magic number", $"{n} bytes (truncated header)");
        long total = 1;
        for (int i = 0; i < ndim; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(dims.Slice(4 * i, 4));
            if (d < 0) throw new IdxFormatException(name, "non-negative dimension sizes", $"size {d} in dimension {i}");
            shape[i] = d;
            total *= d;
            if (total > MaxElements) throw new IdxFormatException(name, $"at most {MaxElements} elements", $"shape [{string.Join(", ", shape[..(i + 1)])}…]");
        }

        var data = new byte[total];
        n = ReadFully(input, data, name);
        if (n < total)
            throw new IdxFormatException(name, $"{total} data bytes for shape [{string.Join(", ", shape)}]", $"{n} (truncated)");
        Span<byte> extra = stackalloc byte[1];
        if (ReadFully(input, extra, name) != 0)
            throw new IdxFormatException(name, $"end of file after {total} data bytes for shape [{string.Join(", ", shape)}]", "trailing bytes");
        return new IdxArray(shape, data);
    }

    private static int ReadFully(Stream s, Span<byte> buffer, string name)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Writes an unsigned-byte IDX file (raw, or gzip when <paramref name="gzip"/>): used for caches and tests.</summary>
    public static void Write(Stream stream, ReadOnlySpan<int> shape, ReadOnlySpan<byte> data, bool gzip = false)
    {
        long total = 1;
        foreach (int d in shape) total *= d;
        if (total != data.Length) throw new ArgumentException($"shape holds {total} elements, data has {data.Length}");
        Stream output = gzip ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : stream;
        try
        {
            Span<byte> header = stackalloc byte[4 + 4 * shape.Length];
            header[0] = 0; header[1] = 0; header[2] = UnsignedByteType; header[3] = (byte)shape.Length;
            for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.Slice(4 + 4 * i), shape[i]);
            output.Write(header);
            output.Write(data);
        }
        finally
        {
            if (gzip) output.Dispose();
        }
    }

    /// <summary>Replays a few already-read bytes, then the rest of the inner stream.</summary>
    private sealed class PrefixStream(byte[] prefix, Stream inner) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_pos < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _pos);
                prefix.AsSpan(_pos, n).CopyTo(buffer);
                _pos += n;
                return n;
            }
            return inner.Read(buffer);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
