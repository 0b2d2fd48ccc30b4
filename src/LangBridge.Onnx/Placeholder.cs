namespace LangBridge.Onnx; internal static class Placeholder { }
