using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>Reads and writes a dimension as a JSON number (fixed) or string (symbolic).</summary>
internal sealed class TensorDimensionJsonConverter : JsonConverter<TensorDimension>
{
    public override TensorDimension Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => TensorDimension.Fixed(reader.GetInt64()),
            JsonTokenType.String => TensorDimension.Named(reader.GetString()!),
            _ => throw new JsonException($"A shape dimension must be a number or a string, not {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, TensorDimension value, JsonSerializerOptions options)
    {
        if (value.Symbol is { } symbol)
        {
            writer.WriteStringValue(symbol);
        }
        else
        {
            writer.WriteNumberValue(value.Size ?? 0);
        }
    }
}
