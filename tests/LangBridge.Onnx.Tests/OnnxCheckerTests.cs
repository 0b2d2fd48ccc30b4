using LangBridge.Onnx.Checking;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using Xunit.Abstractions;

namespace LangBridge.Onnx.Tests;

/// <summary>
/// The official ONNX checker with full shape inference on every graph the tests export. Debian's
/// python3-onnx (1.12) knows opsets up to 17: graphs above that are validated by ONNX Runtime in the
/// parity tests, and listed here. A missing checker FAILS this test, with the install command.
/// </summary>
public class OnnxCheckerTests(ITestOutputHelper output)
{
    private static IEnumerable<(string Name, OnnxExportResult Result)> AllExportedGraphs()
    {
        foreach (var zc in ModelZoo.All) yield return (zc.Name, zc.Export(zc.Build()));
        foreach (var m in CompositeModel.All())
        {
            yield return (m.Name + "_encoder", m.ExportEncoder());
            yield return (m.Name + "_quantizer", m.ExportQuantizer());
            yield return (m.Name + "_decoder", m.ExportDecoder());
        }
    }

    [Fact]
    public void EveryExportedGraph_PassesOfficialChecker_WithFullCheck()
    {
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-onnx-check-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var graphs = AllExportedGraphs().Select(g =>
            {
                var path = Path.Combine(dir, g.Name + ".onnx");
                g.Result.Save(path);
                return (g.Name, Path: path, Opset: (int)g.Result.Model.OpsetImport[0].Version);
            }).ToList();

            // Fails (never skips) when the checker is missing; the exception says how to install it.
            var (info, _) = OnnxPythonChecker.Check([]);
            var checkable = graphs.Where(g => g.Opset <= info.MaxOpset).ToList();
            var beyond = graphs.Where(g => g.Opset > info.MaxOpset).ToList();
            var (_, results) = OnnxPythonChecker.Check(checkable.Select(g => g.Path).ToList());

            output.WriteLine($"onnx {info.Version} (opset ≤ {info.MaxOpset}): checked {results.Count} graphs");
            foreach (var g in beyond) output.WriteLine($"  beyond this checker's opset: {g.Name} (opset {g.Opset}), validated by ONNX Runtime in the parity tests");
            var failures = results.Where(r => !r.Passed).Select(r => $"{Path.GetFileName(r.File)}: {r.Error}").ToList();
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.True(results.Count >= graphs.Count(g => g.Opset == 17), "every opset-17 graph must be checked");
            Assert.Equal(checkable.Count, results.Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Checker_RejectsAnInvalidGraph()
    {
        // A node referencing an undefined input must fail the official checker (proves it really runs).
        var b = new Graph.OnnxGraphBuilder("broken");
        var x = b.AddInput("x", Graph.OnnxElementType.Float, "batch", 4);
        var ghost = new Graph.OnnxValue("ghost", Graph.OnnxElementType.Float, [Graph.OnnxDim.Batch, 4]);
        b.AddOutput(b.Add(x, ghost), "y");
        var path = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.onnx");
        try
        {
            b.Save(path);
            var (_, results) = OnnxPythonChecker.Check([path]);
            Assert.False(results.Single().Passed);
            Assert.Contains("ghost", results.Single().Error);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingChecker_FailsWithInstallHint()
    {
        var e = Assert.Throws<OnnxCheckerUnavailableException>(() => OnnxPythonChecker.Check([], interpreter: "/nonexistent/python3"));
        Assert.Contains("apt-get install -y --no-install-recommends python3-onnx", e.Message);
    }
}
