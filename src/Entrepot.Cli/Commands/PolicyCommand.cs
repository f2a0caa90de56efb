using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;
using Entrepot.Core.Border.Scanning;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Cli.Commands;

/// <summary>
/// <c>entrepot policy</c>: the border rules from the command line. <c>check</c> decides one flow,
/// <c>lint</c> validates packs, <c>diff</c> replays recorded declarations against new packs.
/// </summary>
internal static class PolicyCommand
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static Command Create() => new("policy", "Check flows against the border rule packs, validate packs, compare pack versions.")
    {
        Check(),
        Lint(),
        Diff(),
    };

    /// <summary>./rules if present, else the packs shipped beside the program.</summary>
    public static string DefaultRulesDir() =>
        Directory.Exists("rules") ? Path.GetFullPath("rules") : Path.Combine(AppContext.BaseDirectory, "rules");

    private static Command Check()
    {
        var from = new Option<string>("--from") { Description = "Origin jurisdiction (ISO 3166, e.g. DE or UA-43).", Required = true };
        var to = new Option<string>("--to") { Description = "Destination (the seller's) jurisdiction.", Required = true };
        var dataClass = new Option<string?>("--data-class") { Description = "Declared class, as the Entrepot-Data-Class header (e.g. government-related, sensitive-personal:health)." };
        var text = new Option<string?>("--text") { Description = "Text to scan, as a request would carry it." };
        var textFile = new Option<FileInfo?>("--text-file") { Description = "File whose text to scan." };
        var json = new Option<bool>("--json") { Description = "Print the decision as JSON." };
        var rules = new Option<string?>("--rules") { Description = "Rule pack directory (default: ./rules, else the shipped packs)." };
        var date = new Option<string?>("--date") { Description = "Decide as of this date (YYYY-MM-DD; default today)." };
        var owner = new Option<string?>("--ownership") { Description = "Country that owns the seller." };
        var sellerHolds = new Option<string[]>("--seller-holds") { Description = "Attestation or contract the seller holds (repeatable): scc, eu-us-dpf, zero-retention...; scoped as scc;for=DE+FR;with=BUYER;from=YYYY-MM-DD;until=YYYY-MM-DD (for: the buyers' origins; with: buyer accounts, the what-if buyer is what-if).", AllowMultipleArgumentsPerToken = true };
        var buyerHolds = new Option<string[]>("--buyer-holds") { Description = "Attestation the buyer holds (repeatable): ru-localised, cac-security-assessment...; scoped as cac-security-assessment;for=SG;with=SELLER;until=YYYY-MM-DD (for: the sellers' places; with: seller ids, the what-if seller is seller).", AllowMultipleArgumentsPerToken = true };
        var prior = new Option<string[]>("--prior")
        {
            Description = "People of a category this buyer already sent in the rules' counting period (repeatable), CATEGORY=N: health=9990, sensitive=9999, personal-identifiers=99999. They count toward every unit a rule counts in.",
            AllowMultipleArgumentsPerToken = true,
        };
        var declaredSubjects = new Option<long?>("--subjects") { Description = "How many people the data is about, as the Entrepot-Data-Subjects header states it." };
        var cmd = new Command("check", "Decide one flow: allow, redact or deny, with the rules and citations. Exit code 0 allow/redact, 2 deny.")
        {
            from, to, dataClass, text, textFile, json, rules, date, owner, sellerHolds, buyerHolds, prior, declaredSubjects,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var origin = pr.GetValue(from)!.ToUpperInvariant();
            var destination = pr.GetValue(to)!.ToUpperInvariant();
            foreach (var (option, code) in new[] { ("--from", origin), ("--to", destination) })
            {
                if (!Account.IsJurisdiction(code))
                {
                    return CommonOptions.Fail($"{option}: '{code}' is not an ISO 3166 code; give one such as DE, SG or UA-43.");
                }

                if (!Countries.Exists(code))
                {
                    return CommonOptions.Fail($"{option}: '{code[..2]}' is not a country (ISO 3166-1); no verdict is given for a place that does not exist.");
                }
            }

            if (pr.GetValue(text) is not null && pr.GetValue(textFile) is not null)
            {
                return CommonOptions.Fail("give --text or --text-file, not both.");
            }

            string body = pr.GetValue(text) ?? "";
            if (pr.GetValue(textFile) is { } f)
            {
                if (!f.Exists)
                {
                    return CommonOptions.Fail($"--text-file: {f.FullName} does not exist.");
                }

                body = await File.ReadAllTextAsync(f.FullName, ct).ConfigureAwait(false);
            }

            var now = DateTimeOffset.UtcNow;
            if (pr.GetValue(date) is { } d)
            {
                if (!DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    return CommonOptions.Fail("--date must be YYYY-MM-DD.");
                }

                now = new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
            }

            if (!DataProfiler.TryParseDeclared(pr.GetValue(dataClass), out var bits, out var categories, out var classError))
            {
                return CommonOptions.Fail("--data-class: " + classError);
            }

            RuleBook book;
            try
            {
                book = RulePackLoader.LoadDirectory(pr.GetValue(rules) ?? DefaultRulesDir(), now);
            }
            catch (RuleLoadException e)
            {
                return CommonOptions.Fail("rule packs not usable:\n" + e.Message);
            }

            foreach (var (option, values) in new[] { ("--seller-holds", pr.GetValue(sellerHolds)), ("--buyer-holds", pr.GetValue(buyerHolds)) })
            {
                foreach (var v in values ?? [])
                {
                    if (Holding.Parse(v, out var why) is null)
                    {
                        return CommonOptions.Fail($"{option}: {why} (a name, optionally scoped: scc;for=DE;with=sg-1;from=2026-01-01;until=2026-12-31).");
                    }
                }
            }

            if (pr.GetValue(declaredSubjects) is { } ds && (ds < 1 || ds > PolicyEngine.MaxDeclaredSubjects))
            {
                return CommonOptions.Fail($"--subjects: a whole number of people from 1 to {PolicyEngine.MaxDeclaredSubjects}.");
            }

            const string Buyer = "what-if";
            var inspection = Inspection.Run([body], bits, categories, DataClass.Public, new byte[32]);
            var subjects = inspection.Subjects;
            if (pr.GetValue(declaredSubjects) is { } n)
            {
                subjects = DataProfiler.WithDeclared(inspection.Subjects, inspection.Profile.Categories, n); // as the exchange reads the header
            }

            var trade = new TradeContext(origin, inspection.Profile, now, subjects, pr.GetValue(buyerHolds), Buyer, pr.GetValue(declaredSubjects));
            var seller = new Counterparty("seller", destination, pr.GetValue(owner)?.ToUpperInvariant(), pr.GetValue(sellerHolds), null);
            var counter = new SubjectCounter();
            var next = (UInt128)1;
            foreach (var p in pr.GetValue(prior) ?? [])
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq < 1 || !DataClasses.TryParseCounted(p.AsSpan(0, eq), out var category)
                    || !int.TryParse(p.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 2_000_000)
                {
                    return CommonOptions.Fail($"--prior: '{p}' is not CATEGORY=N (a category such as health, financial, sensitive or personal-identifiers; N a whole number up to 2,000,000).");
                }

                // Sent a day before, to this seller: in every unit a rule may count them in.
                for (var i = 0; i < count; i++)
                {
                    var id = new SubjectId(next++);
                    foreach (var scope in SubjectScope.EveryUnit(category, Buyer, origin, seller))
                    {
                        counter.Load(scope, id, now.AddDays(-1));
                    }
                }
            }

            var decision = new PolicyEngine(counter).Decide(book, trade, seller);
            if (pr.GetValue(json))
            {
                Console.WriteLine(DecisionJson(decision, inspection.Profile));
            }
            else
            {
                Console.WriteLine($"{origin} -> {destination}: {decision.Verdict.Name().ToUpperInvariant()} (data class {inspection.Profile.Effective.Name()}" +
                    (inspection.Profile.Detected.Count > 0 ? "; found " + string.Join(", ", inspection.Profile.Detected.Select(kv => $"{kv.Value} {kv.Key.Name()}")) : "") + ")");
                foreach (var r in decision.Rules)
                {
                    Console.WriteLine($"  {r.Applied.Name(),-8} {r.Rule.Id}: {r.Rule.Title}");
                    Console.WriteLine($"           {r.Rule.Citation}{(r.Note is null ? "" : " — " + r.Note)}");
                }

                if (decision.Rules.Count == 0)
                {
                    Console.WriteLine("  no rule applies to this flow");
                }
            }

            return decision.Verdict == Verdict.Deny ? 2 : 0;
        });
        return cmd;
    }

    private static string DecisionJson(CandidateDecision decision, DataProfile profile)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("verdict", decision.Verdict.Name());
            w.WriteString("data_class", profile.Effective.Name());
            w.WriteStartArray("rules");
            foreach (var r in decision.Rules)
            {
                w.WriteStartObject();
                w.WriteString("id", r.Rule.Id);
                w.WriteString("title", r.Rule.Title);
                w.WriteString("citation", r.Rule.Citation);
                w.WriteString("effect", r.Applied.Name());
                if (r.Note is not null)
                {
                    w.WriteString("note", r.Note);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("detected");
            foreach (var (type, count) in profile.Detected.OrderBy(kv => kv.Key))
            {
                w.WriteStartObject();
                w.WriteString("type", type.Name());
                w.WriteNumber("count", count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static Command Lint()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory of rule packs (YAML)." };
        var cmd = new Command("lint", "Validate rule packs; errors name the file, line and field.") { dir };
        cmd.SetAction(pr =>
        {
            var errors = new List<RuleLoadError>();
            var book = RulePackLoader.TryLoadDirectory(pr.GetValue(dir)!, DateTimeOffset.UtcNow, errors);
            if (book is null)
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine(e);
                }

                Console.Error.WriteLine($"{errors.Count} error{(errors.Count == 1 ? "" : "s")}");
                return 1;
            }

            foreach (var p in book.Packs)
            {
                Console.WriteLine($"{p.File}: {p.Id}, {p.Rules.Count} rules ({p.Law})");
            }

            Console.WriteLine($"ok: {book.Packs.Count} packs, {book.Rules.Count} rules, {book.Groups.Count} groups; fingerprint {book.Fingerprint}");
            return 0;
        });
        return cmd;
    }

    private static Command Diff()
    {
        var oldDir = new Argument<string>("OLD") { Description = "Directory of the packs in force." };
        var newDir = new Argument<string>("NEW") { Description = "Directory of the proposed packs." };
        var replay = new Option<string>("--replay") { Description = "The exchange database (exchange.db), or the data directory of an exchange or of the demo, whose declarations are replayed.", Required = true };
        var at = new Option<string?>("--at") { Description = "Decide as of this date (YYYY-MM-DD; default today)." };
        var json = new Option<bool>("--json") { Description = "Print the changed flows as JSON lines." };
        var cmd = new Command("diff", "Replay recorded declarations against new packs and list the flows whose verdict would change.")
        {
            oldDir, newDir, replay, at, json,
        };
        cmd.SetAction(pr =>
        {
            var now = DateTimeOffset.UtcNow;
            if (pr.GetValue(at) is { } a)
            {
                if (!DateOnly.TryParseExact(a, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    return CommonOptions.Fail("--at must be YYYY-MM-DD.");
                }

                now = new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
            }

            RuleBook before, after;
            try
            {
                before = RulePackLoader.LoadDirectory(pr.GetValue(oldDir)!, now);
                after = RulePackLoader.LoadDirectory(pr.GetValue(newDir)!, now);
            }
            catch (RuleLoadException e)
            {
                return CommonOptions.Fail("rule packs not usable:\n" + e.Message);
            }

            var path = pr.GetValue(replay)!;
            if (Directory.Exists(path))
            {
                // An exchange's data directory, or the demo's (whose exchange keeps its own subdirectory).
                var direct = Path.Combine(path, "exchange.db");
                path = File.Exists(direct) ? direct : Path.Combine(path, "exchange", "exchange.db");
            }

            if (!File.Exists(path))
            {
                return CommonOptions.Fail($"--replay: {path} does not exist.");
            }

            var db = new SqliteDatabase(path);
            var providers = new SqliteProviderStore(db, TimeProvider.System).List()
                .Select(s => s.ToProvider(out _)).OfType<Core.Market.Provider>().ToDictionary(p => p.Id, StringComparer.Ordinal);
            var log = new SqliteTradeHistory(db);
            var changes = new Dictionary<string, (int Count, string Line, JsonObject Json)>(StringComparer.Ordinal);
            int replayed = 0;
            long after0 = 0;
            var engine = new PolicyEngine(new SubjectCounter());
            void Replay(Action<int>? tick)
            {
                while (true)
                {
                    var page = log.Declarations(new Storage.DeclarationQuery { After = after0, Limit = 5000 });
                    if (page.Count == 0)
                    {
                        break;
                    }

                    after0 = page[^1].Seq;
                    tick?.Invoke(replayed);
                    foreach (var d in page)
                    {
                        var destination = d.Destination ?? (d.ProviderId is not null && providers.TryGetValue(d.ProviderId, out var pp) ? pp.Jurisdiction : null);
                        if (destination is null)
                        {
                            continue;
                        }

                        replayed++;
                        var seller = d.ProviderId is not null && providers.TryGetValue(d.ProviderId, out var p)
                            ? p.Counterparty
                            : new Counterparty(d.ProviderId ?? "seller", destination);
                        var trade = new TradeContext(d.Origin, Profile(d), now, TradeContext.NoSubjects);
                        var was = engine.Decide(before, trade, seller);
                        var will = engine.Decide(after, trade, seller);
                        if (was.Verdict == will.Verdict && was.Deciding.Select(r => r.Rule.Id).SequenceEqual(will.Deciding.Select(r => r.Rule.Id)))
                        {
                            continue;
                        }

                        var key = $"{d.Origin}>{destination}|{seller.Id}|{d.DataClass}|{d.Categories}|{was.Verdict}>{will.Verdict}";
                        var line = $"{d.Origin} -> {destination} ({seller.Id}), {d.DataClass}{(d.Categories.Length > 0 ? " [" + d.Categories + "]" : "")}: " +
                            $"{was.Verdict.Name()} ({Ids(was)}) -> {will.Verdict.Name()} ({Ids(will)})";
                        var js = new JsonObject
                        {
                            ["origin"] = d.Origin, ["destination"] = destination, ["seller"] = seller.Id, ["data_class"] = d.DataClass,
                            ["categories"] = d.Categories, ["was"] = was.Verdict.Name(), ["was_rules"] = Ids(was),
                            ["now"] = will.Verdict.Name(), ["now_rules"] = Ids(will),
                        };
                        changes[key] = changes.TryGetValue(key, out var c) ? (c.Count + 1, line, js) : (1, line, js);
                    }
                }
            }

            if (Console.IsErrorRedirected)
            {
                Replay(null);
            }
            else
            {
                // Progress on the terminal (stderr), so the report on stdout stays clean for pipes.
                var terminal = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(Console.Error) });
                new Spectre.Console.Status(terminal).Start("replaying declarations ...", status => Replay(n => status.Status = $"replayed {n:N0} declarations ..."));
            }

            foreach (var (_, (count, line, js)) in changes.OrderByDescending(kv => kv.Value.Count))
            {
                if (pr.GetValue(json))
                {
                    js["declarations"] = count;
                }

                Console.WriteLine(pr.GetValue(json) ? js.ToJsonString() : $"{count,6} x {line}");
            }

            Console.Error.WriteLine($"{replayed} declarations replayed; {changes.Values.Sum(c => c.Count)} would change, in {changes.Count} flows (packs {before.Fingerprint} -> {after.Fingerprint})");
            return 0;
        });
        return cmd;
    }

    private static string Ids(CandidateDecision d) => string.Join(",", d.Deciding.Select(r => r.Rule.Id));

    /// <summary>The profile a declaration records: its class, its categories, and the classes its
    /// detected entity types imply. Subject counts are not recorded, so thresholds replay at zero.</summary>
    private static DataProfile Profile(Declaration d)
    {
        int bits = 0;
        if (DataClasses.TryParseClass(d.DataClass, out var cls))
        {
            bits |= 1 << (int)cls;
        }

        var categories = DataCategory.None;
        foreach (var c in d.Categories.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (DataClasses.TryParseCategory(c, out var cat))
            {
                categories |= cat;
            }
        }

        var detected = new Dictionary<EntityType, int>();
        foreach (var part in d.Detected.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split(':');
            if (kv.Length == 2 && EntityTypes.TryParse(kv[0], out var t) && int.TryParse(kv[1], CultureInfo.InvariantCulture, out var n))
            {
                detected[t] = n;
                bits |= 1 << (int)DataProfiler.Implied(t).Class;
            }
        }

        return new DataProfile(bits, categories, detected);
    }
}
