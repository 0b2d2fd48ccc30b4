namespace LangBridge.Data;

/// <summary>Base type of every error raised by LangBridge.Data.</summary>
public class DataException : Exception
{
    public DataException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A file does not have the format it should: the message names the file, what was expected and
/// what was found. Subtypes say which kind of file it was.
/// </summary>
public class DataFormatException : DataException
{
    public DataFormatException(string filePath, string expected, string found, Exception? inner = null)
        : base($"{filePath}: expected {expected}, found {found}", inner)
    {
        FilePath = filePath;
        Expected = expected;
        Found = found;
    }

    /// <summary>The offending file (as given to the reader).</summary>
    public string FilePath { get; }

    /// <summary>What the reader expected.</summary>
    public string Expected { get; }

    /// <summary>What the reader found instead.</summary>
    public string Found { get; }
}

/// <summary>An IDX file (MNIST / Fashion-MNIST format) is truncated, has a wrong magic number, shape or count.</summary>
public sealed class IdxFormatException : DataFormatException
{
    public IdxFormatException(string filePath, string expected, string found, Exception? inner = null)
        : base(filePath, expected, found, inner) { }
}

/// <summary>A safetensors file is malformed or holds something other than what was asked for.</summary>
public sealed class SafetensorsFormatException : DataFormatException
{
    public SafetensorsFormatException(string filePath, string expected, string found, Exception? inner = null)
        : base(filePath, expected, found, inner) { }
}

/// <summary>A codebook (vectors + vocabulary, GloVe text, or the source JSON) is malformed or inconsistent.</summary>
public class CodebookFormatException : DataFormatException
{
    public CodebookFormatException(string filePath, string expected, string found, Exception? inner = null)
        : base(filePath, expected, found, inner) { }
}

/// <summary>A vocabulary names the same word twice.</summary>
public sealed class DuplicateWordException : CodebookFormatException
{
    public DuplicateWordException(string filePath, string word, int firstRow, int secondRow)
        : base(filePath, "unique words", $"'{word}' at rows {firstRow} and {secondRow}")
    {
        Word = word;
    }

    /// <summary>The word that appears twice.</summary>
    public string Word { get; }
}

/// <summary>Fetching a package (apt, npm) or running an external tool failed.</summary>
public sealed class DataFetchException : DataException
{
    public DataFetchException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Cached data is missing or does not match the manifest.</summary>
public sealed class DataCacheException : DataException
{
    public DataCacheException(string message, Exception? inner = null) : base(message, inner) { }
}
