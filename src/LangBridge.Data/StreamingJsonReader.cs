using System.Buffers.Text;
using System.Text.Json;

namespace LangBridge.Data;

/// <summary>
/// Token-by-token JSON reading from a stream of any size: a <see cref="Utf8JsonReader"/> over a byte
/// buffer that is refilled (and grown only when a single token does not fit). Memory stays at the
/// buffer size, whatever the document size.
/// </summary>
internal sealed class StreamingJsonReader
{
    private readonly Stream _stream;
    private readonly string _name;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _final;
    private JsonReaderState _state;
    private int _valueStart;
    private int _valueLength;
    private string? _string;

    public StreamingJsonReader(Stream stream, string name, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _name = name;
        _buffer = new byte[bufferSize];
        _state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 });
    }

    public JsonTokenType TokenType { get; private set; } = JsonTokenType.None;

    /// <summary>Depth of the current token (0 = the root value).</summary>
    public int Depth { get; private set; }

    /// <summary>The current string or property-name token, unescaped.</summary>
    public string GetString() => _string ?? throw new InvalidOperationException($"token {TokenType} is not a string");

    /// <summary>The current number token as float32.</summary>
    public float GetSingle()
    {
        if (TokenType != JsonTokenType.Number) throw Format("a number", TokenType.ToString());
        var span = _buffer.AsSpan(_valueStart, _valueLength);
        if (!Utf8Parser.TryParse(span, out float value, out int consumed, 'E') || consumed != span.Length)
            if (!float.TryParse(span, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value))
                throw Format("a float32 number", System.Text.Encoding.UTF8.GetString(span));
        return value;
    }

    /// <summary>The current number token as int64.</summary>
    public long GetInt64()
    {
        if (TokenType != JsonTokenType.Number) throw Format("an integer", TokenType.ToString());
        var span = _buffer.AsSpan(_valueStart, _valueLength);
        if (Utf8Parser.TryParse(span, out long value, out int consumed) && consumed == span.Length) return value;
        var d = GetSingle();
        if (d == Math.Floor(d)) return (long)d;
        throw Format("an integer", System.Text.Encoding.UTF8.GetString(span));
    }

    /// <summary>Advances to the next token; false at the end of the document.</summary>
    public bool Read()
    {
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
            bool ok;
            try
            {
                ok = reader.Read();
            }
            catch (JsonException e)
            {
                throw new CodebookFormatException(_name, "well-formed JSON", e.Message, e);
            }
            if (ok)
            {
                TokenType = reader.TokenType;
                Depth = reader.CurrentDepth;
                _string = null;
                if (TokenType is JsonTokenType.String or JsonTokenType.PropertyName) _string = reader.GetString();
                else if (TokenType == JsonTokenType.Number)
                {
                    _valueStart = _start + (int)reader.TokenStartIndex;
                    _valueLength = reader.ValueSpan.Length;
                }
                _start += (int)reader.BytesConsumed;
                _state = reader.CurrentState;
                return true;
            }
            if (_final) return false;
            Refill();
        }
    }

    /// <summary>Skips the value that starts at the current token (for a start token, up to its matching end).</summary>
    public void Skip()
    {
        if (TokenType == JsonTokenType.PropertyName) Expect(Read(), "a value after a property name");
        if (TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        int depth = Depth;
        while (Read())
            if (TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && Depth == depth) return;
        throw Format("the end of a nested value", "end of file (truncated)");
    }

    public void Expect(bool read, string what)
    {
        if (!read) throw Format(what, "end of file (truncated)");
    }

    public CodebookFormatException Format(string expected, string found) => new(_name, expected, found);

    private void Refill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _final = true;
        _end += n;
    }
}
