using LangBridge.Runtime.Tests.Fixtures;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime.Tests;

/// <summary>The public graph layer that model-kind wrappers are written on, over a two-input text graph.</summary>
public sealed class BundleGraphTests : IDisposable
{
    private static readonly RuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu };
    private readonly TextBundle _fixture = TextBundle.Create();
    private readonly BundleGraph _graph;

    public BundleGraphTests()
    {
        _graph = BundleGraph.Open(ModelBundle.Load(_fixture.Directory), TextBundle.Role, Cpu);
    }

    public void Dispose()
    {
        _graph.Dispose();
        _fixture.Dispose();
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 5)]
    public void Ids_and_attention_mask_give_the_hidden_states_computed_by_hand_for_any_batch_and_sequence(int batch, int sequence)
    {
        var ids = Enumerable.Range(0, batch * sequence).Select(i => (long)((i * 5) + 1) % TextBundle.V).ToArray();
        var mask = Enumerable.Range(0, batch * sequence).Select(i => i % sequence < sequence - 1 ? 1L : 0L).ToArray(); // last position padded
        var idsSpec = _graph.Input(TensorMeaning.InputIds);
        var maskSpec = _graph.Input(TensorMeaning.AttentionMask);

        using var idsTensor = GraphTensor.FromMemory(idsSpec.Name, ids.AsMemory(), batch, sequence);
        using var maskTensor = GraphTensor.FromReadOnlyMemory(maskSpec.Name, (ReadOnlyMemory<long>)mask, batch, sequence);
        using var outputs = _graph.Run([maskTensor, idsTensor]); // by name: order does not matter

        var hidden = outputs[_graph.Output(TensorMeaning.HiddenStates).Name];
        Assert.Equal([batch, sequence, TextBundle.Hidden], hidden.Shape);
        Assert.Equal(TensorDtype.Float32, hidden.Dtype);
        Assert.Equal(_fixture.Reference(ids, mask), hidden.ToArray<float>());
        Assert.Contains(hidden.ToArray<float>(), v => v != 0); // the reference is not trivially zero
    }

    [Fact]
    public void Outputs_can_be_written_into_caller_memory_sized_from_the_bound_dimensions()
    {
        long[] ids = [1, 2, 3, 4], mask = [1, 1, 1, 0];
        using var idsTensor = GraphTensor.FromMemory("input_ids", ids.AsMemory(), 2, 2);
        using var maskTensor = GraphTensor.FromMemory("attention_mask", mask.AsMemory(), 2, 2);
        var dims = _graph.BindDimensions([idsTensor, maskTensor]);
        var shape = _graph.OutputShape("hidden_states", dims);
        var buffer = new float[shape.Aggregate(1L, (a, d) => a * d)];
        Array.Fill(buffer, float.NaN);

        using var output = GraphTensor.FromMemory("hidden_states", buffer.AsMemory(), shape);
        _graph.Run([idsTensor, maskTensor], [output]);

        Assert.Equal(2, dims[TensorDimension.BatchSymbol]);
        Assert.Equal(2, dims[TensorDimension.SequenceSymbol]);
        Assert.Equal([2L, 2, TextBundle.Hidden], shape);
        Assert.Equal(_fixture.Reference(ids, mask), buffer); // written in place, no NaN left
    }

    [Fact]
    public void A_symbolic_dimension_bound_twice_with_different_sizes_is_refused_naming_both()
    {
        using var ids = GraphTensor.FromMemory("input_ids", new long[6].AsMemory(), 2, 3);
        using var mask = GraphTensor.FromMemory("attention_mask", new long[8].AsMemory(), 2, 4);

        var e = Assert.Throws<InputShapeException>(() => _graph.Run([ids, mask]));

        Assert.Contains("attention_mask", e.What);
        Assert.Contains("sequence = 3", e.Expected);
        Assert.Equal("[2, 4]", e.Actual);
    }

    [Fact]
    public void A_wrong_element_type_is_refused_naming_expected_and_actual()
    {
        using var ids = GraphTensor.FromMemory("input_ids", new long[2].AsMemory(), 1, 2);
        using var mask = GraphTensor.FromMemory("attention_mask", new int[2].AsMemory(), 1, 2);

        var e = Assert.Throws<InputShapeException>(() => _graph.Run([ids, mask]));

        Assert.Equal("int64", e.Expected);
        Assert.Equal("int32", e.Actual);
    }

    [Fact]
    public void A_missing_or_unknown_input_is_refused_before_onnx_runtime_runs()
    {
        using var ids = GraphTensor.FromMemory("input_ids", new long[2].AsMemory(), 1, 2);
        using var stray = GraphTensor.FromMemory("token_type_ids", new long[2].AsMemory(), 1, 2);

        var e = Assert.Throws<InputShapeException>(() => _graph.Run([ids, stray]));

        Assert.Contains("missing [attention_mask]", e.Actual);
        Assert.Contains("unknown [token_type_ids]", e.Actual);
    }

    [Fact]
    public void A_buffer_whose_length_does_not_match_its_shape_is_refused()
    {
        var e = Assert.Throws<InputShapeException>(() => GraphTensor.FromMemory("input_ids", new long[5].AsMemory(), 2, 3));

        Assert.Contains("6 int64 elements", e.Expected);
        Assert.Equal("5 elements", e.Actual);
    }

    [Fact]
    public void A_read_only_tensor_cannot_be_an_output()
    {
        using var ids = GraphTensor.FromMemory("input_ids", new long[2].AsMemory(), 1, 2);
        using var mask = GraphTensor.FromMemory("attention_mask", new long[2].AsMemory(), 1, 2);
        using var output = GraphTensor.FromReadOnlyMemory("hidden_states", (ReadOnlyMemory<float>)new float[6], 1, 2, 3);

        var e = Assert.Throws<InputShapeException>(() => _graph.Run([ids, mask], [output]));

        Assert.Equal("a read-only tensor", e.Actual);
    }

    [Fact]
    public void Tensors_are_found_by_meaning_and_a_missing_meaning_names_what_the_graph_has()
    {
        Assert.Equal("attention_mask", _graph.Input(TensorMeaning.AttentionMask).Name);

        var e = Assert.Throws<BundleFormatException>(() => _graph.Input(TensorMeaning.TokenTypeIds));

        Assert.Contains("token_type_ids", e.Message);
        Assert.Contains("input_ids: input_ids", e.Message);
    }

    [Fact]
    public void The_graph_reports_its_provider_and_the_cpu_request()
    {
        Assert.Equal(new ProviderChoice(ExecutionProvider.Cpu, "Cpu requested"), _graph.Provider);
        Assert.Equal(TextBundle.GraphFile, _graph.File);
    }

    [Fact]
    public void Concurrent_runs_on_one_graph_each_get_their_own_results()
    {
        var results = Enumerable.Range(0, 16).AsParallel().WithDegreeOfParallelism(4).Select(k =>
        {
            long[] ids = [k % TextBundle.V, (k + 1) % TextBundle.V], mask = [1, 1];
            using var a = GraphTensor.FromMemory("input_ids", ids.AsMemory(), 1, 2);
            using var b = GraphTensor.FromMemory("attention_mask", mask.AsMemory(), 1, 2);
            using var outputs = _graph.Run([a, b]);
            return (Expected: _fixture.Reference(ids, mask), Actual: outputs[0].ToArray<float>());
        }).ToList();

        Assert.All(results, r => Assert.Equal(r.Expected, r.Actual));
    }

    [Fact]
    public void A_disposed_graph_refuses_to_run()
    {
        var graph = BundleGraph.Open(ModelBundle.Load(_fixture.Directory), TextBundle.Role, Cpu);
        graph.Dispose();
        using var ids = GraphTensor.FromMemory("input_ids", new long[2].AsMemory(), 1, 2);
        using var mask = GraphTensor.FromMemory("attention_mask", new long[2].AsMemory(), 1, 2);

        Assert.Throws<ObjectDisposedException>(() => graph.Run([ids, mask]));
    }

    [Fact]
    public void Every_bundle_element_type_passes_through_the_public_layer()
    {
        // One Identity per element type: six inputs and six outputs, each [batch, 2].
        (string Dtype, int Onnx)[] types =
        [
            (TensorDtype.Float32, OnnxModelWriter.Float), (TensorDtype.Float16, OnnxModelWriter.Float16), (TensorDtype.Int64, OnnxModelWriter.Int64),
            (TensorDtype.Int32, OnnxModelWriter.Int32), (TensorDtype.UInt8, OnnxModelWriter.UInt8), (TensorDtype.Bool, OnnxModelWriter.Bool),
        ];
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-tests-types-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var m = new OnnxModelWriter();
            foreach (var (dtype, onnx) in types)
            {
                m.TypedInput($"in_{dtype}", onnx, "batch", 2);
                m.Node("Identity", [$"in_{dtype}"], [$"out_{dtype}"]);
                m.TypedOutput($"out_{dtype}", onnx, "batch", 2);
            }

            File.WriteAllBytes(Path.Combine(dir, "identity.onnx"), m.ToBytes());
            BundleWriter.Seal(dir, new BundleManifest
            {
                Name = "identity", Kind = "test-identity", Opset = 17, IrVersion = 8,
                Graphs = new Dictionary<string, GraphSpec>
                {
                    ["identity"] = new()
                    {
                        File = "identity.onnx",
                        Inputs = types.Select(t => new TensorSpec { Name = $"in_{t.Dtype}", Dtype = t.Dtype, Shape = ["batch", 2] }).ToArray(),
                        Outputs = types.Select(t => new TensorSpec { Name = $"out_{t.Dtype}", Dtype = t.Dtype, Meaning = TensorMeaning.Features, Shape = ["batch", 2] }).ToArray(),
                    },
                },
            });
            using var graph = BundleGraph.Open(ModelBundle.Load(dir), "identity", Cpu);
            float[] f32 = [1.5f, -2f];
            Float16[] f16 = [(Float16)0.5f, (Float16)(-3f)];
            long[] i64 = [long.MaxValue, -1];
            int[] i32 = [int.MinValue, 7];
            byte[] u8 = [0, 255];
            bool[] b = [true, false];
            GraphTensor[] inputs =
            [
                GraphTensor.FromMemory("in_float32", f32.AsMemory(), 1, 2), GraphTensor.FromMemory("in_float16", f16.AsMemory(), 1, 2),
                GraphTensor.FromMemory("in_int64", i64.AsMemory(), 1, 2), GraphTensor.FromMemory("in_int32", i32.AsMemory(), 1, 2),
                GraphTensor.FromMemory("in_uint8", u8.AsMemory(), 1, 2), GraphTensor.FromMemory("in_bool", b.AsMemory(), 1, 2),
            ];
            using var outputs = graph.Run(inputs);

            Assert.Equal(f32, outputs["out_float32"].ToArray<float>());
            Assert.Equal(f16, outputs["out_float16"].ToArray<Float16>());
            Assert.Equal(i64, outputs["out_int64"].ToArray<long>());
            Assert.Equal(i32, outputs["out_int32"].ToArray<int>());
            Assert.Equal(u8, outputs["out_uint8"].ToArray<byte>());
            Assert.Equal(b, outputs["out_bool"].ToArray<bool>());
            Assert.Throws<InvalidOperationException>(() => outputs["out_bool"].ToArray<byte>()); // typed access is checked
            Array.ForEach(inputs, t => t.Dispose());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
