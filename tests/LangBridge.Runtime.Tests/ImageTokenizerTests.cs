using LangBridge.Runtime.Tests.Fixtures;

namespace LangBridge.Runtime.Tests;

public sealed class ImageTokenizerTests : IDisposable
{
    private readonly TestBundle _fixture = TestBundle.Create();
    private readonly ImageTokenizer _tokenizer;

    public ImageTokenizerTests()
    {
        _tokenizer = ImageTokenizer.Open(_fixture.Directory, new RuntimeOptions { Provider = ExecutionProvider.Cpu });
    }

    public void Dispose()
    {
        _tokenizer.Dispose();
        _fixture.Dispose();
    }

    private static float[] RandomImages(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * TestBundle.E).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    [Fact]
    public void Encode_gives_the_ids_words_and_codes_computed_by_hand()
    {
        var images = RandomImages(7, 3);

        var result = _tokenizer.Encode(images, 3, 1, 4, 4);

        Assert.Equal(3, result.Count);
        for (var b = 0; b < 3; b++)
        {
            var image = images.AsSpan(b * TestBundle.E, TestBundle.E);
            var (ids, gap) = _fixture.ReferenceIds(_fixture.ReferenceLatents(image));
            Assert.True(gap > 1e-3, $"test input {b} is a near-tie ({gap}); pick another seed");
            Assert.Equal(ids, result[b].TokenIds.ToArray());
            Assert.Equal(ids.Select(i => TestBundle.Words[i]), result[b].Words.ToArray());
            Assert.Equal(_fixture.ReferenceCodes(ids), result[b].Codes.ToArray()); // Gather copies: exact
            Assert.Equal(string.Join(' ', ids.Select(i => TestBundle.Words[i])), result[b].Text);
        }
    }

    [Fact]
    public void Encode_uses_more_than_one_word_on_the_test_inputs()
    {
        // Guards the hand-computed test against a degenerate fixture where every token is the same.
        var result = _tokenizer.Encode(RandomImages(7, 3), 3, 1, 4, 4);

        Assert.True(result.SelectMany(r => r.TokenIds).Distinct().Count() >= 3);
    }

    [Fact]
    public void Decode_gives_the_image_computed_by_hand()
    {
        long[] ids = [0, 3, 4, 1, 2, 2, 0, 4];

        var images = _tokenizer.Decode(ids, 2);

        for (var b = 0; b < 2; b++)
        {
            var expected = _fixture.ReferenceDecode(ids[(b * 4)..((b + 1) * 4)]);
            var image = images[b];
            Assert.Equal((4, 4, 1), (image.Width, image.Height, image.Channels));
            for (var e = 0; e < TestBundle.E; e++)
            {
                Assert.Equal(expected[e], image.Normalized[e], 1e-5);
                var pixel = Math.Clamp(((expected[e] * 0.5) + 0.5) * 255, 0, 255);
                Assert.InRange(image.Pixels[e], Math.Floor(pixel - 0.01), Math.Ceiling(pixel + 0.01));
                Assert.Equal(ImageNormalizer.ToPixel(image.Normalized[e], 0.5f, 0.5f), image.Pixels[e]);
            }
        }
    }

    [Fact]
    public void Encode_then_decode_round_trips_through_the_words()
    {
        var tokens = _tokenizer.Encode(RandomImages(11, 1), 1, 1, 4, 4)[0];

        var byIds = _tokenizer.Decode(tokens.TokenIds.AsSpan());
        var byWords = _tokenizer.DecodeWords(tokens.Words);

        var expected = _fixture.ReferenceDecode(tokens.TokenIds.ToArray());
        Assert.Equal(expected.Select(v => (float)v), byIds.Normalized, new ToleranceComparer(1e-5f));
        Assert.Equal(byIds.Normalized.ToArray(), byWords.Normalized.ToArray());
        Assert.Equal(byIds, byWords); // value equality of the record
    }

    [Fact]
    public void Pixel_input_equals_float_input_normalised_by_hand()
    {
        var pixels = Enumerable.Range(0, 16).Select(i => (byte)(i * 17)).ToArray();
        var normalised = pixels.Select(p => ((p / 255f) - 0.5f) / 0.5f).ToArray();

        var fromPixels = _tokenizer.Encode(new PixelImage(4, 4, 1, pixels));
        var fromRaw = _tokenizer.Encode(pixels, width: 4, height: 4, channels: 1);
        Assert.Equal(fromPixels, fromRaw);
        var fromFloats = _tokenizer.Encode(normalised, 1, 1, 4, 4)[0];

        Assert.Equal(fromFloats.TokenIds.ToArray(), fromPixels.TokenIds.ToArray());
        Assert.Equal(fromFloats.Codes.ToArray(), fromPixels.Codes.ToArray());
    }

    [Fact]
    public void A_batch_gives_the_same_results_as_single_images()
    {
        var images = RandomImages(3, 5);

        var batch = _tokenizer.Encode(images, 5, 1, 4, 4);

        for (var b = 0; b < 5; b++)
        {
            var single = _tokenizer.Encode(images.AsMemory(b * TestBundle.E, TestBundle.E), 1, 1, 4, 4)[0];
            Assert.Equal(single.TokenIds.ToArray(), batch[b].TokenIds.ToArray());
            Assert.Equal(single.Codes.ToArray(), batch[b].Codes.ToArray());
            Assert.Equal(single, batch[b]);
        }
    }

    [Fact]
    public void Eight_threads_encoding_concurrently_get_what_one_thread_gets()
    {
        const int Threads = 8, Rounds = 40;
        var inputs = Enumerable.Range(0, Threads).Select(t => RandomImages(100 + t, 1 + (t % 3))).ToArray();
        var expected = inputs.Select(x => _tokenizer.Encode(x, x.Length / TestBundle.E, 1, 4, 4)).ToArray();
        var decodeIds = expected.Select(r => r.SelectMany(t => t.TokenIds).ToArray()).ToArray();
        var expectedDecoded = decodeIds.Select(ids => _tokenizer.Decode(ids, ids.Length / 4)).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < Rounds; round++)
            {
                // Each thread cycles through every input so buffers of all batch sizes are shared.
                var k = (t + round) % Threads;
                var got = _tokenizer.Encode(inputs[k], inputs[k].Length / TestBundle.E, 1, 4, 4);
                for (var b = 0; b < got.Count; b++)
                {
                    if (!got[b].TokenIds.SequenceEqual(expected[k][b].TokenIds) || !got[b].Codes.SequenceEqual(expected[k][b].Codes))
                    {
                        failures.Add($"thread {t} round {round} input {k} image {b}");
                    }
                }

                var decoded = _tokenizer.Decode(decodeIds[k], decodeIds[k].Length / 4);
                for (var b = 0; b < decoded.Count; b++)
                {
                    if (!decoded[b].Normalized.SequenceEqual(expectedDecoded[k][b].Normalized))
                    {
                        failures.Add($"thread {t} round {round} decode {k} image {b}");
                    }
                }
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void A_wrong_image_size_names_expected_and_actual()
    {
        var e = Assert.Throws<InputShapeException>(() => _tokenizer.Encode(new float[20], 1, 1, 5, 4));

        Assert.Equal("4×4 pixels (W×H)", e.Expected);
        Assert.Equal("4×5", e.Actual);
        Assert.Contains("expects 4×4 pixels (W×H), got 4×5", e.Message);
    }

    [Fact]
    public void A_wrong_channel_count_names_expected_and_actual()
    {
        var e = Assert.Throws<InputShapeException>(() => _tokenizer.Encode(new PixelImage(4, 4, 3, new byte[48])));

        Assert.Contains("1 channel(s)", e.Expected);
        Assert.Contains("3 channel(s)", e.Actual);
        Assert.Contains("channel count", e.Message);
    }

    [Fact]
    public void Raw_pixels_with_the_wrong_channel_count_name_expected_and_actual()
    {
        var e = Assert.Throws<InputShapeException>(() => _tokenizer.Encode(new byte[48], width: 4, height: 4, channels: 3));

        Assert.Contains("1 channel(s)", e.Expected);
        Assert.Contains("3 channel(s)", e.Actual);
    }

    [Fact]
    public void Every_graph_reports_its_provider()
    {
        Assert.Equal(["decoder", "encoder", "quantizer"], _tokenizer.ProviderChoices.Keys.Order());
        Assert.All(_tokenizer.ProviderChoices.Values, c => Assert.Equal(ExecutionProvider.Cpu, c.Provider));
    }

    [Fact]
    public void A_wrong_pixel_image_size_names_expected_and_actual()
    {
        var e = Assert.Throws<InputShapeException>(() => _tokenizer.Encode(new PixelImage(28, 28, 1, new byte[784])));

        Assert.Contains("4×4", e.Message);
        Assert.Contains("28×28", e.Message);
    }

    [Fact]
    public void A_buffer_of_the_wrong_length_is_refused()
    {
        var e = Assert.Throws<InputShapeException>(() => _tokenizer.Encode(new float[31], 2, 1, 4, 4));

        Assert.Contains("32 floats", e.Expected);
        Assert.Contains("31", e.Actual);
    }

    [Fact]
    public void NaN_input_is_refused_with_its_position()
    {
        var images = RandomImages(1, 2);
        images[TestBundle.E + 6] = float.NaN; // image 1, row 1, column 2

        var e = Assert.Throws<InvalidInputException>(() => _tokenizer.Encode(images, 2, 1, 4, 4));

        Assert.Contains("Image 1", e.Message);
        Assert.Contains("row 1, column 2", e.Message);
    }

    [Fact]
    public void Decode_refuses_ids_outside_the_vocabulary_and_wrong_counts()
    {
        var outside = Assert.Throws<InvalidInputException>(() => _tokenizer.Decode([0, 1, 5, 2]));
        Assert.Contains("Token id 5", outside.Message);
        Assert.Contains("0 to 4", outside.Message);

        Assert.Throws<InvalidInputException>(() => _tokenizer.Decode([0, 1, -1, 2]));
        var count = Assert.Throws<InputShapeException>(() => _tokenizer.Decode([0, 1, 2]));
        Assert.Contains("4 ids", count.Expected);
        Assert.Throws<InvalidInputException>(() => _tokenizer.DecodeWords(["cat", "dog", "unicorn", "sky"]));
    }

    [Fact]
    public void Words_map_to_their_ids()
    {
        Assert.Equal(2, _tokenizer.GetTokenId("boot"));
        Assert.Equal(TestBundle.Words, _tokenizer.Vocabulary);
    }

    [Fact]
    public void A_disposed_tokenizer_refuses_work()
    {
        using var fixture = TestBundle.Create();
        var tokenizer = ImageTokenizer.Open(fixture.Directory);
        tokenizer.Dispose();
        tokenizer.Dispose(); // idempotent

        Assert.Throws<ObjectDisposedException>(() => tokenizer.Encode(new float[16], 1, 1, 4, 4));
    }

    [Fact]
    public void A_bundle_of_another_kind_is_refused()
    {
        // A kind this runtime does not serve, so sealing does not hold the lqae graphs to that kind's rules.
        using var fixture = TestBundle.Create(m => m with { Kind = "spae" });
        var e = Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(fixture.Directory));

        Assert.Contains("spae", e.Message);
    }

    [Fact]
    public void A_manifest_that_misnames_a_graph_output_is_refused_naming_the_graph()
    {
        using var fixture = TestBundle.Create(m => m with
        {
            Graphs = new Dictionary<string, GraphSpec>(m.Graphs)
            {
                ["encoder"] = m.Graphs["encoder"] with
                {
                    Outputs = [m.Graphs["encoder"].Outputs[0] with { Name = "features" }],
                },
                ["quantizer"] = m.Graphs["quantizer"] with
                {
                    Inputs = [m.Graphs["quantizer"].Inputs[0] with { Name = "features" }],
                },
            },
        });

        var e = Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(fixture.Directory));
        Assert.Equal("encoder.onnx", e.File);
        Assert.Contains("\"features\"", e.Message);
        Assert.Contains("latents", e.Message);
    }

    [Fact]
    public void A_manifest_whose_token_count_disagrees_with_the_graph_is_refused()
    {
        using var fixture = TestBundle.Create(m => m with
        {
            Image = m.Image! with { Height = 2, Width = 8 },
            Graphs = new Dictionary<string, GraphSpec>(m.Graphs)
            {
                ["encoder"] = m.Graphs["encoder"] with { Inputs = [m.Graphs["encoder"].Inputs[0] with { Shape = ["batch", 1, 2, 8] }] },
                ["decoder"] = m.Graphs["decoder"] with { Outputs = [m.Graphs["decoder"].Outputs[0] with { Shape = ["batch", 1, 2, 8] }] },
            },
        });

        var e = Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(fixture.Directory));
        Assert.Contains("[batch, 1, 2, 8]", e.Message);
        Assert.Contains("[batch, 1, 4, 4]", e.Message);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
