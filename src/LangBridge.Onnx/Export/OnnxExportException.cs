namespace LangBridge.Onnx.Export;

/// <summary>A module could not be exported. <see cref="ModulePath"/> is its path in the model ("(root)" for the exported module itself).</summary>
public sealed class OnnxExportException : Exception
{
    public OnnxExportException(string modulePath, Type moduleType, string problem, Exception? inner = null)
        : base($"Cannot export module '{modulePath}' of type '{moduleType.FullName}': {problem}", inner)
    {
        ModulePath = modulePath;
        ModuleType = moduleType;
    }

    public string ModulePath { get; }
    public Type ModuleType { get; }
}
