using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace LangBridge.Data;

/// <summary>One tensor to write to a safetensors file: name, dtype ("F32", "I64", …), shape and little-endian bytes.</summary>
public sealed class SafeTensor
{
    /// <summary>Creates a tensor from raw little-endian bytes; the byte count must match dtype and shape.</summary>
    public SafeTensor(string name, string dtype, long[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == Safetensors.MetadataKey) throw new ArgumentException($"'{name}' is reserved", nameof(name));
        int size = Safetensors.ElementSize(dtype) ?? throw new ArgumentException($"unknown dtype '{dtype}'", nameof(dtype));
        long count = Safetensors.ElementCount(shape);
        if (count * size != data.LongLength)
            throw new ArgumentException($"{dtype} tensor '{name}' of shape [{string.Join(", ", shape)}] needs {count * size} bytes, got {data.LongLength}");
        Name = name; DType = dtype; Shape = shape; Data = data;
    }

    /// <summary>Tensor name (unique in a file).</summary>
    public string Name { get; }
    /// <summary>safetensors dtype string.</summary>
    public string DType { get; }
    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }
    /// <summary>Little-endian element bytes.</summary>
    public byte[] Data { get; }

    /// <summary>A float32 ("F32") tensor.</summary>
    public static SafeTensor Float32(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, "F32", shape, Safetensors.ToLittleEndian(values));

    /// <summary>An int64 ("I64") tensor.</summary>
    public static SafeTensor Int64(string name, long[] shape, ReadOnlySpan<long> values) =>
        new(name, "I64", shape, Safetensors.ToLittleEndian(values));
}

/// <summary>Where one tensor lies in an open safetensors file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">dtype string ("F32", "F16", "BF16", "I64", …).</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">Start offset in the data section.</param>
/// <param name="End">End offset (exclusive) in the data section.</param>
public sealed record SafetensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount => Safetensors.ElementCount(Shape);
}

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>),
/// then the raw little-endian tensor data. Used for codebooks and checkpoints.
/// </summary>
public static class Safetensors
{
    /// <summary>The header key that holds free-form string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>Bytes per element of a dtype, or null if the dtype is unknown.</summary>
    public static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}");
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>Writes tensors (in the given order) and optional string metadata to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
            if (!names.Add(t.Name)) throw new ArgumentException($"duplicate tensor name '{t.Name}'");

        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType);
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.LongLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.LongLength;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces so the data section starts 8-byte aligned (the format allows it).
        long headerLength = json.Length;
        long padded = (headerLength + 7) / 8 * 8;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        json.Position = 0;
        json.CopyTo(stream);
        for (long i = headerLength; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var t in list) stream.Write(t.Data);
    }

    /// <summary>Writes a safetensors file atomically (see <see cref="AtomicFile"/>).</summary>
    public static void WriteFile(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        AtomicFile.Write(path, s => Write(s, list, metadata));
    }

    /// <summary>Opens a safetensors file and validates its header (offsets, sizes, dtypes).</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed.</exception>
    public static SafetensorsFile Open(string path) => new(path);

    internal static byte[] ToLittleEndian<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian) SwapInPlace(bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return bytes;
    }

    internal static void SwapInPlace(Span<byte> bytes, int size)
    {
        if (size == 1) return;
        for (int i = 0; i + size <= bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }
}

/// <summary>An open safetensors file: its header, metadata and on-demand tensor reads.</summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;

    internal SafetensorsFile(string path)
    {
        Path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(_handle);
            if (fileLength < 8) throw Error("an 8-byte header length", $"a file of {fileLength} bytes");
            Span<byte> len = stackalloc byte[8];
            RandomAccess.Read(_handle, len, 0);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(len);
            if (headerLength > (ulong)(fileLength - 8) || headerLength > 100UL << 20)
                throw Error($"a header length of at most {Math.Min(fileLength - 8, 100L << 20)} bytes", $"{headerLength} (truncated or not a safetensors file)");
            var header = new byte[headerLength];
            RandomAccess.Read(_handle, header, 8);
            _dataStart = 8 + (long)headerLength;
            long dataLength = fileLength - _dataStart;
            (Tensors, Metadata) = ParseHeader(header, dataLength);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Tensors by name, in header order.</summary>
    public IReadOnlyDictionary<string, SafetensorInfo> Tensors { get; }

    /// <summary>String metadata from <c>__metadata__</c> (empty if none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Information about tensor <paramref name="name"/>.</summary>
    /// <exception cref="SafetensorsFormatException">No such tensor.</exception>
    public SafetensorInfo Get(string name) =>
        Tensors.TryGetValue(name, out var info) ? info
        : throw Error($"a tensor named '{name}'", Tensors.Count == 0 ? "no tensors" : $"tensors {string.Join(", ", Tensors.Keys.Select(k => $"'{k}'"))}");

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    public byte[] ReadBytes(string name)
    {
        var info = Get(name);
        var bytes = new byte[info.End - info.Begin];
        int n = RandomAccess.Read(_handle, bytes, _dataStart + info.Begin);
        long total = n;
        while (total < bytes.Length && n > 0)
        {
            n = RandomAccess.Read(_handle, bytes.AsSpan((int)total), _dataStart + info.Begin + total);
            total += n;
        }
        if (total != bytes.Length) throw Error($"{bytes.Length} bytes for tensor '{name}'", $"{total} (file truncated)");
        return bytes;
    }

    /// <summary>A tensor as float32, converting from F16, BF16 or F64 when stored that way.</summary>
    /// <exception cref="SafetensorsFormatException">The tensor is missing or not a floating-point tensor.</exception>
    public float[] ReadFloat32(string name)
    {
        var info = Get(name);
        var bytes = ReadBytes(name);
        var result = new float[info.ElementCount];
        switch (info.DType)
        {
            case "F32":
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
                break;
            case "F16":
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i));
                break;
            case "BF16":
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16);
                break;
            case "F64":
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i));
                break;
            default:
                throw Error($"a floating-point tensor (F32, F16, BF16, F64) '{name}'", $"dtype {info.DType}");
        }
        return result;
    }

    /// <summary>A tensor as int64, converting from I32 when stored that way.</summary>
    public long[] ReadInt64(string name)
    {
        var info = Get(name);
        var bytes = ReadBytes(name);
        var result = new long[info.ElementCount];
        switch (info.DType)
        {
            case "I64":
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i));
                break;
            case "I32":
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i));
                break;
            default:
                throw Error($"an integer tensor (I64, I32) '{name}'", $"dtype {info.DType}");
        }
        return result;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private SafetensorsFormatException Error(string expected, string found, Exception? inner = null) => new(Path, expected, found, inner);

    private (IReadOnlyDictionary<string, SafetensorInfo>, IReadOnlyDictionary<string, string>) ParseHeader(byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Error("a JSON header", $"invalid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error("a JSON object header", doc.RootElement.ValueKind.ToString());
            var tensors = new Dictionary<string, SafetensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == Safetensors.MetadataKey)
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Error("__metadata__ to be an object of strings", prop.Value.ValueKind.ToString());
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                tensors[prop.Name] = ParseTensor(prop.Name, prop.Value, dataLength);
            }
            return (tensors, metadata);
        }
    }

    private SafetensorInfo ParseTensor(string name, JsonElement e, long dataLength)
    {
        try
        {
            var dtype = e.GetProperty("dtype").GetString() ?? "";
            int size = Safetensors.ElementSize(dtype) ?? throw Error($"a known dtype for tensor '{name}'", $"'{dtype}'");
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2) throw Error($"two data_offsets for tensor '{name}'", $"{offsets.Length}");
            long begin = offsets[0], end = offsets[1];
            if (shape.Any(d => d < 0)) throw Error($"non-negative dimensions for tensor '{name}'", $"[{string.Join(", ", shape)}]");
            long expectedBytes = Safetensors.ElementCount(shape) * size;
            if (begin < 0 || end < begin || end > dataLength)
                throw Error($"data_offsets of tensor '{name}' within the {dataLength}-byte data section", $"[{begin}, {end}] (file truncated or header corrupt)");
            if (end - begin != expectedBytes)
                throw Error($"{expectedBytes} bytes for {dtype} tensor '{name}' of shape [{string.Join(", ", shape)}]", $"{end - begin} bytes between its data_offsets");
            return new SafetensorInfo(name, dtype, shape, begin, end);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw Error($"dtype, shape and data_offsets for tensor '{name}'", $"a malformed entry ({ex.Message})", ex);
        }
    }
}
