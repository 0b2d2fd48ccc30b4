// LangBridge GPU sample: the reference bundle with the GPU native ONNX Runtime (CUDA and TensorRT).
//
//   langbridge-gpu-sample <idx3-ubyte image file> [engine-cache-folder]
//
// Prints one "key: value" line per finding, so a test (or a person) can read what happened:
//   onnxruntime / providers            the loaded native library and what it lists
//   log / auto / auto-ids               Auto: every decision logged, the provider chosen and why, the ids of the file's first image
//   cuda / tensorrt                     explicit requests: the provider used, or the exception, its Problem and message
//   tensorrt-options                    the provider options the runtime hands to TensorRT for fp16 + an engine cache
//   tensorrt-native-options             the same options as ONNX Runtime reads them back, or why it cannot (no TensorRT here)

using System.Buffers.Binary;
using LangBridge.Runtime;
using Microsoft.ML.OnnxRuntime;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: langbridge-gpu-sample <idx3-ubyte image file> [engine-cache-folder]");
    return 2;
}

var bundleDir = Path.Combine(AppContext.BaseDirectory, "bundles", "lqae-reference");
var cache = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "langbridge-trt-cache");

Console.WriteLine($"onnxruntime: {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine($"providers: {string.Join(",", ExecutionProviders.Available())}");

var bundle = ModelBundle.Load(bundleDir);
var auto = new RuntimeOptions { Provider = ExecutionProvider.Auto, Log = line => Console.WriteLine($"log: {OneLine(line)}") };
using (var tokenizer = ImageTokenizer.Create(bundle, auto))
{
    Console.WriteLine($"auto: {tokenizer.ExecutionProvider.Provider} | {OneLine(tokenizer.ExecutionProvider.Reason)}");
    Console.WriteLine($"auto-ids: {string.Join(' ', tokenizer.Encode(FirstIdxImage(args[0])).TokenIds)}");
}

var tensorRt = new RuntimeOptions { Provider = ExecutionProvider.TensorRt, TensorRtFp16 = true, TensorRtEngineCacheFolder = cache };
Explicit("cuda", new RuntimeOptions { Provider = ExecutionProvider.Cuda });
Explicit("tensorrt", tensorRt);

var settings = ExecutionProviders.TensorRtProviderOptions(tensorRt, bundle.GetGraph("encoder"));
Console.WriteLine($"tensorrt-options: {string.Join(";", settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"))}");
try
{
    using var native = new OrtTensorRTProviderOptions();
    native.UpdateOptions(new Dictionary<string, string>(settings));
    Console.WriteLine($"tensorrt-native-options: {native.GetOptions()}");
}
catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
{
    Console.WriteLine($"tensorrt-native-options: unavailable | {OneLine(e.Message)}");
}

return 0;

void Explicit(string key, RuntimeOptions options)
{
    try
    {
        using var tokenizer = ImageTokenizer.Create(bundle, options);
        Console.WriteLine($"{key}: {tokenizer.ExecutionProvider.Provider} | {OneLine(tokenizer.ExecutionProvider.Reason)}");
    }
    catch (ExecutionProviderUnavailableException e)
    {
        Console.WriteLine($"{key}: {e.GetType().Name} {e.Problem} | {OneLine(e.Message)}");
    }
}

static string OneLine(string text) => text.ReplaceLineEndings(" ");

// IDX image files: big-endian magic 0x00000803, count, rows, columns, then the pixels.
static PixelImage FirstIdxImage(string path)
{
    var bytes = File.ReadAllBytes(path);
    if (bytes.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x00000803)
        throw new InvalidDataException($"{path} is not an IDX image file.");
    int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)), columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
    return new PixelImage(columns, rows, 1, bytes.AsMemory(16, rows * columns));
}
