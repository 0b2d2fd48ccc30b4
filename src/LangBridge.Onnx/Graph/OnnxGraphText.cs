using System.Globalization;
using System.Text;
using LangBridge.Onnx.Proto;

namespace LangBridge.Onnx.Graph;

/// <summary>
/// A readable, deterministic text dump of a model's graph for snapshots and reviews: opset and IR,
/// inputs/outputs with shapes, initializer names and shapes (never the weights), nodes with op type,
/// inputs/outputs and attributes.
/// </summary>
public static class OnnxGraphText
{
    public static string Dump(ModelProto model)
    {
        var sb = new StringBuilder();
        var g = model.Graph;
        sb.Append("model: ir ").Append(model.IrVersion)
          .Append(", opset ").Append(string.Join(", ", model.OpsetImport.Select(o => (o.Domain.Length == 0 ? "ai.onnx" : o.Domain) + " " + o.Version)))
          .Append(", producer ").Append(model.ProducerName).Append('\n');
        sb.Append("graph: ").Append(g.Name).Append('\n');
        if (model.DocString.Length > 0) sb.Append("doc: ").Append(model.DocString).Append('\n');
        foreach (var p in model.MetadataProps) sb.Append("metadata: ").Append(p.Key).Append(" = ").Append(p.Value).Append('\n');

        sb.Append("inputs:\n");
        foreach (var v in g.Input) sb.Append("  ").Append(ValueInfo(v)).Append('\n');
        sb.Append("outputs:\n");
        foreach (var v in g.Output) sb.Append("  ").Append(ValueInfo(v)).Append('\n');

        long total = g.Initializer.Sum(t => t.Dims.Aggregate(1L, (p, d) => p * d));
        sb.Append("initializers: ").Append(g.Initializer.Count).Append(" (").Append(total).Append(" elements)\n");
        foreach (var t in g.Initializer)
        {
            sb.Append("  ").Append(t.Name).Append(": ").Append(TypeName(t.DataType)).Append('[').Append(string.Join(", ", t.Dims)).Append(']');
            var small = SmallConstant(t);
            if (small is not null) sb.Append(" = ").Append(small);
            sb.Append('\n');
        }

        sb.Append("nodes: ").Append(g.Node.Count).Append('\n');
        foreach (var n in g.Node)
        {
            sb.Append("  ").Append(n.OpType).Append(' ').Append(n.Name)
              .Append(" (").Append(string.Join(", ", n.Input.Select(i => i.Length == 0 ? "-" : i))).Append(") -> (")
              .Append(string.Join(", ", n.Output)).Append(')');
            foreach (var a in n.Attribute.OrderBy(a => a.Name, StringComparer.Ordinal))
                sb.Append(' ').Append(a.Name).Append('=').Append(AttributeValue(a));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Values of structural constants: int64 vectors up to 16 elements (shapes, axes) and float scalars; never weights.</summary>
    private static string? SmallConstant(TensorProto t)
    {
        long n = t.Dims.Aggregate(1L, (p, d) => p * d);
        var raw = t.RawData.Span;
        if (t.DataType == (int)OnnxElementType.Int64 && n <= 16 && raw.Length == n * 8)
            return "[" + string.Join(", ", Enumerable.Range(0, (int)n).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(t.RawData.Span.Slice(i * 8, 8)))) + "]";
        if (t.DataType == (int)OnnxElementType.Float && n == 1 && raw.Length == 4)
            return F(System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(raw));
        return null;
    }

    private static string ValueInfo(ValueInfoProto v)
    {
        var t = v.Type.TensorType;
        var dims = t.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture)) ?? [];
        return $"{v.Name}: {TypeName(t.ElemType)}[{string.Join(", ", dims)}]";
    }

    private static string TypeName(int dataType) => Enum.IsDefined(typeof(OnnxElementType), dataType)
        ? ((OnnxElementType)dataType).ToShortName()
        : "type" + dataType;

    private static string F(float f) => f.ToString("R", CultureInfo.InvariantCulture);

    private static string AttributeValue(AttributeProto a) => a.Type switch
    {
        AttributeProto.Types.AttributeType.Int => a.I.ToString(CultureInfo.InvariantCulture),
        AttributeProto.Types.AttributeType.Float => F(a.F),
        AttributeProto.Types.AttributeType.String => "\"" + a.S.ToStringUtf8() + "\"",
        AttributeProto.Types.AttributeType.Ints => "[" + string.Join(", ", a.Ints) + "]",
        AttributeProto.Types.AttributeType.Floats => "[" + string.Join(", ", a.Floats.Select(F)) + "]",
        AttributeProto.Types.AttributeType.Strings => "[" + string.Join(", ", a.Strings.Select(s => "\"" + s.ToStringUtf8() + "\"")) + "]",
        AttributeProto.Types.AttributeType.Tensor => $"tensor {TypeName(a.T.DataType)}[{string.Join(", ", a.T.Dims)}]",
        _ => a.Type.ToString(),
    };
}
