using LangBridge.Training.Checkpoints;
using LangBridge.Training.Lqae;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Pipeline;

public sealed class CheckpointIdentityTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-identity-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Save(LqaeModel model, CheckpointHeader header)
    {
        var path = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".lbck");
        CheckpointStore.Save(path, model, null, header);
        return path;
    }

    [Fact]
    public void ACheckpointCarryingTheLegacyRecipeHashLoadsWithItsRecipeOnly()
    {
        var recipe = TinyLqae.Recipe();
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        // What checkpoints written before recipe hash version 2 look like: no version, the hash of every key.
        var legacy = Save(model, new CheckpointHeader(CheckpointStore.FormatVersion, "lqae", recipe.LegacySha256, 4, false));
        Assert.Equal(1, CheckpointStore.ReadHeader(legacy).RecipeHashVersion);

        using var again = new LqaeModel(recipe, TinyLqae.Codebook(seed: 1));
        CheckpointStore.Load(legacy, again, null, CheckpointIdentity.Of(recipe));
        var other = recipe with { Seed = recipe.Seed + 1 };
        var e = Assert.Throws<CheckpointException>(() => CheckpointStore.Load(legacy, again, null, CheckpointIdentity.Of(other)));
        Assert.Contains("another recipe", e.Message);
    }

    [Fact]
    public void MovingTheDataRootOrChangingASpeedKnobKeepsTheCheckpoint()
    {
        var recipe = TinyLqae.Recipe();
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var path = Save(model, CheckpointIdentity.Of(recipe).Header(4, false));
        var moved = recipe with
        {
            Codebook = recipe.Codebook with { Path = "elsewhere/codebook" },
            Quantizer = recipe.Quantizer with { VectorTile = 5 },
            Training = recipe.Training with { Threads = 2, LogEvery = 1 },
        };
        CheckpointStore.Load(path, model, null, CheckpointIdentity.Of(moved));
    }

    [Fact]
    public void ACheckpointTrainedAroundAnotherCodebookIsRefused()
    {
        var recipe = TinyLqae.Recipe();
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var trainedWith = new Dictionary<string, string> { ["codebook"] = LqaeKindModel.CodebookSha256(TinyLqae.Words(seed: 9)) };
        var path = Save(model, CheckpointIdentity.Of(recipe, trainedWith).Header(4, false));

        var same = new Dictionary<string, string> { ["codebook"] = LqaeKindModel.CodebookSha256(TinyLqae.Words(seed: 9)) };
        CheckpointStore.Load(path, model, null, CheckpointIdentity.Of(recipe, same));
        var changed = new Dictionary<string, string> { ["codebook"] = LqaeKindModel.CodebookSha256(TinyLqae.Words(seed: 10)) };
        var e = Assert.Throws<CheckpointException>(() => CheckpointStore.Load(path, model, null, CheckpointIdentity.Of(recipe, changed)));
        Assert.Contains("another codebook", e.Message);
    }
}
