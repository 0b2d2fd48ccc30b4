using System.Globalization;

namespace LangBridge.Data;

public sealed partial class DataFetcher
{
    /// <summary>Component name of the WordNet database.</summary>
    public const string WordNetComponent = "wordnet";

    /// <summary>Debian package holding WordNet 3.0's database files.</summary>
    public const string WordNetPackage = "wordnet-base";

    /// <summary>The database files kept: the four parts of speech, index and data.</summary>
    public static readonly string[] WordNetFiles =
        ["index.noun", "data.noun", "index.verb", "data.verb", "index.adj", "data.adj", "index.adv", "data.adv"];

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildWordNet(string staging, CancellationToken ct)
    {
        var download = Path.Combine(Path.GetDirectoryName(staging)!, "download");
        var step = $"{WordNetComponent}: apt-get download {WordNetPackage}";
        progress?.Start(step, null, "bytes");
        var pkg = await source.FetchDebianAsync(WordNetPackage, download, b => progress?.Report(step, b), ct);
        progress?.Finish(step, $"version {pkg.Version}");

        var outDir = Path.Combine(staging, "wordnet");
        Directory.CreateDirectory(outDir);
        var files = new List<(string, string)>();
        foreach (var name in WordNetFiles)
        {
            var file = Path.Combine(pkg.Path, "usr", "share", "wordnet", name);
            if (!File.Exists(file)) throw new DataFetchException($"{WordNetPackage} {pkg.Version} has no usr/share/wordnet/{name}");
            // Check it parses (every synset or lemma line) before it is trusted.
            int entries = name.StartsWith("data.", StringComparison.Ordinal) ? WordNet.CountSynsets(file) : WordNet.CountLemmas(file);
            File.Copy(file, Path.Combine(outDir, name));
            files.Add(($"wordnet/{name}", $"{entries:N0} {(name.StartsWith("data.", StringComparison.Ordinal) ? "synsets" : "lemmas")}"));
        }
        var copyright = Path.Combine(pkg.Path, "usr", "share", "doc", "wordnet-base", "copyright");
        if (File.Exists(copyright))
        {
            File.Copy(copyright, Path.Combine(outDir, "copyright"));
            files.Add(("wordnet/copyright", "licence (WordNet 3.0 licence, Princeton University)"));
        }
        return (new ManifestSource("debian", pkg.Package, pkg.Version), files, new Dictionary<string, string>
        {
            ["files"] = WordNetFiles.Length.ToString(CultureInfo.InvariantCulture),
        });
    }
}
