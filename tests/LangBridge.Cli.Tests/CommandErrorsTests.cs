using LangBridge.Data;
using LangBridge.Imaging;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Recipes;

namespace LangBridge.Cli.Tests;

/// <summary>The CLI's one error guard: user-level failures are one line on stderr, anything else keeps its stack.</summary>
public sealed class CommandErrorsTests
{
    private static (int ExitCode, string[] Lines) Guard(Exception error, bool verbose = false)
    {
        var stderr = new StringWriter();
        var exit = CommandErrors.Guard(new Func<int>(() => throw error), stderr, verbose).GetAwaiter().GetResult();
        return (exit, stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // Thrown for real, so each has a stack trace to hide or show.
    private static Exception Thrown(Func<Exception> make)
    {
        try { throw make(); } catch (Exception e) { return e; }
    }

    public static TheoryData<string, Exception> UserErrors => new()
    {
        { "recipe", Thrown(() => new RecipeException("r.json", "training.batchSize", "must be positive")) },
        { "checkpoint", Thrown(() => new CheckpointException("x.lbck", "written by another recipe")) },
        { "data", Thrown(() => new DataFormatException("v.txt", "1,024 words", "1,000")) },
        { "image", Thrown(() => new ImageDecodeException("a.png", "the file ends before the image does (truncated)")) },
        { "bundle input", Thrown(() => new InvalidInputException("token id 9999 is outside the vocabulary")) },
        { "export", Thrown(() => new OnnxExportException("encoder.stem", typeof(object), "no ONNX converter is registered for it")) },
        { "onnx runtime (harness)", Thrown(() => new InferenceException("encoder.onnx", "encoder.onnx: input 'image' has the wrong shape")) },
        { "training", Thrown(() => new LangBridge.Training.Pipeline.TrainingException("training diverged at step 12 (main): loss NaN")) },
        { "pretrained", Thrown(() => new LangBridge.Pretrained.PretrainedFormatException("model.safetensors", "encoder.layer.0.attention.self.query.weight", "missing")) },
        { "golden (typed)", Thrown(() => new LangBridge.Training.Golden.GoldenFileException("g.safetensors", "not a langbridge-golden file")) },
        { "usage", Thrown(() => new UsageException("--positions 3 must divide --vectors 10")) },
        { "golden file", Thrown(() => new InvalidDataException("g.safetensors: not a langbridge-golden file")) },
        { "file", Thrown(() => new FileNotFoundException("no bundle at x: run `langbridge export` first")) },
        { "permissions", Thrown(() => new UnauthorizedAccessException("Access to the path '/x' is denied.")) },
        { "check", Thrown(() => new LangBridge.Cli.Commands.CheckFailedException("parity failed")) },
    };

    [Theory]
    [MemberData(nameof(UserErrors))]
    public void A_user_error_is_one_line_on_stderr_and_exit_1(string kind, Exception error)
    {
        var (exit, lines) = Guard(error);

        Assert.Equal(1, exit);
        var line = Assert.Single(lines);
        Assert.Equal($"error: {error.Message}", line);
        Assert.False(string.IsNullOrEmpty(kind));
    }

    [Fact]
    public void An_onnx_runtime_native_error_is_a_user_error()
    {
        var ort = Thrown(() => (Exception)Activator.CreateInstance(typeof(Microsoft.ML.OnnxRuntime.OnnxRuntimeException),
            System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null,
            [Enum.ToObject(typeof(Microsoft.ML.OnnxRuntime.OnnxRuntimeException).Assembly.GetType("Microsoft.ML.OnnxRuntime.ErrorCode")!, 2), "Invalid model"], null)!);

        var (exit, lines) = Guard(ort);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", Assert.Single(lines));
    }

    [Fact]
    public void A_multi_line_message_becomes_one_line()
    {
        var (_, lines) = Guard(Thrown(() => new DataFormatException("v.txt", "a vocabulary", "line 3:\nbad\r\nbytes")));

        Assert.Equal("error: v.txt: expected a vocabulary, found line 3: bad bytes", Assert.Single(lines));
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var (exit, lines) = Guard(Thrown(() => new RecipeException("r.json", "name", "bad")), verbose: true);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at ") && l.Contains(nameof(CommandErrorsTests)));
    }

    [Fact]
    public void An_unexpected_exception_keeps_its_stack_trace_on_stderr()
    {
        var (exit, lines) = Guard(Thrown(() => new InvalidOperationException("a bug")));

        Assert.NotEqual(0, exit);
        Assert.NotEqual(1, exit); // told apart from user errors
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("a bug", lines[0]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at "));
    }

    [Fact]
    public void User_errors_wrapped_by_parallel_code_are_still_user_errors()
    {
        var (exit, lines) = Guard(Thrown(() => new AggregateException(new ImageDecodeException("a.png", "corrupt"))));

        Assert.Equal(1, exit);
        Assert.Equal("error: Cannot read image 'a.png': corrupt. Use an intact PNG or JPEG file.", Assert.Single(lines));
    }

    [Fact]
    public void Cancellation_exits_130()
    {
        var (exit, lines) = Guard(new OperationCanceledException());

        Assert.Equal(130, exit);
        Assert.StartsWith("error: cancelled", Assert.Single(lines));
    }
}
