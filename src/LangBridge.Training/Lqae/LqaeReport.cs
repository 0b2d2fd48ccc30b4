using System.Diagnostics;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using LangBridge.Training.Reports;

namespace LangBridge.Training.Lqae;

/// <summary>LQAE's evaluation report: <c>metrics.json</c>'s numbers, <c>reconstructions.png</c> and <c>fewshot-prompt.txt</c>.</summary>
internal static class LqaeReport
{
    public const string SheetFile = "reconstructions.png", PromptFile = "fewshot-prompt.txt";

    public static EvaluationReport Write(LqaeKindModel kindModel, KindContext context, string reportDir, TrainingResult? training)
    {
        var clock = Stopwatch.StartNew();
        var recipe = kindModel.LqaeRecipe;
        var data = context.RequireData("evaluation");
        var test = RecipeData.LoadImages(recipe, data, DataSplit.Test);
        if (recipe.Evaluation.TestLimit > 0 && recipe.Evaluation.TestLimit < test.Count) test = test.Slice(0, recipe.Evaluation.TestLimit);
        var train = RecipeData.LoadImages(recipe, data, DataSplit.Train);
        int probeCount = recipe.Evaluation.ProbeTrainLimit > 0 ? Math.Min(recipe.Evaluation.ProbeTrainLimit, train.Count) : train.Count;
        var probeTrain = train.Slice(0, probeCount);

        context.Report($"encoding and reconstructing {test.Count} test images...");
        var encoded = LqaeEvaluator.Encode(kindModel.Model, test, reconstruct: true);
        var metrics = LqaeEvaluator.Evaluate(kindModel.Model, kindModel.Codebook.Words, test, probeTrain, encoded, training, clock.Elapsed.TotalSeconds, context.Log);

        Directory.CreateDirectory(reportDir);
        var words = kindModel.Codebook.Words;
        string[] Words(long[] ids) => ids.Select(id => words[(int)id]).ToArray();
        var sheet = Path.Combine(reportDir, SheetFile);
        WriteSheet(recipe, test, encoded, Words, sheet);
        var prompt = Path.Combine(reportDir, PromptFile);
        AtomicFile.WriteAllText(prompt, Prompt(recipe, test, encoded, Words));
        return new EvaluationReport(metrics, [sheet, prompt]);
    }

    /// <summary>Two test images per class: original, reconstruction and their most frequent words (<see cref="WordSummary"/>).</summary>
    private static void WriteSheet(LqaeRecipe recipe, ImageDataset test, EncodedSet encoded, Func<long[], string[]> words, string path)
    {
        int size = test.ImageSize;
        var rows = Enumerable.Range(0, test.ClassNames.Count)
            .SelectMany(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Take(2))
            .Select(i => new SheetRow(
                test.ClassNames[test.Labels[i]],
                encoded.Originals[(i * size)..((i + 1) * size)],
                encoded.Reconstructions[(i * size)..((i + 1) * size)],
                WordSummary.MostFrequent(words(encoded.TokenIds[i]), recipe.GridSize),
                encoded.MaskedReconstructions?[(i * size)..((i + 1) * size)]))
            .ToList();
        var masked = encoded.MaskedReconstructions is null ? "" : $" | with {recipe.Masking.Ratio:P0} of the words masked";
        ReconstructionSheet.Save(path, rows, test.Channels, test.Height, test.Width,
            $"{recipe.Name}: original | reconstruction{masked} | most frequent words of {recipe.TokensPerImage} (ties: nearest the middle)");
    }

    /// <summary>Two labelled examples per class, then ten queries.</summary>
    private static string Prompt(LqaeRecipe recipe, ImageDataset test, EncodedSet encoded, Func<long[], string[]> words)
    {
        (IReadOnlyList<string>, string) Item(int i) => (words(encoded.TokenIds[i]), test.ClassNames[test.Labels[i]]);
        var examples = Enumerable.Range(0, test.ClassNames.Count)
            .SelectMany(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Take(2)).Order().Select(Item).ToList();
        var queries = Enumerable.Range(0, test.ClassNames.Count)
            .Select(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Skip(2).First()).Select(Item).ToList();
        return FewShotPrompt.Build(recipe.Name, examples, queries, recipe.GridSize, recipe.CoarseTokens);
    }
}
