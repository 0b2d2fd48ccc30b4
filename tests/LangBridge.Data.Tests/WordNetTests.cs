namespace LangBridge.Data.Tests;

public sealed class WordNetTests
{
    // Two noun synsets in wndb(5WN) layout (sneaker's and its hypernym's, as WordNet 3.0 has them, pointers cut
    // to those two), behind the licence header lines every database file starts with.
    private const string Header = "  1 This software and database is being provided to you, the LICENSEE, by  \n";
    private const string DataNoun = Header +
        "03472535 06 n 03 gym_shoe 0 sneaker 0 tennis_shoe 0 001 @ 04199027 n 0000 | a canvas shoe with a pliable rubber sole  \n" +
        "04199027 06 n 01 shoe 0 001 ~ 03472535 n 0000 | footwear shaped to fit the foot; \"he wears his shoes indoors\"  \n";
    private const string IndexNoun = Header +
        "shoe n 1 1 ~ 1 0 04199027  \n" +
        "sneaker n 1 1 @ 1 0 03472535  \n";

    /// <summary>Writes a tiny database (nouns only carry entries) in <paramref name="folder"/>, every file the fetcher keeps.</summary>
    public static void WriteDatabase(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var name in DataFetcher.WordNetFiles)
            File.WriteAllText(Path.Combine(folder, name), name switch { "data.noun" => DataNoun, "index.noun" => IndexNoun, _ => Header });
    }

    [Fact]
    public void SynsetsLemmasHypernymsAndGlossesAreRead()
    {
        using var dir = new TempDir();
        var folder = dir.File("wordnet");
        WriteDatabase(folder);
        var wordnet = WordNet.Load(folder);
        Assert.Equal(2, wordnet.Count);

        var sneaker = Assert.Single(wordnet.Senses("sneaker"));
        Assert.Equal(["gym shoe", "sneaker", "tennis shoe"], sneaker.Words);
        Assert.Equal("a canvas shoe with a pliable rubber sole", sneaker.Definition);
        var shoe = Assert.Single(wordnet.Hypernyms(sneaker));
        Assert.Equal(["shoe"], shoe.Words);
        Assert.Equal("footwear shaped to fit the foot", shoe.Definition);
        Assert.Equal(["he wears his shoes indoors"], shoe.Examples);
        Assert.Empty(wordnet.Senses("sandal"));
        Assert.Throws<DataException>(() => wordnet.Synset("00000000"));
    }
}
