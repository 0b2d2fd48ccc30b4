namespace LangBridge.Training.Tests;

public sealed class TorchDeterminismTests
{
    [Fact]
    public void MklDynamicThreadingIsTurnedOffWhereNativeCodeReadsIt()
    {
        var userSetting = Environment.GetEnvironmentVariable(TorchDeterminism.Variable);
        TorchDeterminism.Apply();
        // The user's own setting is left alone; otherwise native code (MKL's getenv) now reads FALSE.
        Assert.Equal(userSetting ?? "FALSE", TorchDeterminism.NativeValue());
    }
}
