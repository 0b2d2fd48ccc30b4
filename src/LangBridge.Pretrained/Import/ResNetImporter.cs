using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Proto;
using LangBridge.Pretrained.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Import;

/// <summary>
/// Imports the CNTK ResNet-18 feature graph (ML.NET's DnnImageFeaturizer) and its preprocessing
/// graph into <see cref="ResNet18"/>, by walking the graph from its input: stem Conv → BatchNormalization
/// → Relu → MaxPool, then per basic block Conv → BN → Relu → Conv → BN → Add(shortcut) → Relu, where the
/// shortcut is the block input or a 1×1 Conv → BN of it, then the global AveragePool. No weight is
/// found by its name.
/// </summary>
public static class ResNetImporter
{
    public static ResNet18 Import(string resnetOnnxPath, string preprocessOnnxPath) =>
        Import(OnnxModelIO.Load(resnetOnnxPath), resnetOnnxPath, OnnxModelIO.Load(preprocessOnnxPath), preprocessOnnxPath);

    public static ResNet18 Import(ModelProto resnet, string resnetSource, ModelProto preprocess, string preprocessSource)
    {
        var g = new OnnxGraphIndex(resnet, resnetSource);
        var input = resnet.Graph.Input.First(i => !g.HasInitializer(i.Name));
        var inDims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (inDims.Length != 4 || inDims[1] != 3 || inDims[2] != ResNet18.ImageSize || inDims[3] != ResNet18.ImageSize)
            throw new PretrainedFormatException(resnetSource, input.Name, $"input shape [{string.Join(", ", inDims)}] is not (N, 3, 224, 224).");

        // Stem.
        long size = ResNet18.ImageSize;
        var conv = g.SingleConsumer(input.Name, "Conv");
        var bn = g.SingleConsumer(conv.Output[0], "BatchNormalization");
        float eps = OnnxGraphIndex.Float(bn, "epsilon", 1e-5f);
        var model = new ResNet18(CountStages(g, bn), eps);
        try
        {
            using var noGrad = no_grad();
            size = LoadConv(g, conv, model.conv1, size, 7, 2, 3);
            LoadBatchNorm(g, bn, model.bn1, eps);
            var relu = g.SingleConsumer(bn.Output[0], "Relu");
            var pool = g.SingleConsumer(relu.Output[0], "MaxPool");
            size = CheckWindow(g, pool, OnnxGraphIndex.Ints(pool, "kernel_shape", []), size, 3, 2, 1);
            var current = pool.Output[0];

            int index = 0;
            foreach (var block in model.blocks)
            {
                var convs = g.Consumers(current).Where(n => n.OpType == "Conv").ToList();
                var main = convs.SingleOrDefault(c => OnnxGraphIndex.Ints(c, "kernel_shape", [])[0] == 3)
                    ?? throw new PretrainedFormatException(resnetSource, current, $"block {index}: no single 3×3 Conv consumes it.");
                var down = convs.Where(c => c != main).ToList();
                if (down.Count != (block.downsample is null ? 0 : 1))
                    throw new PretrainedFormatException(resnetSource, current, $"block {index}: {down.Count} shortcut convolutions, expected {(block.downsample is null ? 0 : 1)}.");
                long stride = block.downsample is null ? 1 : 2;
                long outSize = LoadConv(g, main, block.conv1, size, 3, stride, 1);
                var bn1 = g.SingleConsumer(main.Output[0], "BatchNormalization");
                LoadBatchNorm(g, bn1, block.bn1, eps);
                var r1 = g.SingleConsumer(bn1.Output[0], "Relu");
                var conv2 = g.SingleConsumer(r1.Output[0], "Conv");
                LoadConv(g, conv2, block.conv2, outSize, 3, 1, 1);
                var bn2 = g.SingleConsumer(conv2.Output[0], "BatchNormalization");
                LoadBatchNorm(g, bn2, block.bn2, eps);
                var add = g.SingleConsumer(bn2.Output[0], "Add");
                var shortcut = add.Input.Single(i => i != bn2.Output[0]);
                if (block.downsample is null)
                {
                    if (shortcut != current) throw new PretrainedFormatException(resnetSource, add.Name, $"block {index}: the shortcut is '{shortcut}', not the block input '{current}'.");
                }
                else
                {
                    var dsBn = g.Producer(shortcut);
                    if (dsBn is not { OpType: "BatchNormalization" } || g.Producer(dsBn.Input[0]) != down[0])
                        throw new PretrainedFormatException(resnetSource, add.Name, $"block {index}: the shortcut is not BatchNormalization(Conv1×1(block input)).");
                    LoadConv(g, down[0], (Conv2d)block.downsample[0], size, 1, stride, 0);
                    LoadBatchNorm(g, dsBn, (BatchNorm2d)block.downsample[1], eps);
                }
                current = g.SingleConsumer(add.Output[0], "Relu").Output[0];
                size = outSize;
                index++;
            }
            var avg = g.Consumers(current).SingleOrDefault(n => n.OpType is "AveragePool" or "GlobalAveragePool")
                ?? throw new PretrainedFormatException(resnetSource, current, "the last block is not followed by an average pool.");
            if (avg.OpType == "AveragePool" && !OnnxGraphIndex.Ints(avg, "kernel_shape", []).SequenceEqual([size, size]))
                throw new PretrainedFormatException(resnetSource, avg.Name, $"average pool kernel [{string.Join(", ", OnnxGraphIndex.Ints(avg, "kernel_shape", []))}] is not the whole {size}×{size} map.");
            if (g.Consumers(avg.Output[0]).Count != 0 || resnet.Graph.Output.Single().Name != avg.Output[0])
                throw new PretrainedFormatException(resnetSource, avg.Name, "the pooled features are not the graph's only output (a classifier follows?).");

            LoadPreprocess(preprocess, preprocessSource, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Blocks per stage, read from the graph: from the stem's pool, each block is the Relu after an Add;
    /// a block whose input feeds two convolutions (3×3 and the 1×1 shortcut) starts a new stage.
    /// </summary>
    private static int[] CountStages(OnnxGraphIndex g, NodeProto stemBn)
    {
        var current = g.SingleConsumer(g.SingleConsumer(stemBn.Output[0], "Relu").Output[0], "MaxPool").Output[0];
        var stages = new List<int> { 0 };
        for (int guard = 0; guard < 1000; guard++)
        {
            var convs = g.Consumers(current).Where(n => n.OpType == "Conv").ToList();
            if (convs.Count == 0) break;
            if (convs.Count == 2) stages.Add(0);
            else if (convs.Count != 1) throw new PretrainedFormatException(g.Source, current, $"{convs.Count} convolutions consume a block input.");
            stages[^1]++;
            var main = convs.First(c => OnnxGraphIndex.Ints(c, "kernel_shape", [])[0] == 3);
            var add = g.SingleConsumer(g.SingleConsumer(g.SingleConsumer(g.SingleConsumer(g.SingleConsumer(main.Output[0], "BatchNormalization").Output[0], "Relu").Output[0], "Conv").Output[0], "BatchNormalization").Output[0], "Add");
            current = g.SingleConsumer(add.Output[0], "Relu").Output[0];
        }
        if (stages.Count != 4 || stages.Any(s => s < 1))
            throw new PretrainedFormatException(g.Source, "(structure)", $"found stages of [{string.Join(", ", stages)}] blocks; a ResNet has 4 stages.");
        return [.. stages];
    }

    /// <summary>Checks the preprocessing graph is Split(RGB) → Concat(B, G, R) → Sub(mean image) and copies the mean image.</summary>
    private static void LoadPreprocess(ModelProto preprocess, string source, ResNet18 model)
    {
        var g = new OnnxGraphIndex(preprocess, source);
        var input = preprocess.Graph.Input.First(i => !g.HasInitializer(i.Name)).Name;
        var split = g.SingleConsumer(input, "Split");
        var concat = g.SingleConsumer(split.Output[0], "Concat");
        if (!concat.Input.SequenceEqual([split.Output[2], split.Output[1], split.Output[0]]) || OnnxGraphIndex.Attr(concat, "axis")?.I != 1)
            throw new PretrainedFormatException(source, concat.Name, "the preprocessing does not reverse the channel order (RGB → BGR).");
        var sub = g.SingleConsumer(concat.Output[0], "Sub");
        if (sub.Input[0] != concat.Output[0]) throw new PretrainedFormatException(source, sub.Name, "expected image − mean, found mean − image.");
        var mean = g.ConstantTensor(sub.Input[1]) ?? throw new PretrainedFormatException(source, sub.Input[1], "the subtracted mean is not a constant.");
        using var t = g.ToTensor(mean);
        if (!t.shape.SequenceEqual(model.MeanImage.shape))
            throw new PretrainedFormatException(source, mean.Name, $"mean image shape [{string.Join(", ", t.shape)}] is not [{string.Join(", ", model.MeanImage.shape)}].");
        model.MeanImage.copy_(t);
    }

    /// <summary>Copies a Conv's weight after checking kernel, stride, no bias, and that its padding gives the windows of symmetric padding <paramref name="pad"/> at this input size.</summary>
    private static long LoadConv(OnnxGraphIndex g, NodeProto n, Conv2d target, long inSize, long kernel, long stride, long pad)
    {
        if (n.Input.Count > 2 && n.Input[2].Length > 0) throw new PretrainedFormatException(g.Source, n.Name, "convolution has a bias; ResNet's convolutions have none (batch norm follows).");
        if ((OnnxGraphIndex.Attr(n, "group")?.I ?? 1) != 1) throw new PretrainedFormatException(g.Source, n.Name, "grouped convolution.");
        if (OnnxGraphIndex.Ints(n, "dilations", [1, 1]).Any(d => d != 1)) throw new PretrainedFormatException(g.Source, n.Name, "dilated convolution.");
        var strides = OnnxGraphIndex.Ints(n, "strides", [1, 1]);
        if (!strides.SequenceEqual([stride, stride])) throw new PretrainedFormatException(g.Source, n.Name, $"strides [{string.Join(", ", strides)}], expected {stride}.");
        long outSize = CheckWindow(g, n, OnnxGraphIndex.Ints(n, "kernel_shape", []), inSize, kernel, stride, pad);
        var w = g.ConstantTensor(n.Input[1]) ?? throw new PretrainedFormatException(g.Source, n.Input[1], "convolution weight is not an initializer.");
        Copy(g, w, target.weight!);
        return outSize;
    }

    /// <summary>
    /// CNTK writes asymmetric pads (e.g. [3, 3, 2, 2] for a 7×7/2 conv on 224): the windows start at
    /// −begin either way, so symmetric padding <paramref name="pad"/> is identical when begin = pad and
    /// both give the same output size. Returns that size.
    /// </summary>
    private static long CheckWindow(OnnxGraphIndex g, NodeProto n, long[] k, long inSize, long kernel, long stride, long pad)
    {
        if (!k.SequenceEqual([kernel, kernel])) throw new PretrainedFormatException(g.Source, n.Name, $"kernel [{string.Join(", ", k)}], expected {kernel}×{kernel}.");
        var autoPad = OnnxGraphIndex.Attr(n, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (autoPad != "NOTSET") throw new PretrainedFormatException(g.Source, n.Name, $"auto_pad {autoPad} is not supported.");
        var p = OnnxGraphIndex.Ints(n, "pads", [0, 0, 0, 0]);
        var s = OnnxGraphIndex.Ints(n, "strides", [1, 1]);
        if (s.Length != 2 || s[0] != stride || s[1] != stride) throw new PretrainedFormatException(g.Source, n.Name, $"strides [{string.Join(", ", s)}], expected {stride}.");
        long theirs = (inSize + p[0] + p[2] - kernel) / stride + 1, theirsW = (inSize + p[1] + p[3] - kernel) / stride + 1;
        long ours = (inSize + 2 * pad - kernel) / stride + 1;
        if (p[0] != pad || p[1] != pad || theirs != ours || theirsW != ours)
            throw new PretrainedFormatException(g.Source, n.Name, $"pads [{string.Join(", ", p)}] at input {inSize} do not match symmetric padding {pad}.");
        return ours;
    }

    private static void LoadBatchNorm(OnnxGraphIndex g, NodeProto n, BatchNorm2d target, float eps)
    {
        if (n.Input.Count != 5) throw new PretrainedFormatException(g.Source, n.Name, $"BatchNormalization with {n.Input.Count} inputs, expected 5.");
        float e = OnnxGraphIndex.Float(n, "epsilon", 1e-5f);
        if (e != eps) throw new PretrainedFormatException(g.Source, n.Name, $"epsilon {e} differs from the network's {eps}.");
        if (OnnxGraphIndex.Attr(n, "spatial") is { } sp && sp.I != 1) throw new PretrainedFormatException(g.Source, n.Name, "spatial=0 (per-activation) batch norm is not supported.");
        Tensor[] targets = [target.weight!, target.bias!, target.running_mean!, target.running_var!];
        for (int i = 0; i < 4; i++)
        {
            var t = g.ConstantTensor(n.Input[i + 1]) ?? throw new PretrainedFormatException(g.Source, n.Input[i + 1], "batch-norm parameter is not an initializer.");
            Copy(g, t, targets[i]);
        }
    }

    private static void Copy(OnnxGraphIndex g, TensorProto from, Tensor to)
    {
        var dims = OnnxGraphIndex.Dims(from);
        if (!dims.SequenceEqual(to.shape))
            throw new PretrainedFormatException(g.Source, from.Name, $"shape [{string.Join(", ", dims)}] does not fit [{string.Join(", ", to.shape)}].");
        using var t = g.ToTensor(from);
        to.copy_(t);
    }
}
