using LangBridge.Data;

namespace LangBridge.Training.Golden;

/// <summary>One expected output: int64 values (compared exactly) or float32 values (compared within tolerance).</summary>
public sealed record GoldenTensor(string Name, long[] Shape, long[]? Int64 = null, float[]? Float32 = null)
{
    public long Elements => Int64?.LongLength ?? Float32!.LongLength;
}

/// <summary>
/// Expected outputs of a reference model on fixture inputs, stored as safetensors with a versioned header
/// (<c>__metadata__</c>: format, version, and the hashes of the checkpoint and fixtures they came from).
/// </summary>
public sealed record GoldenOutputs(IReadOnlyList<GoldenTensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    public const string Format = "langbridge-golden";
    public const int Version = 1;

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public GoldenTensor Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"no golden tensor '{name}'; have [{string.Join(", ", Tensors.Select(t => t.Name))}]");

    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>(Metadata) { ["format"] = Format, ["version"] = Version.ToString() };
        Safetensors.WriteFile(path, Tensors.Select(t => t.Int64 is not null
            ? SafeTensor.Int64(t.Name, t.Shape, t.Int64)
            : SafeTensor.Float32(t.Name, t.Shape, t.Float32!)), metadata);
    }

    /// <summary>Reads a golden file; anything else (another format or version, a damaged file) is a <see cref="GoldenFileException"/>.</summary>
    public static GoldenOutputs Load(string path)
    {
        if (!File.Exists(path)) throw new GoldenFileException(path, "not found");
        try
        {
            using var file = Safetensors.Open(path);
            if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
                throw new GoldenFileException(path, $"not a {Format} file");
            if (!file.Metadata.TryGetValue("version", out var version) || version != Version.ToString())
                throw new GoldenFileException(path, $"golden format version {version}, this build reads {Version}");
            var tensors = file.Tensors.Values.OrderBy(t => t.Begin).Select(t => t.DType switch
            {
                "I64" => new GoldenTensor(t.Name, t.Shape, Int64: file.ReadInt64(t.Name)),
                "F32" => new GoldenTensor(t.Name, t.Shape, Float32: file.ReadFloat32(t.Name)),
                _ => throw new GoldenFileException(path, $"tensor '{t.Name}' has dtype {t.DType}; golden files hold I64 and F32"),
            }).ToArray();
            return new GoldenOutputs(tensors, file.Metadata.Where(kv => kv.Key is not ("format" or "version")).ToDictionary());
        }
        catch (Exception e) when (e is DataException or InvalidDataException or IOException)
        {
            throw new GoldenFileException(path, e.Message);
        }
    }
}

/// <summary>A golden file that cannot be read.</summary>
public sealed class GoldenFileException(string path, string problem) : Exception($"golden file {path}: {problem}")
{
    public string Path { get; } = path;
}
