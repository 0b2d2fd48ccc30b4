namespace LangBridge.Runtime;

/// <summary>
/// Base class of every error the LangBridge runtime raises on purpose. Catch this to handle all of
/// them; catch a derived type to react to one problem (a damaged bundle, a missing execution
/// provider, a wrong input). Messages name the file or value at fault and say what to do.
/// </summary>
public abstract class LangBridgeException : Exception
{
    /// <summary>Creates the exception with a message and an optional cause.</summary>
    protected LangBridgeException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
