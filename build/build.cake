// LangBridge build. Every pipeline step is a `langbridge` CLI command; the tasks here only
// orchestrate (build, run the CLI, run the tests), so each step can also be run by hand.
//
//   ./build.sh                          Default: Data -> Pretrained -> Train -> Evaluate -> Export -> Verify
//   ./build.sh --target=Test            build and run every test project
//   ./build.sh --target=Data --force    refetch the data cache
//
// Arguments: --configuration=Release|Debug, --recipe=models/<name>.json (any model kind; default: every
//            recipe in DefaultRecipes), --vocab-size=N, --force (refetch data), --fresh (train from scratch
//            rather than resume), --accept (Golden: write changed golden files), --retrain (Golden)

using System.Xml.Linq;

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
// The models the default pipeline builds, in order; each step runs for every one of them. The two-tower
// baseline comes before CLIPPO so that CLIPPO's evaluation reports both; limber-fashion comes after the LM
// and the LQAE and CLIPPO encoders it captions with (lm-wordnet itself has no bundle: Export/Verify skip it),
// vlap-fashion after limber-fashion, whose setting, features and trained bridges it shares and compares with.
var DefaultRecipes = new[] { "models/lqae-fashion.json", "models/lqae-bert.json", "models/clippo-fashion-twotower.json", "models/clippo-fashion.json", "models/lm-wordnet.json", "models/limber-fashion.json", "models/vlap-fashion.json" };
var recipes = HasArgument("recipe") ? new[] { Argument<string>("recipe") } : DefaultRecipes;
var vocabSize = Argument("vocab-size", 32768);
var force = HasArgument("force");
var fresh = HasArgument("fresh");   // train from scratch instead of resuming the recipe's last checkpoint

var root = MakeAbsolute(Directory(".."));
var solution = root.CombineWithFilePath("LangBridge.slnx");
var artifacts = root.Combine("artifacts");
var cliDll = artifacts.Combine($"bin/LangBridge.Cli/{configuration.ToLowerInvariant()}").CombineWithFilePath("langbridge.dll");
var isCi = EnvironmentVariable("CI") is { Length: > 0 } ci && ci != "false";

// Runs `langbridge <args>` and fails the task on a non-zero exit code.
void Langbridge(string args)
{
    Information($"langbridge {args}");
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"\"{cliDll}\" {args}",
        WorkingDirectory = root,
    });
    if (exit != 0) throw new CakeException($"langbridge {args.Split(' ')[0]} failed with exit code {exit}.");
}

// Runs a shell command; returns its exit code.
int Shell(string command) => StartProcess("bash", new ProcessSettings
{
    Arguments = $"-c \"{command.Replace("\"", "\\\"")}\"",
    WorkingDirectory = root,
});

Task("Clean")
    .Description("Removes build outputs (keeps the data cache under artifacts/data).")
    .Does(() =>
{
    foreach (var dir in new[] { "bin", "obj", "packages", "test-results" })
    {
        var path = artifacts.Combine(dir);
        if (DirectoryExists(path)) DeleteDirectory(path, new DeleteDirectorySettings { Recursive = true, Force = true });
    }
});

Task("Restore")
    .Does(() => DotNetRestore(solution.FullPath));

Task("Build")
    .IsDependentOn("Restore")
    .Does(() =>
{
    DotNetBuild(solution.FullPath, new DotNetBuildSettings
    {
        Configuration = configuration,
        NoRestore = true,
    });
});

// The pipeline steps need only the CLI; skip even an incremental build (tens of seconds) when its
// output is newer than every source it is built from, so a cached `--target=Data` takes seconds.
Task("BuildCli")
    .Does(() =>
{
    if (FileExists(cliDll))
    {
        var built = System.IO.File.GetLastWriteTimeUtc(cliDll.FullPath);
        var sources = GetFiles($"{root}/src/**/*.cs").Concat(GetFiles($"{root}/src/**/*.csproj"))
            .Concat(GetFiles($"{root}/build/native/*")).Concat(GetFiles($"{root}/Directory.*"));
        var newest = sources.Where(f => !f.FullPath.Contains("/obj/") && !f.FullPath.Contains("/bin/"))
            .Max(f => System.IO.File.GetLastWriteTimeUtc(f.FullPath));
        if (newest < built)
        {
            Information("langbridge CLI is up to date.");
            return;
        }
    }
    DotNetBuild(root.CombineWithFilePath("src/LangBridge.Cli/LangBridge.Cli.csproj").FullPath, new DotNetBuildSettings { Configuration = configuration });
});

// The ONNX tests validate every exported graph with the official checker (Debian's python3-onnx); the
// renderer's golden tests draw with GNU Unifont from the data cache (Debian's unifont, fetched once).
Task("TestPrerequisites")
    .IsDependentOn("BuildCli")
    .Does(() =>
{
    Langbridge("data fetch --only unifont");
    if (!IsRunningOnLinux()) return;
    if (Shell("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0) return;
    Information("Installing python3-onnx (the ONNX checker the tests run on every exported graph)...");
    var sudo = Shell("[ \"$(id -u)\" = 0 ]") == 0 ? "" : "sudo ";
    if (Shell($"{sudo}apt-get update -qq && {sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-onnx") != 0)
        throw new CakeException("Could not install python3-onnx; install it with: apt-get install python3-onnx");
});

Task("Test")
    .Description("Builds and runs every test project; prints one summary line.")
    .IsDependentOn("Build")
    .IsDependentOn("TestPrerequisites")
    .Does(() =>
{
    var results = artifacts.Combine("test-results");
    if (DirectoryExists(results)) DeleteDirectory(results, new DeleteDirectorySettings { Recursive = true, Force = true });
    var settings = new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        NoRestore = true,
        ResultsDirectory = results,
        Loggers = new[] { "trx", "console;verbosity=normal" },
        EnvironmentVariables = new Dictionary<string, string>
        {
            // Snapshots are checked strictly: a missing snapshot fails instead of being written.
            ["SNAPSHOOTER_STRICT_MODE"] = isCi ? "true" : (EnvironmentVariable("SNAPSHOOTER_STRICT_MODE") ?? "false"),
        },
    };
    Exception failure = null;
    try { DotNetTest(solution.FullPath, settings); }
    catch (Exception e) { failure = e; }

    // One closing line over all test assemblies, counted from the TRX files.
    int passed = 0, failed = 0, total = 0;
    foreach (var trx in GetFiles($"{results}/**/*.trx"))
    {
        var counters = XDocument.Load(trx.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
        passed += int.Parse(counters.Attribute("passed").Value);
        failed += int.Parse(counters.Attribute("failed").Value);
        total += int.Parse(counters.Attribute("total").Value);
    }
    // Plain console output: Cake's own logger colours the numbers, which splits the line for log readers.
    var summary = $"Test: {passed} passed, {failed} failed, {total - passed - failed} skipped";
    Console.WriteLine();
    Console.WriteLine(summary);
    System.IO.File.WriteAllText(results.CombineWithFilePath("summary.txt").FullPath, summary + "\n");
    if (failure != null) throw failure;
    if (failed > 0 || total == 0) throw new CakeException(total == 0 ? "No test ran." : $"{failed} test(s) failed.");
});

Task("Data")
    .Description("Fetches Fashion-MNIST, the GloVe codebook, MNIST, GNU Unifont, WordNet and the pretrained networks into artifacts/data (cached).")
    .IsDependentOn("BuildCli")
    .Does(() => Langbridge($"data fetch --vocab-size {vocabSize}" + (force ? " --force" : "")));

Task("Train")
    .Description("Trains the recipe, resuming its last checkpoint (a finished run returns at once); --fresh starts over.")
    .IsDependentOn("Data")
    .DoesForEach(() => recipes, recipe => Langbridge($"train --recipe {recipe}" + (fresh ? "" : " --resume")));

Task("Evaluate")
    .Description("Held-out metrics, reconstruction sheet and few-shot prompt under artifacts/reports/<name>/.")
    .IsDependentOn("Train")
    .DoesForEach(() => recipes, recipe => Langbridge($"evaluate --recipe {recipe}"));

Task("Export")
    .Description("Writes the ONNX bundle to artifacts/bundles/<name>/.")
    .IsDependentOn("Train")
    .DoesForEach(() => recipes, recipe => Langbridge($"export --recipe {recipe}"));

Task("Verify")
    .Description("Parity of the bundle against the TorchSharp model on 1,000 test images; writes parity.json.")
    .IsDependentOn("Export")
    .DoesForEach(() => recipes, recipe => Langbridge($"verify --recipe {recipe} --images 1000"));

// The reference models whose golden outputs the tests compare against (checkpoints committed beside them).
var GoldenRecipes = new[] { "models/lqae-reference.json", "models/lqae-bert-reference.json", "models/clippo-reference.json" };

Task("Golden")
    .Description("Recomputes the golden outputs from the committed reference checkpoints and the renderer's golden PNGs, and prints what changed; writes them only with --accept; --retrain retrains the references first.")
    .IsDependentOn("BuildCli")
    .Does(() =>
{
    var accept = HasArgument("accept") ? " --accept" : "";
    foreach (var recipe in HasArgument("recipe") ? recipes : GoldenRecipes)
        Langbridge($"golden --recipe {recipe}" + (HasArgument("retrain") ? " --retrain" : "") + accept);
    Langbridge("golden --renderer" + accept);
});

Task("Pack")
    .Description("Runtime, imaging and model packages (with symbols) into artifacts/packages/.")
    .IsDependentOn("PackLibraries")
    .IsDependentOn("PackModels");

Task("Bench")
    .Description("Quantizer search vs naive and the matmul roof; runtime Encode vs TorchSharp eager (needs the exported bundle); the exported pretrained networks vs their original graphs (needs the Data cache). Writes artifacts/bench/.")
    .IsDependentOn("BuildCli")
    .Does(() =>
{
    Langbridge("bench quantizer");
    if (DirectoryExists(artifacts.Combine("data/pretrained"))) Langbridge("bench pretrained");
    else Warning("No pretrained networks in the data cache yet: run ./build.sh --target=Data first for the pretrained benchmark.");
    foreach (var recipe in recipes)
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(recipe);
        if (FileExists(artifacts.CombineWithFilePath($"bundles/{name}/manifest.json"))) Langbridge($"bench runtime --recipe {recipe}");
        else Warning($"No bundle for {name} yet: run ./build.sh first for the runtime benchmark.");
    }
});

Task("Pretrained")
    .Description("Parity of the imported pretrained networks (MiniLM, ResNet-18) with their original graphs; writes artifacts/reports/pretrained/parity.json.")
    .IsDependentOn("Data")
    .Does(() => Langbridge("pretrained verify"));

Task("Default")
    .IsDependentOn("Data")
    .IsDependentOn("Pretrained")
    .IsDependentOn("Train")
    .IsDependentOn("Evaluate")
    .IsDependentOn("Export")
    .IsDependentOn("Verify");

#load "pack.cake"

RunTarget(target);
