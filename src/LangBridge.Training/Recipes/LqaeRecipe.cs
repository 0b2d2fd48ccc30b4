using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Training.Kinds;
using LangBridge.Training.Lqae;

namespace LangBridge.Training.Recipes;

/// <summary>
/// Everything that defines an LQAE model and its training run; loaded from <c>models/*.json</c>.
/// Unknown keys are errors, so a typo never silently falls back to a default.
/// </summary>
public sealed record LqaeRecipe : IModelRecipe
{
    /// <summary>Model name; names the checkpoint, report and bundle folders.</summary>
    public required string Name { get; init; }

    /// <summary>Must be <c>lqae</c>.</summary>
    public string Kind { get; init; } = "lqae";

    /// <summary>Seed for weights, batch order and masking: the same seed gives the same weights.</summary>
    public int Seed { get; init; } = 1234;

    public DataSection Data { get; init; } = new();
    public CodebookSection Codebook { get; init; } = new();
    public EncoderSection Encoder { get; init; } = new();
    public QuantizerSection Quantizer { get; init; } = new();
    /// <summary>Optional coarse level of whole-image words put before the grid's words (absent: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GlobalTokensSection? GlobalTokens { get; init; }
    public MaskingSection Masking { get; init; } = new();
    /// <summary>
    /// Optional frozen BERT between the words and the decoder, as the LQAE paper builds it (absent: the
    /// decoder reads the words' vectors). With it the codebook is the BERT's own word table.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BertSection? Bert { get; init; }
    public DecoderSection Decoder { get; init; } = new();
    public TrainingSection Training { get; init; } = new();
    public EvaluationSection Evaluation { get; init; } = new();

    /// <summary>
    /// SHA-256 of the canonical JSON of everything that shapes the weights (recorded in checkpoints and
    /// bundles). Left out: the evaluation section, the search tiles (the ids are the same whatever the
    /// tiling), logging, checkpointing and threads, and the codebook's path — the codebook is identified by
    /// its content hash, which checkpoints record beside this one; likewise where the BERT is read from
    /// (its weights' hash is recorded too).
    /// </summary>
    [JsonIgnore]
    public string Sha256 => RecipeJson.Sha256(this with
    {
        Evaluation = new(),
        Codebook = Codebook with { Path = "" },
        Bert = Bert is null ? null : Bert with { Model = "" },
        Quantizer = Quantizer with { VectorTile = 0, CodeTile = 0 },
        Training = Training with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 },
    });

    /// <summary>The hash checkpoints written before <see cref="Sha256"/> left out speed knobs and paths recorded (everything but evaluation).</summary>
    [JsonIgnore]
    public string LegacySha256 => RecipeJson.Sha256(this with { Evaluation = new() });

    /// <summary>Side of the token grid, e.g. 7 for 28×28 images and a downsampling factor of 4.</summary>
    [JsonIgnore]
    public int GridSize => Data.ImageSize / Encoder.Downsample;

    /// <summary>Coarse (whole-image) tokens per image, before the grid's.</summary>
    [JsonIgnore]
    public int CoarseTokens => GlobalTokens?.Count ?? 0;

    /// <summary>Tokens per image: the coarse ones, then the grid's row by row.</summary>
    [JsonIgnore]
    public int TokensPerImage => CoarseTokens + GridSize * GridSize;

    /// <summary>Token count per level, coarse first (what the bundle manifest lists).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> Levels => CoarseTokens > 0 ? [CoarseTokens, GridSize * GridSize] : [GridSize * GridSize];

    /// <summary>Loads and validates a recipe; throws <see cref="RecipeException"/> naming the key at fault.</summary>
    public static LqaeRecipe Load(string path)
    {
        if (!File.Exists(path)) throw new RecipeException(path, "(file)", "recipe file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates a recipe's JSON text.</summary>
    public static LqaeRecipe Parse(string json, string file)
    {
        var recipe = RecipeJson.Deserialize<LqaeRecipe>(json, file);
        recipe.Validate(file);
        return recipe;
    }

    /// <summary>Checks shapes and ranges before any training starts.</summary>
    public void Validate(string file = "(recipe)")
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, key, message);
        }

        Require(Kind == LqaeKind.KindName, "kind", $"expected '{LqaeKind.KindName}', got '{Kind}'");
        Require(RecipeJson.IsValidName(Name), "name", "use letters, digits, '-' or '_' (it names folders)");
        Require(Data.Channels is 1 or 3, "data.channels", $"must be 1 or 3, got {Data.Channels}");
        Require(Data.ImageSize > 0, "data.imageSize", "must be positive");
        Require(Data.Std > 0, "data.std", "must be positive");
        Require(Encoder.Downsample is 1 or 2 or 4 or 8, "encoder.downsample", $"must be 1, 2, 4 or 8, got {Encoder.Downsample}");
        Require(Data.ImageSize % Encoder.Downsample == 0, "encoder.downsample",
            $"image size {Data.ImageSize} is not divisible by the downsampling factor {Encoder.Downsample}");
        // Below 16 channels libtorch 2.10's multi-threaded CPU convolution backward is nondeterministic.
        Require(Encoder.Channels >= 16 && Encoder.Channels % Encoder.Groups == 0, "encoder.channels",
            $"must be at least 16 and a multiple of encoder.groups ({Encoder.Groups}), got {Encoder.Channels}");
        Require(Decoder.Channels >= 16 && Decoder.Channels % Decoder.Groups == 0, "decoder.channels",
            $"must be at least 16 and a multiple of decoder.groups ({Decoder.Groups}), got {Decoder.Channels}");
        Require(Encoder.ResidualBlocks >= 0, "encoder.residualBlocks", "must be >= 0");
        Require(Encoder.Type == EncoderType.Conv || (Encoder.Heads > 0 && Encoder.Channels % Encoder.Heads == 0 && Encoder.Depth > 0),
            "encoder.heads", $"a ViT encoder needs depth > 0 and channels ({Encoder.Channels}) divisible by heads ({Encoder.Heads})");
        Require(Decoder.Type == DecoderType.Conv, "decoder.type", "only 'conv' is implemented; a ViT decoder is not available yet");
        Require(Decoder.ResidualBlocks >= 0, "decoder.residualBlocks", "must be >= 0");
        Require(Codebook.Size >= 2, "codebook.size", "must be at least 2");
        Require(Codebook.Dimension > 0, "codebook.dimension", "must be positive");
        Require(Quantizer.Commitment >= 0, "quantizer.commitment", "must be >= 0");
        Require(Quantizer.VectorTile > 0 && Quantizer.CodeTile > 0, "quantizer.vectorTile", "tiles must be positive");
        if (Quantizer.PositionalVocabulary)
        {
            Require(GlobalTokens is null, "quantizer.positionalVocabulary", "cannot be combined with globalTokens");
            Require(Codebook.Size / TokensPerImage >= 2, "quantizer.positionalVocabulary",
                $"needs at least 2 words per position: codebook.size {Codebook.Size} for {TokensPerImage} positions");
        }
        if (GlobalTokens is { } g)
        {
            Require(g.Count >= 1, "globalTokens.count", $"must be at least 1 (leave the section out for none), got {g.Count}");
            Require(g.Vocabulary >= 2 && g.Vocabulary <= Codebook.Size, "globalTokens.vocabulary",
                $"must be in [2, codebook.size = {Codebook.Size}], got {g.Vocabulary}");
            if (g.Assignment is { } a)
            {
                Require(a.Weight > 0, "globalTokens.assignment.weight", "must be positive (leave the section out for none)");
                Require(a.Temperature > 0, "globalTokens.assignment.temperature", "must be positive");
                Require(a.Epsilon > 0, "globalTokens.assignment.epsilon", "must be positive");
                Require(a.Iterations >= 1, "globalTokens.assignment.iterations", "must be at least 1");
                Require(a.Shift >= 0 && a.Shift < Data.ImageSize / 2, "globalTokens.assignment.shift", $"must be in [0, {Data.ImageSize / 2})");
                Require(a.Scale is >= 0 and < 0.5f, "globalTokens.assignment.scale", "must be in [0, 0.5)");
            }
        }
        Require(Masking.Ratio is >= 0 and < 1, "masking.ratio", $"must be in [0, 1), got {Masking.Ratio}");
        if (Bert is { } bert)
        {
            Require(!string.IsNullOrWhiteSpace(bert.Model), "bert.model", $"name the BERT: '{BertSection.MiniLm}' (the data cache's) or a Hugging Face BERT folder");
            Require(bert.Layers >= 0, "bert.layers", $"must be >= 0 (0 = every layer), got {bert.Layers}");
            Require(bert.MaskedTokenWeight >= 0 && float.IsFinite(bert.MaskedTokenWeight), "bert.maskedTokenWeight", $"must be a finite number >= 0, got {bert.MaskedTokenWeight}");
            Require(Codebook.Path == new CodebookSection().Path, "codebook.path",
                "leave it out: with a bert section the codebook is the BERT's word table (bert.vocabulary picks the rows)");
            Require(GlobalTokens is null, "globalTokens", "cannot be combined with bert (the BERT reads the grid's words only)");
            Require(!Quantizer.PositionalVocabulary, "quantizer.positionalVocabulary",
                "cannot be combined with bert: a cell's own word list is not text the BERT can read");
        }
        Training.Validate(file);
        Require(Evaluation.FewShotEpisodes >= 1, "evaluation.fewShotEpisodes", "must be >= 1");
        Require(Evaluation.FeatureProbeEpochs is null or >= 1, "evaluation.featureProbeEpochs", "must be >= 1");
    }

    /// <summary>The recipe as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);
}

/// <summary>Which images and how they are normalised: <c>x = (pixel/255 − mean) / std</c>.</summary>
public sealed record DataSection
{
    /// <summary><c>fashion-mnist</c> (the Data task's cache) or a path to an image folder (one sub-folder per class).</summary>
    public string Dataset { get; init; } = "fashion-mnist";
    public int ImageSize { get; init; } = 28;
    public int Channels { get; init; } = 1;
    public float Mean { get; init; } = 0.5f;
    public float Std { get; init; } = 0.5f;
    /// <summary>Use only the first N training images (0 = all); for smoke runs.</summary>
    public int TrainLimit { get; init; }
}

/// <summary>The frozen language codebook.</summary>
public sealed record CodebookSection
{
    /// <summary>Folder with <c>codebook.safetensors</c> + <c>vocab.txt</c>, relative to the repository root.</summary>
    public string Path { get; init; } = "artifacts/data/codebook";
    /// <summary>Use the first (most frequent) N words.</summary>
    public int Size { get; init; } = 32768;
    /// <summary>Embedding dimension; must match the file (GloVe: 100).</summary>
    public int Dimension { get; init; } = 100;
}

/// <summary>Conv encoder: stem, stride-2 stages down to the token grid, residual blocks, 1×1 projection.</summary>
public sealed record EncoderSection
{
    public EncoderType Type { get; init; } = EncoderType.Conv;
    public int Channels { get; init; } = 64;
    /// <summary>Image side / token-grid side (a power of two).</summary>
    public int Downsample { get; init; } = 4;
    public int ResidualBlocks { get; init; } = 2;
    public int Groups { get; init; } = 8;
    /// <summary>ViT only: transformer blocks and heads (patch size = downsample).</summary>
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
}

/// <summary>Nearest-word quantizer over the L2-normalised codebook.</summary>
public sealed record QuantizerSection
{
    /// <summary>Weight of ‖z − sg(q)‖² (LQAE: 0.005).</summary>
    public float Commitment { get; init; } = 0.005f;
    /// <summary>Vectors per tile of the fused nearest-word search.</summary>
    public int VectorTile { get; init; } = 8192;
    /// <summary>Codes per tile of the fused nearest-word search.</summary>
    public int CodeTile { get; init; } = 512;
    /// <summary>
    /// Position p of the token grid may only take words p, p + N, p + 2N, … (N tokens per image), so a
    /// word also says where it is: a bag of words keeps the layout, and each search is N times smaller.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool PositionalVocabulary { get; init; }
}

/// <summary>
/// A coarse level on top of the token grid (the first step of SPAE's semantic pyramid): <see cref="Count"/>
/// words computed from the whole image's mean feature, each chosen among the first (most frequent)
/// <see cref="Vocabulary"/> words. They are never masked, so the decoder leans on them for what it cannot
/// see, and a small shared vocabulary makes similar images share them.
/// </summary>
public sealed record GlobalTokensSection
{
    public int Count { get; init; } = 4;
    public int Vocabulary { get; init; } = 256;
    /// <summary>Optional invariance objective that makes the coarse words semantic (absent: reconstruction only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AssignmentSection? Assignment { get; init; }
}

/// <summary>
/// Swapped prediction of balanced word assignments between two random views of each image (SwAV,
/// as VLAP uses it): the coarse words come to name what survives a shift, a rescale and a mirror.
/// </summary>
public sealed record AssignmentSection
{
    /// <summary>Weight of the loss next to the reconstruction loss.</summary>
    public float Weight { get; init; } = 0.1f;
    /// <summary>Softmax temperature of the predictions over cosine scores.</summary>
    public float Temperature { get; init; } = 0.1f;
    /// <summary>Sinkhorn entropy regularisation (smaller: sharper assignments).</summary>
    public float Epsilon { get; init; } = 0.05f;
    public int Iterations { get; init; } = 3;
    /// <summary>Views: shift of up to this many pixels each way.</summary>
    public int Shift { get; init; } = 2;
    /// <summary>Views: scale in [1 − scale, 1 + scale].</summary>
    public float Scale { get; init; } = 0.1f;
    /// <summary>Views: mirror left–right half of the time.</summary>
    public bool Flip { get; init; } = true;
}

/// <summary>Train-time random masking of grid token positions before the decoder (coarse tokens are never masked).</summary>
public sealed record MaskingSection
{
    /// <summary>
    /// Share of token positions replaced by the mask vector at train time (LQAE: 0.5). Without a BERT the mask
    /// vector is zeros and each position is masked with this probability; with one it is the BERT's
    /// <c>[MASK]</c> embedding and exactly round(ratio · N) positions of every image are masked.
    /// </summary>
    public float Ratio { get; init; } = 0.5f;
}

/// <summary>
/// The frozen BERT of LQAE as the paper builds it: the codebook is its word-embedding table, masked positions
/// get its <c>[MASK]</c> embedding, its position (+ token type 0) embeddings and embedding LayerNorm are
/// applied, the first <see cref="Layers"/> layers run, and the decoder reconstructs the image from its last
/// hidden states. <c>codebook.size</c> takes the first that many allowed rows in vocabulary order (BERT's
/// WordPiece vocabulary lists whole words roughly by frequency); <c>codebook.dimension</c> must be the BERT's
/// hidden size.
/// </summary>
public sealed record BertSection
{
    /// <summary>The data cache's all-MiniLM-L6-v2 (6 layers, hidden 384, 30,522 tokens).</summary>
    public const string MiniLm = "minilm";

    /// <summary><c>minilm</c>, or a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt) relative to the repository root.</summary>
    public string Model { get; init; } = MiniLm;
    /// <summary>Run only the first k layers (0 = all of them): the BERT is the training's hot path.</summary>
    public int Layers { get; init; }
    /// <summary>Which rows of the word table the codebook may use.</summary>
    public BertVocabulary Vocabulary { get; init; } = BertVocabulary.Words;
    /// <summary>
    /// Weight of the masked-token cross-entropy: the BERT's last hidden states at masked positions scored
    /// against the codebook's rows of the tied word table, target the position's word (LQAE: 1e-4; 0: off).
    /// </summary>
    public float MaskedTokenWeight { get; init; } = 1e-4f;
}

/// <summary>Rows of a BERT word table a codebook may use.</summary>
public enum BertVocabulary
{
    /// <summary>Whole lower-case ASCII words only: no <c>##</c> pieces, no <c>[unused]</c> or special tokens, digits or punctuation.</summary>
    Words,
    /// <summary>Every row, special tokens and word pieces included.</summary>
    All,
}

/// <summary>Conv decoder mirroring the encoder (nearest upsampling + conv).</summary>
public sealed record DecoderSection
{
    public DecoderType Type { get; init; } = DecoderType.Conv;
    public int Channels { get; init; } = 64;
    public int ResidualBlocks { get; init; } = 2;
    public int Groups { get; init; } = 8;
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
}

/// <summary>Held-out evaluation.</summary>
public sealed record EvaluationSection
{
    /// <summary>Test images to evaluate (0 = all 10,000).</summary>
    public int TestLimit { get; init; }
    public int FewShotEpisodes { get; init; } = 1000;
    /// <summary>Queries per class in each few-shot episode.</summary>
    public int FewShotQueries { get; init; } = 5;
    public int ProbeEpochs { get; init; } = 5;
    /// <summary>
    /// Epochs of the dense probes (BERT features, raw pixels); null = <see cref="DefaultFeatureProbeEpochs"/>.
    /// Left out of the JSON when unset, so the recipe hashes of checkpoints written before it existed still hold.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? FeatureProbeEpochs { get; init; }
    public const int DefaultFeatureProbeEpochs = 20;
    [System.Text.Json.Serialization.JsonIgnore]
    public int FeatureProbeEpochsOrDefault => FeatureProbeEpochs ?? DefaultFeatureProbeEpochs;
    /// <summary>Training images the linear probe learns from (0 = all 60,000).</summary>
    public int ProbeTrainLimit { get; init; } = 20000;
}

public enum EncoderType { Conv, Vit }
public enum DecoderType { Conv, Vit }
