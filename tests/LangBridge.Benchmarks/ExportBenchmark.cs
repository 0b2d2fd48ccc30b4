using BenchmarkDotNet.Attributes;
using LangBridge.Onnx.Export;
using TorchSharp.Modules;

namespace LangBridge.Benchmarks;

/// <summary>Export of a ~11M-parameter ViT encoder to an ONNX file (graph build + streamed write).</summary>
[MemoryDiagnoser]
public class ExportBenchmark
{
    private Sequential _model = null!;
    private string _path = null!;

    public static OnnxInputSpec Input => OnnxInputSpec.Batched("image", 3, 224, 224);

    [GlobalSetup]
    public void Setup()
    {
        _model = BenchModels.Vit10M();
        _path = Path.Combine(Path.GetTempPath(), $"langbridge-export-bench-{Environment.ProcessId}.onnx");
    }

    [Benchmark(Description = "Export ViT 11.0M params to .onnx")]
    public long Export()
    {
        OnnxExporter.Export(_model, Input, new OnnxExportOptions { GraphName = "vit10m", OutputNames = ["latents"] }).Save(_path);
        return new FileInfo(_path).Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (File.Exists(_path)) File.Delete(_path);
        _model.Dispose();
    }
}
