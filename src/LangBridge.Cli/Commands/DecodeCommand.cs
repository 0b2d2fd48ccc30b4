using System.CommandLine;
using System.Globalization;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge decode &lt;bundle&gt; --ids 1,2,3… -o out.png` (or --words): token ids or words back to an image.</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var ids = new Option<string[]>("--ids")
        {
            Description = "Token ids, separated by commas and/or spaces (exactly the bundle's tokens per image).",
            AllowMultipleArgumentsPerToken = true,
        };
        var words = new Option<string[]>("--words")
        {
            Description = "Words of the bundle's vocabulary, separated by spaces (instead of --ids).",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "PNG file to write.", Required = true };
        var command = new Command("decode", "Turn token ids (or words) back into an image with the runtime library and write it as PNG.");
        command.Options.Add(ids);
        command.Options.Add(words);
        command.Options.Add(output);
        session.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasIds = result.GetResult(ids) is not null;
            var hasWords = result.GetResult(words) is not null;
            if (hasIds == hasWords) result.AddError("Give either --ids or --words (one of them).");
        });
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            // An option that was not given reads as an empty array: ask whether it was given.
            var tokenIds = parse.GetResult(ids) is null ? null : ParseIds(parse.GetValue(ids) ?? []);
            using var tokenizer = session.Open(parse);
            var image = tokenIds is not null
                ? tokenizer.Decode(tokenIds)
                : tokenizer.DecodeWords(SplitWords(parse.GetValue(words)!));
            var path = parse.GetValue(output)!;
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            ImagePreprocessor.SavePng(image, path);
            Console.Out.WriteLine($"{path}: {image.Width}×{image.Height}×{image.Channels}");
            return 0;
        }));
        return command;
    }

    /// <summary>Ids from "1,2,3", "1 2 3" or several arguments; a token that is not an integer fails naming it.</summary>
    internal static long[] ParseIds(IEnumerable<string> values)
    {
        var parts = values.SelectMany(v => v.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var result = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]))
                throw new InvalidInputException($"--ids: '{parts[i]}' (position {i}) is not an integer token id.");
        }

        if (result.Length == 0) throw new InvalidInputException("--ids: no token id given.");
        return result;
    }

    /// <summary>Words split on whitespace only: vocabulary words may be punctuation such as ','.</summary>
    internal static IEnumerable<string> SplitWords(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
}
