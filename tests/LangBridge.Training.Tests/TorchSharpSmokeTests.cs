using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

/// <summary>
/// TorchSharp's native backend loads without manual setup (the build patches it where the system
/// libstdc++ is too old) and a tiny model actually learns.
/// </summary>
public class TorchSharpSmokeTests
{
    [Fact]
    public void TinyAutoencoderLossDecreasesOverAFewSteps()
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        var data = rand(64, 16);                                         // (B, 16)
        var model = nn.Sequential(
            ("enc", nn.Linear(16, 4)), ("act", nn.Tanh()), ("dec", nn.Linear(4, 16)));
        var optimizer = optim.Adam(model.parameters(), lr: 0.05);

        float Step()
        {
            optimizer.zero_grad();
            float value;
            using (var stepScope = NewDisposeScope())
            {
                var loss = nn.functional.mse_loss(model.call(data), data);
                loss.backward();
                value = loss.item<float>();
            }
            optimizer.step();   // outside the scope, which would free Adam's lazily created state
            return value;
        }

        var first = Step();
        float last = first;
        for (var i = 0; i < 50; i++) last = Step();

        Assert.True(float.IsFinite(last));
        Assert.True(last < first * 0.5f, $"loss went from {first} to {last}; expected it to at least halve");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeights()
    {
        float[] Train()
        {
            using var scope = NewDisposeScope();
            manual_seed(7);
            var model = nn.Linear(8, 3);
            var optimizer = optim.SGD(model.parameters(), 0.1);
            var x = randn(32, 8);
            for (var i = 0; i < 5; i++)
            {
                optimizer.zero_grad();
                model.call(x).pow(2).mean().backward();
                optimizer.step();
            }
            return model.weight!.detach().data<float>().ToArray();
        }

        Assert.Equal(Train(), Train());
    }
}
