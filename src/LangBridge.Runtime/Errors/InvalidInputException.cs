namespace LangBridge.Runtime;

/// <summary>
/// An input has the right shape but invalid values: NaN or infinite pixels, a token id outside the
/// vocabulary, an unknown word. The message says which element and why.
/// </summary>
public sealed class InvalidInputException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    public InvalidInputException(string message)
        : base(message)
    {
    }
}
