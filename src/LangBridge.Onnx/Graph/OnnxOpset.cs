namespace LangBridge.Onnx.Graph;

/// <summary>Opsets the exporter writes and the IR version each one needs.</summary>
public static class OnnxOpset
{
    public const int Default = 17;
    public const int Min = 17;
    public const int Max = 21;

    /// <summary>IR version matched to the default-domain opset: 17,18 → 8; 19,20 → 9; 21 → 10.</summary>
    public static long IrVersionFor(int opset) => opset switch
    {
        17 or 18 => 8,
        19 or 20 => 9,
        21 => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(opset), opset, $"Supported opsets are {Min}..{Max}."),
    };

    public static void Validate(int opset) => IrVersionFor(opset);
}
