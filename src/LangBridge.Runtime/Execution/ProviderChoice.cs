namespace LangBridge.Runtime;

/// <summary>The execution provider a session runs on, and why it was chosen.</summary>
/// <param name="Provider">The provider in use (never <see cref="ExecutionProvider.Auto"/>).</param>
/// <param name="Reason">Why: requested explicitly, or which faster providers were absent or failed.</param>
public sealed record ProviderChoice(ExecutionProvider Provider, string Reason);
