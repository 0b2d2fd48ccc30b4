using System.Text.RegularExpressions;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Proto;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Import;

/// <summary>
/// Imports a BERT graph exported by PyTorch (all-MiniLM-L6-v2's model.onnx) into <see cref="BertEncoder"/>.
/// Embedding tables, biases and LayerNorms are named initializers; each Linear's weight has a numeric
/// name and is found by structure: the named bias feeds an Add whose other input is a MatMul against
/// an initializer stored (in, out), which is transposed to torch's (out, in).
/// </summary>
public static class MiniLmImporter
{
    public static BertEncoder Import(string onnxPath) => Import(OnnxModelIO.Load(onnxPath), onnxPath);

    public static BertEncoder Import(byte[] onnx, string source) => Import(OnnxModelIO.Parse(onnx), source);

    public static BertEncoder Import(ModelProto model, string source)
    {
        var g = new OnnxGraphIndex(model, source);
        var config = ReadConfig(g);
        var tensors = WeightsByStructure(g);
        var encoder = new BertEncoder(config);
        try
        {
            encoder.LoadHfTensors(name => tensors.TryGetValue(name, out var t) ? t : null, source);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return encoder;
    }

    /// <summary>The configuration read from the graph: table shapes, layer count, and the head count from the attention Reshape.</summary>
    public static BertConfig ReadConfig(OnnxGraphIndex g)
    {
        var word = OnnxGraphIndex.Dims(g.Initializer("embeddings.word_embeddings.weight"));
        var pos = OnnxGraphIndex.Dims(g.Initializer("embeddings.position_embeddings.weight"));
        var type = OnnxGraphIndex.Dims(g.Initializer("embeddings.token_type_embeddings.weight"));
        var layerRx = new Regex(@"^encoder\.layer\.(\d+)\.");
        var layerIds = g.InitializerNames.Select(n => layerRx.Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).Distinct().OrderBy(i => i).ToList();
        if (layerIds.Count == 0 || layerIds[^1] != layerIds.Count - 1)
            throw new PretrainedFormatException(g.Source, "encoder.layer.*", $"layers are not numbered 0..n-1: {string.Join(",", layerIds)}.");
        var inter = OnnxGraphIndex.Dims(g.Initializer("encoder.layer.0.intermediate.dense.bias"));
        var config = new BertConfig
        {
            VocabSize = (int)word[0], HiddenSize = (int)word[1], MaxPositions = (int)pos[0], TypeVocabSize = (int)type[0],
            Layers = layerIds.Count, IntermediateSize = (int)inter[0], Heads = ReadHeads(g, (int)word[1]),
            HasPooler = g.HasInitializer("pooler.dense.weight"),
        };
        config.Validate(g.Source);
        return config;
    }

    /// <summary>Heads from the key projection's Reshape target (B, S, H, dh), whose last two entries are constants.</summary>
    private static int ReadHeads(OnnxGraphIndex g, int hidden)
    {
        const string bias = "encoder.layer.0.attention.self.key.bias";
        var add = g.SingleConsumer(bias, "Add");
        var reshape = g.SingleConsumer(add.Output[0], "Reshape");
        var shapeNode = g.Producer(reshape.Input[1]);
        long[] target = shapeNode is { OpType: "Concat" }
            ? shapeNode.Input.Select(i => g.ConstantTensor(i) is { } t ? g.Longs(t) : [-1L]).SelectMany(v => v).ToArray()
            : g.ConstantTensor(reshape.Input[1]) is { } c ? g.Longs(c) : [];
        if (target.Length != 4 || target[2] <= 0 || target[2] * target[3] != hidden)
            throw new PretrainedFormatException(g.Source, reshape.Name, $"the attention Reshape target [{string.Join(", ", target)}] is not (B, S, heads, {hidden}/heads).");
        return (int)target[2];
    }

    /// <summary>
    /// Every named initializer as is, plus "X.weight" for every named "X.bias" whose weight is not
    /// named: Add(bias, MatMul(·, W)) gives W (in, out) → Wᵀ.
    /// </summary>
    public static Dictionary<string, Tensor> WeightsByStructure(OnnxGraphIndex g)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in g.InitializerNames.Where(n => n.StartsWith("embeddings.", StringComparison.Ordinal) || n.StartsWith("encoder.", StringComparison.Ordinal) || n.StartsWith("pooler.", StringComparison.Ordinal)))
            {
                var t = g.Initializer(name);
                if (t.DataType != (int)TensorProto.Types.DataType.Float) continue;                 // e.g. position_ids
                result[name] = g.ToTensor(t);
            }
            foreach (var bias in result.Keys.Where(n => n.EndsWith(".bias", StringComparison.Ordinal)).ToList())
            {
                var weightName = bias[..^".bias".Length] + ".weight";
                if (result.ContainsKey(weightName)) continue;                                         // LayerNorm, pooler: named
                var add = g.SingleConsumer(bias, "Add");
                var other = add.Input.Single(i => i != bias);
                var matmul = g.Producer(other);
                if (matmul is not { OpType: "MatMul" })
                    throw new PretrainedFormatException(g.Source, bias, $"the Add it feeds takes '{other}' from {matmul?.OpType ?? "a graph input"}, not from a MatMul.");
                var w = g.ConstantTensor(matmul.Input[1])
                    ?? throw new PretrainedFormatException(g.Source, bias, $"its MatMul's right operand '{matmul.Input[1]}' is not an initializer.");
                var dims = OnnxGraphIndex.Dims(w);
                var biasLen = result[bias].shape[0];
                if (dims.Length != 2 || dims[1] != biasLen)
                    throw new PretrainedFormatException(g.Source, w.Name, $"weight for {bias} has shape [{string.Join(", ", dims)}], expected (in, {biasLen}).");
                using var wt = g.ToTensor(w);                                                          // (in, out)
                result[weightName] = wt.t().contiguous();                                              // (out, in)
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }
}
