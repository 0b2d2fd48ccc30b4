using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>Loads the images named on a command line; one that cannot be read is reported on stderr and skipped.</summary>
internal static class ImageArguments
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Whether a command-line argument names an image: an existing file, or a name ending in .png/.jpg/.jpeg.</summary>
    public static bool IsImage(string argument) =>
        File.Exists(argument) || Extensions.Any(e => argument.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>The pixels of <paramref name="path"/> at the bundle's size and channels, or null after one <c>error:</c> line naming it.</summary>
    public static PixelImage? TryLoad(ImagePreprocessor preprocessor, string path)
    {
        try
        {
            return preprocessor.Load(path);
        }
        catch (ImageDecodeException e)
        {
            // One bad file must not cost the user the results of the good ones.
            Console.Error.WriteLine($"error: {path}: {CommandErrors.OneLine(e.Problem)}");
            return null;
        }
    }
}
