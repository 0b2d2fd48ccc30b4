namespace LangBridge.Training.Pipeline;

/// <summary>Training cannot go on: too few examples for a batch, or the loss stopped being finite.</summary>
public sealed class TrainingException(string message) : Exception(message);
