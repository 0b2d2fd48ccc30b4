using System.Text.RegularExpressions;
using LangBridge.Data;
using Xunit.Abstractions;

namespace LangBridge.Samples.Tests;

/// <summary>
/// samples/LangBridge.GpuSample: the packed runtime with the GPU native ONNX Runtime
/// (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0), built and run as an outside application. On a
/// machine without CUDA (this one) the GPU package still lists the CUDA and TensorRT providers;
/// what the runtime must do then is fall back under Auto and fail explicit requests naming what is missing.
/// </summary>
[Collection(PackedCollection.Name)]
public sealed class GpuSampleTests(PackedPackages packed, ITestOutputHelper output)
{
    private const string GpuNativeVersion = "1.31.0";

    [Fact]
    public void Gpu_package_sample_falls_back_to_cpu_under_auto_and_names_what_is_missing_for_explicit_requests()
    {
        var root = packed.Root;
        var sample = Path.Combine(packed.Temp, "samples", "LangBridge.GpuSample");
        Directory.CreateDirectory(sample);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "samples", "LangBridge.GpuSample")))
            File.Copy(file, Path.Combine(sample, Path.GetFileName(file)));

        string[] restore = [$"-p:LangBridgeVersion={packed.Version}", $"-p:RestorePackagesPath={Path.Combine(packed.Temp, "nuget")}"];
        if (PackagingTests.GlobalPackagesFolder() is { } globalPackages) restore = [.. restore, $"-p:RestoreFallbackFolders={globalPackages}"];
        packed.Dotnet("build the GPU sample", sample, ["build", "-c", "Release", "-nodeReuse:false", "-v:minimal", .. restore]);

        // The runtime's range lets the managed binding follow the GPU native package (no 1.31.1 managed over a 1.31.0 native).
        var assets = File.ReadAllText(Path.Combine(sample, "obj", "project.assets.json"));
        Assert.Contains($"\"Microsoft.ML.OnnxRuntime.Managed/{GpuNativeVersion}\"", assets);
        Assert.DoesNotContain("\"Microsoft.ML.OnnxRuntime/", assets); // the CPU native package is not pulled in

        var golden = Path.Combine(root, "tests", "LangBridge.Training.Tests", "Golden");
        var cache = Path.Combine(packed.Temp, "trt-engines");
        var dll = Path.Combine(sample, "bin", "Release", "net10.0", "langbridge-gpu-sample.dll");
        var run = packed.Dotnet("run the GPU sample", sample, dll, Path.Combine(golden, "fixtures-images-idx3-ubyte"), cache);
        output.WriteLine(packed.Log);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => p[1]);
        string One(string key) => Assert.Single(lines[key]);

        // The first image's ids equal the golden ones whichever provider ran them.
        long[] expected;
        using (var file = Safetensors.Open(Path.Combine(golden, "lqae-reference.golden.safetensors")))
        {
            var perImage = (int)file.Get("token_ids").Shape[1];
            expected = file.ReadInt64("token_ids")[..perImage];
        }

        Assert.Equal(expected, One("auto-ids").Split(' ').Select(long.Parse));
        Assert.Equal(GpuNativeVersion, One("onnxruntime"));
        var providers = One("providers").Split(',');
        Assert.Contains("CUDAExecutionProvider", providers);     // listed even without a GPU:
        Assert.Contains("TensorrtExecutionProvider", providers); // the list says what the library was built with

        // The options handed to TensorRT carry fp16 and the engine cache folder.
        var trtOptions = One("tensorrt-options").Split(';').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal("1", trtOptions["trt_fp16_enable"]);
        Assert.Equal("1", trtOptions["trt_engine_cache_enable"]);
        Assert.Equal(cache, trtOptions["trt_engine_cache_path"]);
        Assert.Equal("0", trtOptions["device_id"]);

        var auto = One("auto");
        if (!auto.StartsWith("Cpu |", StringComparison.Ordinal))
        {
            // A CUDA machine: the GPU ran it, and ONNX Runtime itself reads the TensorRT options back.
            Assert.Matches("^(TensorRt|Cuda) \\|", auto);
            Assert.Contains("trt_fp16_enable=1", One("tensorrt-native-options"));
            return;
        }

        // No CUDA here: Auto stepped past both GPU providers, and the reason and the log say why.
        Assert.StartsWith("Cpu | Auto fell back to Cpu", auto);
        Assert.Contains("TensorRt failed", auto);
        Assert.Contains("Cuda failed", auto);
        Assert.Matches(@"lib[\w.+-]+\.so\.\d+ is missing", auto);
        Assert.Contains(lines["log"], l => l.StartsWith("Auto: TensorRt failed", StringComparison.Ordinal) && l.EndsWith("trying Cuda.", StringComparison.Ordinal));
        Assert.Contains(lines["log"], l => l.StartsWith("Auto: Cuda failed", StringComparison.Ordinal) && l.EndsWith("trying Cpu.", StringComparison.Ordinal));
        Assert.Contains(lines["log"], l => l.StartsWith("quantizer (quantizer.onnx) runs on Cpu: Auto stays on Cpu, where graph \"encoder\" landed", StringComparison.Ordinal));

        // Explicit requests fail, naming the missing CUDA (and TensorRT) libraries and the versions to install.
        var cuda = One("cuda");
        Assert.StartsWith("ExecutionProviderUnavailableException LibrariesMissing |", cuda);
        Assert.Matches(@"the shared library lib[\w.+-]+\.so\.\d+ cannot be found", cuda);
        Assert.Contains("CUDA 13", cuda);
        Assert.Contains("cuDNN 9", cuda);
        var tensorRt = One("tensorrt");
        Assert.StartsWith("ExecutionProviderUnavailableException LibrariesMissing |", tensorRt);
        Assert.Contains("TensorRT 10", tensorRt);

        // Without its libraries ONNX Runtime cannot even read TensorRT options back; the sample reports why.
        Assert.Matches(@"^unavailable \| .*cannot open shared object file", One("tensorrt-native-options"));
    }
}
