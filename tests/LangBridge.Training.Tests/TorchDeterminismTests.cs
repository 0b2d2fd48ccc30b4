namespace LangBridge.Training.Tests;

public sealed class TorchDeterminismTests
{
    [Fact]
    public void MklDynamicThreadingIsTurnedOffWhereNativeCodeReadsIt()
    {
        TorchDeterminism.Apply();
        // Either the user's own setting, left alone, or ours.
        var expected = Environment.GetEnvironmentVariable(TorchDeterminism.Variable);
        Assert.NotNull(expected);
        Assert.Equal(expected, TorchDeterminism.NativeValue());
    }
}
