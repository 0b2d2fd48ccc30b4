// Packaging tasks, loaded by build.cake (`#load "pack.cake"` just before RunTarget), whose
// `configuration`, `root`, `artifacts`, `cliDll` and `Langbridge(args)` they use.
//
//   ./build.sh --target=PackLibraries   LangBridge.Runtime + LangBridge.Imaging (.nupkg + .snupkg) -> artifacts/packages/
//   ./build.sh --target=PackModels      model packages -> artifacts/packages/: LangBridge.Models.LqaeReference (always,
//                                       from the committed reference checkpoint) and LangBridge.Models.LqaeFashion
//                                       (only when artifacts/bundles/lqae-fashion/ was exported by the pipeline)
//   ./build.sh --target=Sample          builds samples/LangBridge.Sample from those packages and runs it on the fixtures

var packOutput = artifacts.Combine("packages");
var packWork = artifacts.Combine("pack");   // exported reference bundle and the sample's private package folder

// The version every LangBridge package gets (Directory.Build.props), and the sample restores.
string PackVersion() =>
    System.Xml.Linq.XDocument.Load(root.CombineWithFilePath("Directory.Build.props").FullPath)
        .Descendants("Version").Select(v => v.Value.Trim()).First();

Task("PackLibraries")
    .Description("Packs LangBridge.Runtime and LangBridge.Imaging, with symbols (.snupkg), into artifacts/packages/.")
    .Does(() =>
{
    EnsureDirectoryExists(packOutput);
    foreach (var project in new[] { "src/LangBridge.Runtime/LangBridge.Runtime.csproj", "src/LangBridge.Imaging/LangBridge.Imaging.csproj" })
    {
        DotNetPack(root.CombineWithFilePath(project).FullPath, new DotNetPackSettings
        {
            Configuration = configuration,
            OutputDirectory = packOutput,
            IncludeSymbols = true,
            SymbolPackageFormat = "snupkg",
        });
    }
    Information($"PackLibraries: LangBridge.Runtime and LangBridge.Imaging {PackVersion()} in {packOutput}");
});

// Packs one exported bundle with src/LangBridge.Models (bundle files as contentFiles, copied to the consumer's output).
void PackModelBundle(string name, string packageId, DirectoryPath bundle)
{
    EnsureDirectoryExists(packOutput);
    DotNetPack(root.CombineWithFilePath("src/LangBridge.Models/LangBridge.Models.csproj").FullPath, new DotNetPackSettings
    {
        Configuration = configuration,
        OutputDirectory = packOutput,
        MSBuildSettings = new DotNetMSBuildSettings()
            .WithProperty("ModelName", name)
            .WithProperty("ModelPackageId", packageId)
            .WithProperty("BundleDir", bundle.FullPath),
    });
    Information($"PackModels: {packageId} {PackVersion()} ({name} from {bundle})");
}

Task("PackModels")
    .Description("Model packages in artifacts/packages/: LangBridge.Models.LqaeReference always, LangBridge.Models.LqaeFashion when its bundle was exported.")
    .IsDependentOn("BuildCli")
    .Does(() =>
{
    // The reference model from its committed checkpoint and vocabulary: needs no data cache.
    var reference = packWork.Combine("bundles/lqae-reference");
    if (DirectoryExists(reference)) DeleteDirectory(reference, new DeleteDirectorySettings { Recursive = true, Force = true });
    Langbridge("export --recipe models/lqae-reference.json --checkpoint models/lqae-reference.lbck " +
               $"--vocabulary models/lqae-reference.vocab.txt -o \"{reference}\"");
    PackModelBundle("lqae-reference", "LangBridge.Models.LqaeReference", reference);

    var fashion = artifacts.Combine("bundles/lqae-fashion");
    if (FileExists(fashion.CombineWithFilePath("manifest.json")))
        PackModelBundle("lqae-fashion", "LangBridge.Models.LqaeFashion", fashion);
    else
        Information($"PackModels: no {fashion}/manifest.json, so no LangBridge.Models.LqaeFashion (./build.sh trains and exports it).");
});

Task("Sample")
    .Description("Builds samples/LangBridge.Sample from artifacts/packages/ as an outside application would, and runs it on the fixture images.")
    .IsDependentOn("PackLibraries")
    .IsDependentOn("PackModels")
    .Does(() =>
{
    // The sample restores into a private package folder (emptied of LangBridge packages first), so a package
    // just repacked under the same version is never served stale from the machine's NuGet cache; what the machine
    // already has (ONNX Runtime, SkiaSharp) is read in place from its global package folder.
    var restoreFolder = packWork.Combine("sample-packages");
    EnsureDirectoryExists(restoreFolder);
    foreach (var stale in GetDirectories($"{restoreFolder}/langbridge.*"))
        DeleteDirectory(stale, new DeleteDirectorySettings { Recursive = true, Force = true });
    var globalPackages = EnvironmentVariable("NUGET_PACKAGES")
                         ?? System.IO.Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    var sample = root.Combine("samples/LangBridge.Sample");
    var msbuild = new DotNetMSBuildSettings()
        .WithProperty("LangBridgeVersion", PackVersion())
        .WithProperty("RestorePackagesPath", restoreFolder.FullPath)
        .WithProperty("RestoreForce", "true");
    if (DirectoryExists(globalPackages)) msbuild = msbuild.WithProperty("RestoreFallbackFolders", globalPackages);
    DotNetBuild(sample.CombineWithFilePath("LangBridge.Sample.csproj").FullPath, new DotNetBuildSettings
    {
        Configuration = configuration,
        MSBuildSettings = msbuild,
    });

    var dll = sample.CombineWithFilePath($"bin/{configuration}/net10.0/langbridge-sample.dll");
    var fixtures = root.CombineWithFilePath("tests/LangBridge.Training.Tests/Golden/fixtures-images-idx3-ubyte");
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"\"{dll}\" \"{fixtures}\"",
        WorkingDirectory = root,
    });
    if (exit != 0) throw new CakeException($"The sample failed with exit code {exit}.");
});
