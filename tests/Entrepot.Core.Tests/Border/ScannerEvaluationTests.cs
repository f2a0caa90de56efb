using System.Text.Json;
using Entrepot.Core.Border.Scanning;
using Xunit.Abstractions;

namespace Entrepot.Core.Tests.Border;

/// <summary>
/// Precision and recall of each detector on the project's labelled corpus (Border/Corpus, made by
/// make_corpus.py: positives in nine languages and hard negatives). A found entity counts as
/// correct when type and exact text match a labelled one. Target: F1 >= 0.95 per type.
/// </summary>
public class ScannerEvaluationTests(ITestOutputHelper output)
{
    private sealed record Labelled(string Id, string Text, List<(string Type, string Text)> Entities);

    private static List<Labelled> Corpus()
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "Entrepot.Core.Tests", "Border", "Corpus", "scanner-corpus.jsonl");
        var list = new List<Labelled>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var entities = root.GetProperty("entities").EnumerateArray()
                .Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("text").GetString()!)).ToList();
            list.Add(new Labelled(root.GetProperty("id").GetString()!, root.GetProperty("text").GetString()!, entities));
        }

        return list;
    }

    [Fact]
    public void EveryTypeReachesF1Of095()
    {
        var corpus = Corpus();
        Assert.True(corpus.Count >= 500, $"{corpus.Count} snippets");
        var tp = new Dictionary<string, int>();
        var fp = new Dictionary<string, int>();
        var fn = new Dictionary<string, int>();
        var misses = new List<string>();
        foreach (var s in corpus)
        {
            var expected = s.Entities.ToList();
            foreach (var e in Scanner.Scan(s.Text))
            {
                var found = (e.Type.Name(), s.Text[e.Start..e.End]);
                int i = expected.IndexOf(found);
                if (i >= 0)
                {
                    expected.RemoveAt(i);
                    tp[found.Item1] = tp.GetValueOrDefault(found.Item1) + 1;
                }
                else
                {
                    fp[found.Item1] = fp.GetValueOrDefault(found.Item1) + 1;
                    misses.Add($"FP {s.Id} {found.Item1} '{found.Item2}'");
                }
            }

            foreach (var (type, text) in expected)
            {
                fn[type] = fn.GetValueOrDefault(type) + 1;
                misses.Add($"FN {s.Id} {type} '{text}' in: {s.Text}");
            }
        }

        output.WriteLine($"{corpus.Count} snippets, {corpus.Count(s => s.Entities.Count == 0)} without entities");
        output.WriteLine("| type | labelled | found correct | false positives | precision | recall | F1 |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        var failing = new List<string>();
        foreach (var type in EntityTypes.All.Select(t => t.Name()))
        {
            int t = tp.GetValueOrDefault(type), p = fp.GetValueOrDefault(type), n = fn.GetValueOrDefault(type);
            double precision = t + p == 0 ? 1 : (double)t / (t + p);
            double recall = t + n == 0 ? 1 : (double)t / (t + n);
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            output.WriteLine($"| {type} | {t + n} | {t} | {p} | {precision:F3} | {recall:F3} | {f1:F3} |");
            if (f1 < 0.95)
            {
                failing.Add($"{type} F1 {f1:F3}");
            }
        }

        foreach (var m in misses.Take(80))
        {
            output.WriteLine(m);
        }

        Assert.True(failing.Count == 0, string.Join("; ", failing) + "\n" + string.Join("\n", misses.Take(40)));
    }
}
