using LangBridge.Onnx.Export;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Pipeline;

/// <summary>
/// A kind written in a few lines (one linear graph fitted to a fixed linear map) goes through train → export
/// → verify → load with the generic pieces only: the spine is not LQAE-shaped.
/// </summary>
public sealed class ThrowawayKindTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-kind-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed record LinearRecipe : IModelRecipe
    {
        public required string Name { get; init; }
        public string Kind { get; init; } = LinearKind.KindName;
        public int Seed { get; init; } = 3;
        public int Features { get; init; } = 4;
        public TrainingSection Training { get; init; } = new() { Steps = 200, BatchSize = 32, LearningRate = 0.1f, WarmupSteps = 5, CheckpointEvery = 50, LogEvery = 10 };
        [System.Text.Json.Serialization.JsonIgnore]
        public string Sha256 => RecipeJson.Sha256(this with { Training = Training with { LogEvery = 0, CheckpointEvery = 0, Threads = 0 } });
        public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, RecipeJson.Options);
    }

    private sealed class LinearKind : IModelKind
    {
        public const string KindName = "linear-test";
        public string Name => KindName;
        public string Description => "y = W x + b";
        public IModelRecipe ParseRecipe(string json, string file) => RecipeJson.Deserialize<LinearRecipe>(json, file);
        public KindModel Create(IModelRecipe recipe, KindContext context) => new LinearModel((LinearRecipe)recipe);
    }

    private sealed class LinearModel(LinearRecipe recipe) : KindModel
    {
        private readonly Linear layer = nn.Linear(recipe.Features, 2);
        public override IModelRecipe Recipe => recipe;
        public override nn.Module Module => layer;
        public override TrainingPlan TrainingPlan => TrainingPlan.From(recipe.Training, new TrainingPhase("main", recipe.Training.Steps, recipe.Training.WarmupSteps, new HashSet<string> { "all" }));
        public override ITrainingTask CreateTrainingTask(KindContext context) => new LinearTask(layer, Inputs(256));
        public override BundleDefinition DefineBundle() =>
            new([new GraphDefinition("linear", layer, [new(OnnxInputSpec.Batched("x", recipe.Features), "features")], [new("y", "features")])], []);
        public override VerificationPlan PlanVerification(KindContext context, int examples) =>
            new(examples, new Dictionary<string, IReadOnlyList<ParityCase>> { ["linear"] = [new ParityCase("x", Inputs(examples))] }, []);
    }

    private sealed class LinearTask(Linear layer, Tensor x) : ITrainingTask
    {
        private readonly Tensor y = Target(x);
        public long ExampleCount => x.shape[0];
        public IReadOnlyList<ParameterGroup> ParameterGroups => [new("all", layer.parameters().ToList())];
        public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices) =>
            new Dictionary<string, Tensor> { ["loss"] = nn.functional.mse_loss(layer.call(x.index_select(0, indices)), y.index_select(0, indices)) };
        public void Dispose() { x.Dispose(); y.Dispose(); }
    }

    private static Tensor Inputs(int n) => randn(n, 4, generator: new Generator(11));                     // (N, 4)
    private static Tensor Target(Tensor x) => x.matmul(tensor(new float[] { 1, -2, 0.5f, 3, 0, 1, -1, 2 }).view(4, 2)) + 0.25f; // (N, 2)

    [Fact]
    public void AThrowawayKindTrainsExportsVerifiesAndLoads()
    {
        var registry = KindRegistry.Default.With(new LinearKind());
        var recipePath = Path.Combine(dir, "linear.json");
        File.WriteAllText(recipePath, """{ "name": "linear", "kind": "linear-test", "seed": 3 }""");
        var recipe = registry.LoadRecipe(recipePath);
        var kind = registry.KindOf(recipe);
        var context = new KindContext(dir);

        manual_seed(recipe.Seed);
        using var model = kind.Create(recipe, context);
        using var task = model.CreateTrainingTask(context);
        var checkpoint = Path.Combine(dir, "last.lbck");
        var result = new Trainer(model.TrainingPlan, recipe.Seed, model.Module, task, model.Identity)
            .Train(new TrainerOptions(checkpoint, Path.Combine(dir, "log.jsonl")));
        Assert.Equal(200, result.StepsCompleted);
        Assert.True(result.FinalLosses["loss"] < 0.05, $"final loss {result.FinalLosses["loss"]}");

        using var trained = kind.Create(recipe, context);
        trained.LoadWeights(checkpoint);
        var export = BundleExporter.Export(trained, Path.Combine(dir, "bundle"));
        var report = BundleVerifier.Verify(trained, export, trained.PlanVerification(context, 33));
        Assert.True(report.Passed, report.ToJson());
        BundleVerifier.WriteReport(export.Folder, report);

        var bundle = ModelBundle.Load(export.Folder);
        Assert.Equal("linear-test", bundle.Manifest.Kind);
        var graph = bundle.GetGraph("linear");
        Assert.Equal("x", graph.Inputs[0].Name);
        Assert.True(graph.Inputs[0].Shape[0].IsSymbolic);
        Assert.Equal("features", graph.Inputs[0].Meaning);
        using var x = Inputs(5);
        using var runtime = BundleGraph.Open(bundle, "linear");
        using var input = GraphTensor.FromMemory("x", x.data<float>().ToArray().AsMemory(), 5, 4);
        using var y = runtime.Run([input]);
        using var expected = Target(x);
        Assert.Equal([5L, 2L], y["y"].Shape);
        Assert.True(tensor(y["y"].ToArray<float>()).view(5, 2).allclose(expected, rtol: 0, atol: 0.2));
    }
}
