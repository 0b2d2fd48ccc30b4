using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using LangBridge.Data;
using LangBridge.Pretrained;
using LangBridge.Pretrained.Models;
using LangBridge.Pretrained.Parity;
using Microsoft.ML.OnnxRuntime;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge bench pretrained`: our exported MiniLM and ResNet-18 graphs against the original graphs
/// under the same ONNX Runtime session options, and against TorchSharp eager. Ratios only; a missed
/// goal never fails the benchmark, a wrong result does.
/// </summary>
internal static class BenchPretrainedCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per measurement (median).", DefaultValueFactory = _ => 5 };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data cache (default artifacts/data)." };
        var command = new Command("pretrained",
            "MiniLM (batch 1 × 16 tokens, 32 × 64) and ResNet-18 (batch 1, 32; the original runs 32 times) — our export vs the original graph, " +
            "same session options, and vs TorchSharp eager. Writes artifacts/bench/pretrained.json.");
        command.Options.Add(repeats);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            int n = parse.GetValue(repeats);
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            var miniFiles = PretrainedSources.MiniLmFromCache(layout);
            var resFiles = PretrainedSources.ResNet18FromCache(layout);
            using var bert = PretrainedSources.FrozenMiniLm(miniFiles);
            using var resnet = PretrainedSources.FrozenResNet18(resFiles);
            using var run = new RunOptions();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            using var oursBert = new InferenceSession(bert.ExportOnnx().ToBytes(), options);
            using var origBert = new InferenceSession(miniFiles.Onnx, options);
            using var oursRes = new InferenceSession(resnet.ExportOnnx().ToBytes(), options);
            using var origRes = new InferenceSession(PretrainedParity.ComposeOriginalResNet(resFiles).ToByteArray(), options);

            var cases = new List<object>();
            bool allCorrect = true;
            foreach (var (b, s) in new[] { (1, 16), (32, 64) })
            {
                using var scope = NewDisposeScope();
                var ids = randint(1000, 30000, [b, s], generator: new Generator(3));
                ids[.., 0] = 101; ids[.., s - 1] = 102;
                var mask = ones(b, s, ScalarType.Int64);
                var idsArr = ids.data<long>().ToArray(); var maskArr = mask.data<long>().ToArray();
                long[] shape = [b, s];
                using var idsV = OrtValue.CreateTensorValueFromMemory(idsArr, shape);
                using var maskV = OrtValue.CreateTensorValueFromMemory(maskArr, shape);
                using var typesV = OrtValue.CreateTensorValueFromMemory(new long[b * s], shape);
                float[] RunOurs() { using var o = oursBert.Run(run, ["input_ids", "attention_mask"], [idsV, maskV], ["hidden_states"]); return o[0].GetTensorDataAsSpan<float>().ToArray(); }
                float[] RunOrig() { using var o = origBert.Run(run, origBert.InputNames, [idsV, maskV, typesV], [origBert.OutputNames[0]]); return o[0].GetTensorDataAsSpan<float>().ToArray(); }
                var ok = ErrorStats.Compare("hidden_states", tensor(RunOurs()), tensor(RunOrig()), PretrainedParity.Fp32).Passed;
                Tensor eager;
                using (no_grad()) eager = bert.call(ids, mask);
                ok &= ErrorStats.Compare("hidden_states", eager.flatten(), tensor(RunOrig()), PretrainedParity.Fp32).Passed;
                allCorrect &= ok;
                double ours = BenchTiming.Median(n, () => RunOurs()), orig = BenchTiming.Median(n, () => RunOrig());
                double torch = BenchTiming.Median(n, () => { using var g = no_grad(); return bert.call(ids, mask); });
                cases.Add(new
                {
                    model = "minilm", batch = b, tokens = s, ours_ms = ours * 1e3, original_ms = orig * 1e3, torchsharp_eager_ms = torch * 1e3,
                    ours_vs_original = orig / ours, ours_vs_torchsharp = torch / ours, results_match = ok,
                });
            }
            foreach (var b in new[] { 1, 32 })
            {
                using var scope = NewDisposeScope();
                var images = rand(new long[] { b, 3, 224, 224 }, generator: new Generator(4)).mul(255f).round();
                var pixels = images.data<float>().ToArray();
                using var batchV = OrtValue.CreateTensorValueFromMemory(pixels, [b, 3, 224, 224]);
                var singles = Enumerable.Range(0, b).Select(i => OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224).ToArray(), [1L, 3, 224, 224])).ToList();
                float[] RunOurs() { using var o = oursRes.Run(run, [ResNet18.InputName], [batchV], [ResNet18.OutputName]); return o[0].GetTensorDataAsSpan<float>().ToArray(); }
                float[] RunOrig()
                {
                    var all = new List<float>();
                    foreach (var v in singles) { using var o = origRes.Run(run, origRes.InputNames, [v], origRes.OutputNames); all.AddRange(o[0].GetTensorDataAsSpan<float>().ToArray()); }
                    return [.. all];
                }
                var ok = ErrorStats.Compare("features", tensor(RunOurs()), tensor(RunOrig()), PretrainedParity.Fp32).Passed;
                Tensor eager;
                using (no_grad()) eager = resnet.call(images);
                ok &= ErrorStats.Compare("features", eager.flatten(), tensor(RunOrig()), PretrainedParity.Fp32).Passed;
                allCorrect &= ok;
                double ours = BenchTiming.Median(n, () => RunOurs()), orig = BenchTiming.Median(n, () => RunOrig());
                double torch = BenchTiming.Median(n, () => { using var g = no_grad(); return resnet.call(images); });
                foreach (var v in singles) v.Dispose();
                cases.Add(new
                {
                    model = "resnet18", batch = b, ours_ms = ours * 1e3, original_ms = orig * 1e3, torchsharp_eager_ms = torch * 1e3,
                    ours_vs_original = orig / ours, ours_vs_torchsharp = torch / ours, results_match = ok,
                    note = b > 1 ? "the original graph has batch fixed at 1: it ran once per image" : null,
                });
            }
            var result = new
            {
                threads = get_num_threads(), repeats = n, session = "ORT CPU, ORT_ENABLE_ALL, default threads (same options for both graphs)",
                goals = new { ours_vs_original_at_least = 1.0, ours_vs_torchsharp_at_batch_1_at_least = 2.0 },
                cases,
                results_match = allCorrect,
            };
            var dir = Path.Combine(CliPaths.ArtifactsRoot, "bench");
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, "pretrained.json");
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, Json));
            AnsiConsole.WriteLine(JsonSerializer.Serialize(result, Json));
            AnsiConsole.MarkupLine($"Wrote {Markup.Escape(path)}");
            return allCorrect ? 0 : 1;
        }));
        return command;
    }
}
