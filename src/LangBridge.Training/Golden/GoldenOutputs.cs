using LangBridge.Data;

namespace LangBridge.Training.Golden;

/// <summary>
/// Expected outputs of a reference model on fixture images, stored as safetensors with a versioned
/// header (<c>__metadata__</c>: format, version, and the hashes of the checkpoint and fixtures they came from).
/// </summary>
public sealed record GoldenOutputs(long[] TokenIds, int Images, int TokensPerImage, float[] Reconstructions, long[] ReconstructionShape,
    IReadOnlyDictionary<string, string> Metadata)
{
    public const string Format = "langbridge-golden";
    public const int Version = 1;

    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>(Metadata) { ["format"] = Format, ["version"] = Version.ToString() };
        Safetensors.WriteFile(path,
        [
            SafeTensor.Int64("token_ids", [Images, TokensPerImage], TokenIds),
            SafeTensor.Float32("reconstructions", ReconstructionShape, Reconstructions),
        ], metadata);
    }

    public static GoldenOutputs Load(string path)
    {
        using var file = Safetensors.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path}: not a {Format} file");
        if (!file.Metadata.TryGetValue("version", out var version) || version != Version.ToString())
            throw new InvalidDataException($"{path}: golden format version {version}, this build reads {Version}");
        var ids = file.Get("token_ids");
        var rec = file.Get("reconstructions");
        return new GoldenOutputs(file.ReadInt64("token_ids"), (int)ids.Shape[0], (int)ids.Shape[1],
            file.ReadFloat32("reconstructions"), rec.Shape, file.Metadata.Where(kv => kv.Key is not ("format" or "version")).ToDictionary());
    }
}
