using System.Reflection;
using LangBridge.Data;
using LangBridge.Pretrained;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;

namespace LangBridge.Pretrained.Tests;

/// <summary>The original networks from the restored NuGet packages, imported once per test run.</summary>
public static class Originals
{
    public static string PackageRoot { get; } =
        typeof(Originals).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;

    public static string MiniLmFolder => Path.Combine(PackageRoot, DataFetcher.MiniLmPackage.ToLowerInvariant(), DataFetcher.MiniLmPackageVersion);
    public static string ResNetFolder => Path.Combine(PackageRoot, DataFetcher.ResNet18Package.ToLowerInvariant(), DataFetcher.ResNet18PackageVersion);

    private static readonly Lazy<MiniLmFiles> _miniLmFiles = new(() => PretrainedSources.MiniLmFromPackage(MiniLmFolder));
    private static readonly Lazy<BertEncoder> _miniLm = new(() => PretrainedSources.FrozenMiniLm(_miniLmFiles.Value));
    private static readonly Lazy<ResNet18Files> _resNetFiles = new(() => PretrainedSources.ResNet18FromPackage(ResNetFolder));
    private static readonly Lazy<ResNet18> _resNet = new(() => PretrainedSources.FrozenResNet18(_resNetFiles.Value));

    public static MiniLmFiles MiniLmFiles => _miniLmFiles.Value;
    public static BertEncoder MiniLm => _miniLm.Value;
    public static WordPieceTokenizer Tokenizer => PretrainedSources.MiniLmTokenizer(MiniLmFiles);
    public static ResNet18Files ResNetFiles => _resNetFiles.Value;
    public static ResNet18 ResNet => _resNet.Value;
}
