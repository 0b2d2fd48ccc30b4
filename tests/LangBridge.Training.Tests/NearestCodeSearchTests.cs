using LangBridge.Training.Quantization;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

public class NearestCodeSearchTests
{
    [Theory]
    [InlineData(1000, 3000, 16, 256, 512)]     // tiles that do not divide the sizes
    [InlineData(77, 129, 8, 4096, 1024)]       // one tile larger than everything
    [InlineData(300, 1000, 100, 1, 7)]         // degenerate tiles
    public void TiledSearchMatchesTheFullScoreMatrix(int vectors, int codes, int dim, int vectorTile, int codeTile)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(42);
        var x = nn.functional.normalize(randn(vectors, dim, generator: generator), dim: 1);
        var codebook = nn.functional.normalize(randn(codes, dim, generator: generator), dim: 1);
        var codesT = codebook.t().contiguous();

        var naive = NearestCodeSearch.Naive(x, codesT).data<long>().ToArray();
        var tiled = NearestCodeSearch.Tiled(x, codesT, vectorTile, codeTile).data<long>().ToArray();

        Assert.Equal(naive, tiled);
    }

    [Fact]
    public void TiesResolveToTheLowestIndexLikeArgmax()
    {
        using var scope = NewDisposeScope();
        // Codes 1 and 3 (in different tiles) are identical and both nearest to the query.
        var codebook = tensor(new float[] { 0, 1, 1, 0, 0, -1, 1, 0 }).view(4, 2);
        var query = tensor(new float[] { 1, 0 }).view(1, 2);
        var id = NearestCodeSearch.Tiled(query, codebook.t().contiguous(), vectorTile: 1, codeTile: 2).item<long>();
        Assert.Equal(1, id);
    }

    [Fact]
    public void SearchDoesNotTrackGradients()
    {
        using var scope = NewDisposeScope();
        var x = randn(10, 4).requires_grad_();
        var ids = NearestCodeSearch.Tiled(x, randn(4, 50), 4, 16);
        Assert.False(ids.requires_grad);
    }
}
