using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// The <c>text_renderer.json</c> asset of a <c>clippo</c> bundle: how training drew captions (canvas, glyph
/// scale, lower case, grey levels) and normalised the pixels, so that serving draws the same input.
/// </summary>
internal sealed class ClippoRendererSettings
{
    // Unknown keys are ignored: the training side may record more (e.g. the font's file name, the embedding size).
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [JsonRequired] public int Size { get; init; }
    [JsonRequired] public int Scale { get; init; }
    public bool LowerCase { get; init; } = true;
    [JsonRequired] public int Background { get; init; }
    [JsonRequired] public int Foreground { get; init; }
    [JsonRequired] public float Mean { get; init; }
    [JsonRequired] public float Std { get; init; }

    /// <summary>Softmax temperature of zero-shot scores (the trained multiplier of cosines), when the exporter recorded it.</summary>
    public float? Temperature { get; init; }

    public TextRenderOptions ToRenderOptions() => new()
    {
        Size = Size, Scale = Scale, LowerCase = LowerCase, Background = (byte)Background, Foreground = (byte)Foreground,
    };

    public static ClippoRendererSettings Parse(ReadOnlySpan<byte> json, string file, int canvas)
    {
        ClippoRendererSettings? s;
        try
        {
            s = JsonSerializer.Deserialize<ClippoRendererSettings>(json, Json);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(file, $"'{file}' is not valid text renderer settings: {e.Message}", e);
        }

        void Require(bool ok, string problem)
        {
            if (!ok) throw new BundleFormatException(file, $"'{file}': {problem}. Re-export the bundle.");
        }

        Require(s is not null, "it is empty (null)");
        Require(s!.Size == canvas, $"\"size\" is {s.Size}, but the text encoder reads a {canvas}×{canvas} canvas");
        Require(s.Scale >= 1 && s.Size >= UnifontGlyph.Height * s.Scale, $"\"scale\" {s.Scale} does not fit one line of glyphs on the {s.Size}-pixel canvas");
        Require(s.Background is >= 0 and <= 255 && s.Foreground is >= 0 and <= 255, "\"background\" and \"foreground\" must be grey levels 0–255");
        Require(float.IsFinite(s.Mean) && float.IsFinite(s.Std) && s.Std > 0, "\"mean\" must be finite and \"std\" positive");
        Require(s.Temperature is null || (float.IsFinite(s.Temperature.Value) && s.Temperature > 0), "\"temperature\" must be positive");
        return s;
    }
}
