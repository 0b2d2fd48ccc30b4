namespace LangBridge.Layers;

/// <summary>
/// Factories for our exportable composite layers, in the style of <c>torch.nn</c> factory functions
/// (each layer's factory is declared in that layer's file).
/// </summary>
public static partial class LayerFactory;
