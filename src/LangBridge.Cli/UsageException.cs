namespace LangBridge.Cli;

/// <summary>
/// A command-line option has a value the command cannot use (beyond what the parser checks): the
/// message names the option, the value and what is allowed.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
