using LangBridge.Data;
using LangBridge.Training.Captions;

namespace LangBridge.Training.Tests.Captions;

public sealed class CaptionBuilderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-captions-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly ClassWords Boot = new("ankle boot", ["boot"], ["footwear"], "footwear that covers the whole foot");
    private static readonly ClassWords Bag = new("bag", ["handbag", "purse"], ["container"], "a container used for carrying money");
    private readonly CaptionBuilder builder = new([Boot, Bag]);

    [Theory]
    [InlineData("a {n}", "ankle boot", "", "", "an ankle boot")]
    [InlineData("a {s} {b} {n}", "bag", "dark", "large", "a large dark bag")]
    [InlineData("a {b} {n}", "bag", "", "", "a bag")]
    [InlineData("photo of a {n}", "image", "", "", "photo of an image")]
    public void TemplatesAreFilledWithTheRightArticle(string template, string name, string brightness, string size, string expected) =>
        Assert.Equal(expected, CaptionBuilder.Fill(template, name, brightness, size));

    [Fact]
    public void CaptionsAreDeterministicNameTheClassAndHeldOutPhrasingsAreNeverTrainedOn()
    {
        var attributes = new ImageAttributes("dark", "small");
        var train = Enumerable.Range(0, 200).Select(v => builder.Caption(1, attributes, CaptionSplit.Train, v)).ToArray();
        Assert.Equal(train, Enumerable.Range(0, 200).Select(v => builder.Caption(1, attributes, CaptionSplit.Train, v)));
        Assert.All(train, c => Assert.True(new[] { "bag", "handbag", "purse" }.Any(c.Contains), c));
        Assert.True(train.Distinct().Count() > 10, "variants should spread over templates and names");
        Assert.Contains(train, c => c.Contains("purse"));

        var heldOut = Enumerable.Range(0, 200).Select(v => builder.Caption(1, attributes, CaptionSplit.HeldOut, v)).ToHashSet();
        var allTrain = Enumerable.Range(0, 2000).Select(v => builder.Caption(1, attributes, CaptionSplit.Train, v)).ToHashSet();
        Assert.Empty(heldOut.Intersect(allTrain));
        Assert.All(heldOut, c => Assert.Contains("bag", c));
    }

    [Fact]
    public void ClassPromptsNameOnlyTheClass()
    {
        var prompts = builder.ClassPrompts(0);
        Assert.Equal(["the ankle boot", "an image of an ankle boot", "ankle boot picture"], prompts);
    }

    [Fact]
    public void AttributesSplitAtTheMediansOfTheFittedImages()
    {
        // 4 images of 100 pixels: ink 10 % or 60 % of the frame, at level 80 or 240.
        byte[] Image(int ink, byte level) => Enumerable.Range(0, 100).Select(i => i < ink ? level : (byte)0).ToArray();
        var images = new[] { Image(10, 80), Image(60, 80), Image(10, 240), Image(60, 240) }.SelectMany(x => x).ToArray();
        var meter = AttributeMeter.Fit(images, 4, 100);
        Assert.Equal(new ImageAttributes("dark", "small"), meter.Attributes(Image(10, 80)));
        Assert.Equal(new ImageAttributes("light", "large"), meter.Attributes(Image(70, 250)));
    }

    [Fact]
    public void WordNetSynonymsAndHypernymsThatNameAnotherClassAreLeftOut()
    {
        const string header = "  1 This software and database is being provided to you, the LICENSEE, by  \n";
        File.WriteAllText(Path.Combine(dir, "data.noun"), header +
            "03472535 06 n 03 gym_shoe 0 sneaker 0 tennis_shoe 0 001 @ 04199027 n 0000 | a canvas shoe with a pliable rubber sole  \n" +
            "04199027 06 n 01 shoe 0 001 ~ 03472535 n 0000 | footwear shaped to fit the foot  \n");
        File.WriteAllText(Path.Combine(dir, "index.noun"), header + "shoe n 1 1 ~ 1 0 04199027  \nsneaker n 1 1 @ 1 0 03472535  \n");
        var words = ClassWords.FromWordNet(WordNet.Load(dir), [("sneaker", "03472535"), ("shoe", "04199027")]);
        Assert.Equal(["gym shoe", "tennis shoe"], words[0].Synonyms);
        Assert.Empty(words[0].Hypernyms);                                                 // "shoe" is the other class
        Assert.Equal("a canvas shoe with a pliable rubber sole", words[0].Definition);
    }
}
