namespace LangBridge.Runtime;

/// <summary>
/// Reads the fields of an ONNX <c>ModelProto</c> the runtime checks before handing the bytes
/// to ONNX Runtime: <c>ir_version</c> (field 1), <c>opset_import</c> (field 8) and the external-data
/// locations of the main graph's initializers (graph 7 → initializer 5 → external_data 13). A few
/// lines of protobuf wire-format reading keep the lean package free of a protobuf dependency.
/// </summary>
internal sealed class OnnxModelHeader
{
    private OnnxModelHeader(long irVersion, IReadOnlyDictionary<string, long> opsets, IReadOnlySet<string> externalData)
    {
        IrVersion = irVersion;
        Opsets = opsets;
        ExternalDataLocations = externalData;
    }

    public long IrVersion { get; }

    /// <summary>The <c>location</c> of every external-data initializer of the main graph (relative to the graph file's folder).</summary>
    public IReadOnlySet<string> ExternalDataLocations { get; }

    /// <summary>Opset version per domain; the default ONNX domain is stored under "".</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }

    public long DefaultOpset => Opsets.TryGetValue(string.Empty, out var v) ? v : 0;

    /// <summary>Parses the header or returns null if the bytes are not a well-formed ModelProto.</summary>
    public static OnnxModelHeader? TryRead(ReadOnlySpan<byte> model)
    {
        long irVersion = 0;
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        var external = new HashSet<string>(StringComparer.Ordinal);
        var pos = 0;
        while (pos < model.Length)
        {
            if (!TryVarint(model, ref pos, out var key))
            {
                return null;
            }

            var field = key >> 3;
            var wire = (int)(key & 7);
            if (field == 1 && wire == 0)
            {
                if (!TryVarint(model, ref pos, out var v))
                {
                    return null;
                }

                irVersion = (long)v;
            }
            else if (field == 8 && wire == 2)
            {
                if (!TryLength(model, ref pos, out var body) || !TryReadOpset(body, out var domain, out var version))
                {
                    return null;
                }

                opsets[domain == "ai.onnx" ? string.Empty : domain] = version;
            }
            else if (field == 7 && wire == 2)
            {
                if (!TryLength(model, ref pos, out var graph) || !TryReadExternalLocations(graph, external))
                {
                    return null;
                }
            }
            else if (!TrySkip(model, ref pos, wire))
            {
                return null;
            }
        }

        return irVersion > 0 ? new OnnxModelHeader(irVersion, opsets, external) : null;
    }

    // GraphProto.initializer (5) → TensorProto.external_data (13) → StringStringEntryProto key (1) / value (2).
    private static bool TryReadExternalLocations(ReadOnlySpan<byte> graph, HashSet<string> locations)
    {
        var pos = 0;
        while (pos < graph.Length)
        {
            if (!TryVarint(graph, ref pos, out var key))
            {
                return false;
            }

            if (key >> 3 == 5 && (key & 7) == 2)
            {
                if (!TryLength(graph, ref pos, out var tensor))
                {
                    return false;
                }

                var tpos = 0;
                while (tpos < tensor.Length)
                {
                    if (!TryVarint(tensor, ref tpos, out var tkey))
                    {
                        return false;
                    }

                    if (tkey >> 3 == 13 && (tkey & 7) == 2)
                    {
                        if (!TryLength(tensor, ref tpos, out var entry) || !TryReadEntry(entry, out var name, out var value))
                        {
                            return false;
                        }

                        if (name == "location")
                        {
                            locations.Add(value);
                        }
                    }
                    else if (!TrySkip(tensor, ref tpos, (int)(tkey & 7)))
                    {
                        return false;
                    }
                }
            }
            else if (!TrySkip(graph, ref pos, (int)(key & 7)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadEntry(ReadOnlySpan<byte> entry, out string key, out string value)
    {
        key = value = string.Empty;
        var pos = 0;
        while (pos < entry.Length)
        {
            if (!TryVarint(entry, ref pos, out var k))
            {
                return false;
            }

            if ((k & 7) == 2 && (k >> 3) is 1 or 2)
            {
                if (!TryLength(entry, ref pos, out var text))
                {
                    return false;
                }

                if (k >> 3 == 1)
                {
                    key = System.Text.Encoding.UTF8.GetString(text);
                }
                else
                {
                    value = System.Text.Encoding.UTF8.GetString(text);
                }
            }
            else if (!TrySkip(entry, ref pos, (int)(k & 7)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadOpset(ReadOnlySpan<byte> body, out string domain, out long version)
    {
        domain = string.Empty;
        version = 0;
        var pos = 0;
        while (pos < body.Length)
        {
            if (!TryVarint(body, ref pos, out var key))
            {
                return false;
            }

            var field = key >> 3;
            var wire = (int)(key & 7);
            if (field == 1 && wire == 2)
            {
                if (!TryLength(body, ref pos, out var text))
                {
                    return false;
                }

                domain = System.Text.Encoding.UTF8.GetString(text);
            }
            else if (field == 2 && wire == 0)
            {
                if (!TryVarint(body, ref pos, out var v))
                {
                    return false;
                }

                version = (long)v;
            }
            else if (!TrySkip(body, ref pos, wire))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TrySkip(ReadOnlySpan<byte> data, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0:
                return TryVarint(data, ref pos, out _);
            case 1:
                pos += 8;
                return pos <= data.Length;
            case 2:
                return TryLength(data, ref pos, out _);
            case 5:
                pos += 4;
                return pos <= data.Length;
            default:
                return false; // groups (3/4) are not used by ONNX
        }
    }

    private static bool TryLength(ReadOnlySpan<byte> data, ref int pos, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (!TryVarint(data, ref pos, out var length) || length > (ulong)(data.Length - pos))
        {
            return false;
        }

        body = data.Slice(pos, (int)length);
        pos += (int)length;
        return true;
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length)
            {
                return false;
            }

            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
