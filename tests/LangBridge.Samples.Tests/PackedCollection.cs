namespace LangBridge.Samples.Tests;

/// <summary>The test classes that use the packed packages share one packing (export + three packs).</summary>
[CollectionDefinition(Name)]
public sealed class PackedCollection : ICollectionFixture<PackedPackages>
{
    public const string Name = "packed packages";
}
