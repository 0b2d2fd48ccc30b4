namespace LangBridge.Runtime;

/// <summary>One vocabulary token near an image: its id, its text (decoded, trimmed) and its cosine score.</summary>
public readonly record struct WordScore(int TokenId, string Word, float Score);
