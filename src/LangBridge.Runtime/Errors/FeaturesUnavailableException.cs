namespace LangBridge.Runtime;

/// <summary>
/// BERT features were asked of a bundle that has no <c>bert</c> graph (an LQAE bundle built on a word table
/// alone, such as GloVe). Use a bundle exported from a recipe with a <c>bert</c> section, or encode without features.
/// </summary>
public sealed class FeaturesUnavailableException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="bundleName">The bundle asked for features.</param>
    /// <param name="graphs">The graph roles it has.</param>
    public FeaturesUnavailableException(string bundleName, IEnumerable<string> graphs)
        : base($"Bundle '{bundleName}' has no \"bert\" graph (it has [{string.Join(", ", graphs)}]), so it gives no BERT features; " +
               "export a recipe with a \"bert\" section, or encode without features.")
    {
        BundleName = bundleName;
    }

    /// <summary>The bundle asked for features.</summary>
    public string BundleName { get; }
}
