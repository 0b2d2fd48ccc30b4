using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>ResNet basic block: conv3×3-BN-ReLU-conv3×3-BN, plus the shortcut (identity or conv1×1-BN), then ReLU.</summary>
public sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    internal readonly Conv2d conv1, conv2;
    internal readonly BatchNorm2d bn1, bn2;
    internal readonly Sequential? downsample;

    public ResNetBasicBlock(long inChannels, long outChannels, long stride, double eps, string name = "BasicBlock") : base(name)
    {
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(outChannels, eps);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels, eps);
        if (stride != 1 || inChannels != outChannels)
            downsample = nn.Sequential(("0", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("1", nn.BatchNorm2d(outChannels, eps)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn2.call(conv2.call(bn1.call(conv1.call(x)).relu_()));
        var shortcut = downsample is null ? x : downsample.call(x);
        return y.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var x = inputs[0];
        var y = c.Export(bn2, "bn2", c.Export(conv2, "conv2", b.Relu(c.Export(bn1, "bn1", c.Export(conv1, "conv1", x)))));
        var shortcut = downsample is null ? x : c.Export(downsample, "downsample", x);
        return [b.Relu(b.Add(y, shortcut))];
    }
}

/// <summary>
/// ResNet-18 feature extractor of our own (torchvision layout, no classifier) with the preprocessing
/// the imported network was trained with: input RGB pixels in [0, 255], (B, 3, 224, 224) → channels
/// reversed to BGR → the training set's mean image subtracted → stem (conv7×7/2, BN, ReLU,
/// max-pool 3×3/2) → 4 stages of basic blocks (<see cref="StageBlocks"/>) → global average pool → (B, 512).
/// </summary>
public sealed class ResNet18 : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int ImageSize = 224, FeatureSize = 512;
    public const string InputName = "image", OutputName = "features";

    internal readonly Conv2d conv1;
    internal readonly BatchNorm2d bn1;
    internal readonly ModuleList<ResNetBasicBlock> blocks;
    private readonly Tensor mean_image;

    /// <summary>torchvision's ResNet-18 has 2 blocks in each stage; the CNTK network ML.NET ships has [2, 2, 2, 3].</summary>
    public static IReadOnlyList<int> TorchvisionStages { get; } = [2, 2, 2, 2];

    public ResNet18(IReadOnlyList<int>? stageBlocks = null, double batchNormEps = 1e-5, string name = "ResNet18") : base(name)
    {
        StageBlocks = (stageBlocks ?? TorchvisionStages).ToArray();
        if (StageBlocks.Count != 4 || StageBlocks.Any(b => b < 1))
            throw new ArgumentException($"ResNet needs 4 stages of at least one block, got [{string.Join(", ", StageBlocks)}].");
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64, batchNormEps);
        var list = new List<ResNetBasicBlock>();
        long ch = 64;
        int stage = 0;
        foreach (var (outCh, stride) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            list.Add(new ResNetBasicBlock(ch, outCh, stride, batchNormEps));
            for (int i = 1; i < StageBlocks[stage]; i++) list.Add(new ResNetBasicBlock(outCh, outCh, 1, batchNormEps));
            ch = outCh;
            stage++;
        }
        blocks = nn.ModuleList(list.ToArray());
        mean_image = zeros(1, 3, ImageSize, ImageSize);                              // BGR order, as the original
        RegisterComponents();
    }

    /// <summary>Blocks per stage (64, 128, 256, 512 channels).</summary>
    public IReadOnlyList<int> StageBlocks { get; }

    /// <summary>The BGR mean image (1, 3, 224, 224) subtracted from the input, not a copy.</summary>
    public Tensor MeanImage => mean_image;

    /// <summary>RGB [0, 255] (B, 3, 224, 224) → (B, 512).</summary>
    public override Tensor forward(Tensor rgb)
    {
        if (rgb.ndim != 4 || rgb.shape[1] != 3 || rgb.shape[2] != ImageSize || rgb.shape[3] != ImageSize)
            throw new ArgumentException($"ResNet18 expects RGB images (B, 3, {ImageSize}, {ImageSize}), got [{string.Join(", ", rgb.shape)}].");
        using var scope = NewDisposeScope();
        var x = rgb.flip(1).sub(mean_image);                                          // (B, 3, 224, 224) BGR − mean
        x = bn1.call(conv1.call(x)).relu_();                                          // (B, 64, 112, 112)
        x = nn.functional.max_pool2d(x, 3, 2, 1);                                     // (B, 64, 56, 56)
        foreach (var block in blocks) x = block.call(x);                               // (B, 512, 7, 7)
        return x.mean([2, 3]).MoveToOuterDisposeScope();                              // (B, 512)
    }

    /// <summary>Sets every parameter's requires_grad off and switches to eval mode (batch norm uses its trained statistics); returns this.</summary>
    public ResNet18 Frozen()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        IsFrozen = true;
        eval();
        return this;
    }

    /// <summary>Set by <see cref="Frozen"/>: the module then stays in eval mode when a model that contains it is put in training mode.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>A frozen module ignores train(true): its parent's train() must not switch it to batch statistics or dropout.</summary>
    public override void train(bool on = true) => base.train(on && !IsFrozen);

    /// <summary>Exports image (batch, 3, 224, 224) float32 RGB [0, 255] → features (batch, 512).</summary>
    public OnnxExportResult ExportOnnx(int opset = OnnxOpset.Default) =>
        OnnxExporter.Export(this, OnnxInputSpec.Batched(InputName, 3, ImageSize, ImageSize),
            new OnnxExportOptions { Opset = opset, GraphName = "image_encoder", OutputNames = [OutputName],
                Metadata = new Dictionary<string, string> { ["kind"] = "resnet18", ["input"] = "RGB 0-255, mean image subtracted in the graph" } });

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        OnnxValue x;
        using (var s = b.Scope("preprocess"))
        {
            var bgr = b.Gather(inputs[0], b.AddInt64Vector("bgr", 2, 1, 0), 1);        // (B, 3, 224, 224)
            x = b.Sub(bgr, c.Weight(mean_image, "mean_image"));
        }
        x = b.Relu(c.Export(bn1, "bn1", c.Export(conv1, "conv1", x)));
        x = b.MaxPool(x, [3, 3], [2, 2], [1, 1, 1, 1]);
        int i = 0;
        foreach (var block in blocks) x = c.Export(block, $"blocks.{i++}", x);
        return [b.Flatten(b.GlobalAveragePool(x), 1)];                                // (B, 512)
    }
}
