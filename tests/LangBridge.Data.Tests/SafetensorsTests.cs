using System.Buffers.Binary;
using System.Text;

namespace LangBridge.Data.Tests;

public class SafetensorsTests
{
    [Fact]
    public void Several_named_tensors_and_metadata_round_trip()
    {
        using var dir = new TempDir();
        var path = dir.File("ckpt.safetensors");
        var weights = Enumerable.Range(0, 12).Select(i => i * 0.25f - 1f).ToArray();
        var steps = new long[] { 1, -2, long.MaxValue };

        Safetensors.WriteFile(path,
            [SafeTensor.Float32("layer.weight", [3, 4], weights), SafeTensor.Int64("step", [3], steps), SafeTensor.Float32("scalar", [], [42f])],
            new Dictionary<string, string> { ["model"] = "lqae", ["epoch"] = "3" });

        using var file = Safetensors.Open(path);
        Assert.Equal(["layer.weight", "step", "scalar"], file.Tensors.Keys);
        Assert.Equal(new long[] { 3, 4 }, file.Get("layer.weight").Shape);
        Assert.Equal("F32", file.Get("layer.weight").DType);
        Assert.Equal(weights, file.ReadFloat32("layer.weight"));
        Assert.Equal(steps, file.ReadInt64("step"));
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Equal("lqae", file.Metadata["model"]);
        Assert.Equal("3", file.Metadata["epoch"]);
    }

    [Fact]
    public void File_layout_is_header_length_json_then_aligned_data()
    {
        using var ms = new MemoryStream();
        Safetensors.Write(ms, [SafeTensor.Float32("a", [2], [1f, 2f])]);
        var bytes = ms.ToArray();

        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd();
        Assert.Equal("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        Assert.Equal(8 + n + 8, bytes.Length);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n))));
    }

    [Fact]
    public void Half_and_bfloat16_tensors_are_read_as_float32()
    {
        using var dir = new TempDir();
        var path = dir.File("half.safetensors");
        var values = new[] { 1.5f, -2f, 0.25f };
        var f16 = new byte[6];
        var bf16 = new byte[6];
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(2 * i), (Half)values[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2 * i), (ushort)(BitConverter.SingleToInt32Bits(values[i]) >> 16));
        }
        Safetensors.WriteFile(path, [new SafeTensor("h", "F16", [3], f16), new SafeTensor("b", "BF16", [3], bf16)]);

        using var file = Safetensors.Open(path);
        Assert.Equal(values, file.ReadFloat32("h"));
        Assert.Equal(values, file.ReadFloat32("b"));
        Assert.Throws<SafetensorsFormatException>(() => file.ReadInt64("h"));
    }

    private static byte[] RawFile(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Header_shape_that_does_not_match_the_data_offsets_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("mismatch.safetensors");
        // [4, 100] float32 needs 1600 bytes, but the offsets span 1200 (a [3, 100] tensor).
        File.WriteAllBytes(path, RawFile("{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[4,100],\"data_offsets\":[0,1200]}}", 1200));

        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Open(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("1600 bytes", e.Expected);
        Assert.Contains("[4, 100]", e.Expected);
        Assert.Contains("1200 bytes", e.Found);
    }

    [Fact]
    public void Truncated_data_and_bad_headers_are_rejected()
    {
        using var dir = new TempDir();
        var truncated = dir.File("truncated.safetensors");
        File.WriteAllBytes(truncated, RawFile("{\"x\":{\"dtype\":\"F32\",\"shape\":[10],\"data_offsets\":[0,40]}}", 20));
        Assert.Contains("truncated", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Open(truncated)).Found);

        var hugeHeader = dir.File("huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
        File.WriteAllBytes(hugeHeader, bytes);
        Assert.Throws<SafetensorsFormatException>(() => Safetensors.Open(hugeHeader));

        var notJson = dir.File("notjson.safetensors");
        File.WriteAllBytes(notJson, RawFile("{not json", 0));
        Assert.Contains("invalid JSON", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Open(notJson)).Found);

        var badDtype = dir.File("dtype.safetensors");
        File.WriteAllBytes(badDtype, RawFile("{\"x\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
        Assert.Contains("Q4", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Open(badDtype)).Found);
    }

    [Fact]
    public void Missing_tensor_names_what_exists()
    {
        using var dir = new TempDir();
        var path = dir.File("a.safetensors");
        Safetensors.WriteFile(path, [SafeTensor.Float32("a", [1], [1f])]);
        using var file = Safetensors.Open(path);
        var e = Assert.Throws<SafetensorsFormatException>(() => file.ReadFloat32("b"));
        Assert.Contains("'a'", e.Found);
    }
}
