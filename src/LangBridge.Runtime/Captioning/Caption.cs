using System.Collections.Immutable;

namespace LangBridge.Runtime;

/// <summary>A generated caption: its text (after the prompt), token ids, and why it stopped.</summary>
/// <param name="Text">The caption, without the prompt and the end-of-text token.</param>
/// <param name="TokenIds">The generated ids, end of text excluded.</param>
/// <param name="EndedWithEndOfText">True when the LM wrote end of text; false when it hit the token limit or the context.</param>
public sealed record Caption(string Text, ImmutableArray<int> TokenIds, bool EndedWithEndOfText);
