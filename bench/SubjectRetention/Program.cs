using System.Diagnostics;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;
using Entrepot.Storage.Sqlite;

// Simulates a single-node exchange's bulk-threshold counts over a long run, on a simulated clock:
// every day each buyer sends new people's identifiers to a seller (and names a tenth of yesterday's
// again), the counts are asked once per buyer per day, written to a real SQLite file, and pruned as
// the exchange prunes them. Prints per month what is held: subjects, managed heap after a full
// collection, and the database file.
//
//   dotnet run -c Release --project bench/SubjectRetention -- [months=36] [subjects-per-day=4000] [--no-prune]
var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(int.Parse).ToArray();
var months = numbers.Length > 0 ? numbers[0] : 36;
var perDay = numbers.Length > 1 ? numbers[1] : 4000;
var prune = !args.Contains("--no-prune");
const int Buyers = 8;

var dir = Directory.CreateTempSubdirectory("entrepot-subject-retention-").FullName;
var path = Path.Combine(dir, "exchange.db");
var counter = new SubjectCounter();
var store = new SqliteSubjectStore(new SqliteDatabase(path), counter);
var scopes = Enumerable.Range(0, Buyers).Select(b => new SubjectScope($"buyer-{b}", "US", "cn-seller", DataCategory.Health)).ToArray();
var start = new DateTimeOffset(2027, 1, 1, 12, 0, 0, TimeSpan.Zero);
UInt128 next = 1;
long recorded = 0, pruned = 0;
var watch = Stopwatch.StartNew();

Console.WriteLine($"{months} months, {perDay} new subjects a day over {Buyers} buyers, pruning {(prune ? "on" : "off")}");
Console.WriteLine("| month | subjects recorded | subjects held | managed heap MB | database MB | elapsed s |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
for (var day = start; day < start.AddMonths(months); day = day.AddDays(1))
{
    foreach (var scope in scopes)
    {
        var fresh = perDay / Buyers;
        var ids = new List<SubjectId>(fresh + fresh / 10);
        for (int i = 0; i < fresh; i++)
        {
            ids.Add(new SubjectId(next + (UInt128)i));
        }

        for (int i = 0; i < fresh / 10 && next > (UInt128)perDay; i++)
        {
            ids.Add(new SubjectId(next - (UInt128)perDay + (UInt128)(i * 7)));
        }

        next += (UInt128)fresh;
        _ = counter.CountWith(scope, ThresholdPeriod.Rolling12Months.Start(day), ids);
        counter.Record(scope, day, ids);
        recorded += ids.Count;
    }

    await store.FlushAsync();
    if (prune)
    {
        pruned += counter.Prune(ThresholdPeriods.Horizon(day));
    }

    if (day.AddDays(1).Month != day.Month)
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
        var file = new[] { path, path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length) / 1048576.0;
        Console.WriteLine($"| {(day.Year - start.Year) * 12 + day.Month} | {recorded:N0} | {counter.Count:N0} | {heap:F1} | {file:F1} | {watch.Elapsed.TotalSeconds:F0} |");
    }
}

await store.DisposeAsync();
Console.WriteLine($"pruned {pruned:N0} subjects; data in {dir}");
Directory.Delete(dir, recursive: true);
