namespace LangBridge.Training.Evaluation;

/// <summary>Reconstruction quality in pixel space.</summary>
public static class ImageMetrics
{
    /// <summary>
    /// PSNR in dB of <paramref name="reconstruction"/> against <paramref name="original"/>, both in [0, 1]
    /// (peak 1), averaged as 10·log10(1 / MSE) over the whole set's MSE.
    /// </summary>
    public static double Psnr(ReadOnlySpan<float> original, ReadOnlySpan<float> reconstruction)
    {
        if (original.Length != reconstruction.Length || original.IsEmpty)
            throw new ArgumentException($"need two equal non-empty arrays, got {original.Length} and {reconstruction.Length}");
        double sum = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double d = original[i] - reconstruction[i];
            sum += d * d;
        }
        double mse = sum / original.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / mse);
    }
}
