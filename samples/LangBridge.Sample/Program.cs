// LangBridge sample consumer: encodes images with the reference model bundle that the
// LangBridge.Models.LqaeReference package copies to bundles/lqae-reference/ in the output folder.
//
//   langbridge-sample <file>…     IDX image files (Fashion-MNIST format: every image in them) and/or PNG/JPEG files
//
// Prints one line per image, numbered across all inputs:  <index>: <token ids> | <words>

using System.Buffers.Binary;
using LangBridge.Imaging;
using LangBridge.Runtime;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: langbridge-sample <idx3-ubyte file | png/jpeg file>…");
    return 2;
}

try
{
    var bundle = Path.Combine(AppContext.BaseDirectory, "bundles", "lqae-reference");
    var options = new RuntimeOptions { Provider = ExecutionProvider.Auto, Log = message => Console.Error.WriteLine(message) };
    using var tokenizer = ImageTokenizer.Open(bundle, options);   // verifies every file's SHA-256
    var preprocessor = new ImagePreprocessor(tokenizer.Image);

    var images = new List<PixelImage>();
    foreach (var path in args)
    {
        if (IsIdx(path)) images.AddRange(ReadIdx(path));
        else images.Add(preprocessor.Load(path));                // decode, resize, gray/RGB as in training
    }

    var tokens = tokenizer.Encode(images);
    for (var i = 0; i < tokens.Count; i++)
        Console.WriteLine($"{i}: {string.Join(' ', tokens[i].TokenIds)} | {tokens[i].Text}");
    return 0;
}
catch (Exception e) when (e is LangBridgeException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

// IDX image files: big-endian magic 0x00000803 (unsigned bytes, 3 dimensions), count, rows, columns, then the pixels.
static bool IsIdx(string path)
{
    Span<byte> magic = stackalloc byte[4];
    using var file = File.OpenRead(path);
    return file.Read(magic) == 4 && BinaryPrimitives.ReadInt32BigEndian(magic) == 0x00000803;
}

static IEnumerable<PixelImage> ReadIdx(string path)
{
    var bytes = File.ReadAllBytes(path);
    if (bytes.Length < 16) throw new InvalidDataException($"{path}: not an IDX image file (shorter than its header).");
    var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
    var rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
    var columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
    var size = rows * columns;
    if (count < 0 || rows <= 0 || columns <= 0 || bytes.Length != 16 + (long)count * size)
        throw new InvalidDataException($"{path}: header says {count} images of {rows}×{columns}, but the file has {bytes.Length - 16} pixel bytes.");
    var pixels = bytes.AsMemory(16);
    for (var i = 0; i < count; i++)
        yield return new PixelImage(columns, rows, 1, pixels.Slice(i * size, size));
}
