using System.Security.Cryptography;
using LangBridge.Data;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Checkpoints;

/// <summary>
/// Reads and writes checkpoints: <c>"LBCKPT"</c> magic, a JSON <see cref="CheckpointHeader"/>, the module's
/// state (TorchSharp format), optionally the optimiser state, and a trailing SHA-256 of everything
/// before it. Writes go to a temporary file renamed into place, so a crash never leaves a half file;
/// reads verify the hash before touching any weights.
/// </summary>
public static class CheckpointStore
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "LBCKPT\0\u0001"u8.ToArray();

    /// <summary>Atomically writes <paramref name="module"/> (and <paramref name="optimizer"/> if given) to <paramref name="path"/>.</summary>
    public static void Save(string path, nn.Module module, optim.Optimizer? optimizer, CheckpointHeader header)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            var json = JsonSerializer.SerializeToUtf8Bytes(header with { HasOptimizer = optimizer is not null });
            writer.Write(json.Length);
            writer.Write(json);
            module.save(writer);
            if (optimizer is not null) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
        }
        var hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));

        AtomicFile.Write(path, file =>
        {
            file.Write(body.GetBuffer(), 0, (int)body.Length);
            file.Write(hash);
        });
    }

    /// <summary>Reads only the header (after verifying the whole file's hash).</summary>
    public static CheckpointHeader ReadHeader(string path) => Open(path, out _);

    /// <summary>
    /// Loads weights (and optimiser state when given and present) from <paramref name="path"/>. Checks the
    /// hash and that the checkpoint belongs to <paramref name="identity"/> (kind, recipe, frozen inputs).
    /// The file is only read, never changed.
    /// </summary>
    public static CheckpointHeader Load(string path, nn.Module module, optim.Optimizer? optimizer, CheckpointIdentity identity)
    {
        var header = Open(path, out var payload);
        if (identity.Mismatch(header) is { } problem) throw new CheckpointException(path, problem);
        if (optimizer is not null && !header.HasOptimizer)
            throw new CheckpointException(path, "has no optimiser state, so training cannot resume from it");
        using var reader = new BinaryReader(payload, Encoding.UTF8);
        try
        {
            module.load(reader, strict: true);
            if (optimizer is not null) ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new CheckpointException(path, $"does not match this model's parameters: {e.Message}");
        }
        return header;
    }

    private static CheckpointHeader Open(string path, out MemoryStream payload)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "checkpoint not found");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 4 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "not a LangBridge checkpoint (bad magic or too short)");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new CheckpointException(path, "is corrupt or truncated (SHA-256 mismatch)");
        int jsonLength = BitConverter.ToInt32(bytes, Magic.Length);
        if (jsonLength <= 0 || Magic.Length + 4 + jsonLength > body.Length)
            throw new CheckpointException(path, "has a bad header length");
        CheckpointHeader header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(bytes.AsSpan(Magic.Length + 4, jsonLength))
                     ?? throw new JsonException("null header");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"has an unreadable header: {e.Message}");
        }
        if (header.FormatVersion != FormatVersion)
            throw new CheckpointException(path, $"has format version {header.FormatVersion}; this build reads {FormatVersion}");
        int offset = Magic.Length + 4 + jsonLength;
        payload = new MemoryStream(bytes, offset, body.Length - offset, writable: false);
        return header;
    }
}
