namespace LangBridge.Runtime;

/// <summary>
/// Counts calls in flight so that <see cref="Close"/> can wait for them before native sessions are freed,
/// and refuses calls after it: the disposal rule every thread-safe wrapper and <see cref="BundleGraph"/> share.
/// </summary>
internal sealed class CallGate(string owner, string? disposedMessage = null)
{
    private int _active;
    private int _closed;

    public void Enter()
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _closed) != 0)
        {
            Interlocked.Decrement(ref _active);
            throw disposedMessage is null ? new ObjectDisposedException(owner) : new ObjectDisposedException(owner, disposedMessage);
        }
    }

    public void Exit() => Interlocked.Decrement(ref _active);

    /// <summary>Closes the gate; returns false when it was already closed. Waits for the calls still running.</summary>
    public bool Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return false;
        var wait = new SpinWait();
        while (Volatile.Read(ref _active) != 0) wait.SpinOnce();
        return true;
    }
}
