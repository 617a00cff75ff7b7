namespace Sockit.Cli;

/// <summary>"Did you mean …?": the known word closest to a mistyped one, when it is close enough to be the one meant.</summary>
internal static class Suggestions
{
    /// <summary>The candidate nearest to <paramref name="word"/>, or null when none is within a typo or two of it.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        // A third of the word may be wrong (at least 2 edits), so 'conect' finds connect but 'x' finds nothing.
        return best is not null && bestDistance <= Math.Max(2, word.Length / 3) && bestDistance < word.Length ? best : null;
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) that turn one word into the other.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
