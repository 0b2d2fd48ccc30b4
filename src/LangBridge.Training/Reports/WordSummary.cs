namespace LangBridge.Training.Reports;

/// <summary>The few words that stand for an image in a report.</summary>
public static class WordSummary
{
    /// <summary>
    /// The <paramref name="take"/> most frequent words of one image's tokens, written <c>word×n</c> when
    /// repeated. Ties go to the word nearest the middle of the <paramref name="grid"/>×<paramref name="grid"/>
    /// token grid (where the object usually is; with a positional vocabulary every word is a tie), then
    /// to reading order. Tokens beyond the grid (a coarse level before it) count as the middle.
    /// </summary>
    public static string[] MostFrequent(IReadOnlyList<string> words, int grid, int take = 6)
    {
        int extra = words.Count - grid * grid;
        double centre = (grid - 1) / 2.0;
        double Distance(int index)
        {
            int cell = index - extra;
            if (cell < 0) return 0;
            double dy = cell / grid - centre, dx = cell % grid - centre;
            return dx * dx + dy * dy;
        }
        return words.Select((word, index) => (word, index))
            .GroupBy(t => t.word)
            .Select(g => (Word: g.Key, Count: g.Count(), First: g.Min(t => t.index), Distance: g.Min(t => Distance(t.index))))
            .OrderByDescending(w => w.Count).ThenBy(w => w.Distance).ThenBy(w => w.First)
            .Take(take)
            .Select(w => w.Count > 1 ? $"{w.Word}×{w.Count}" : w.Word)
            .ToArray();
    }
}
