using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>
/// A seller cannot exhaust the exchange: a stream that stalls, a request that outlives its deadline, an
/// event that never ends and an answer larger than the cap each end the attempt cleanly. Before the
/// buyer has a byte the exchange goes to the next seller; after, the buyer keeps what was delivered,
/// told why the stream ended, and the trade is billed once for it.
/// </summary>
public sealed class SellerLimitTests
{
    private const string Key = "ent-seller-limits-buyer-key-01";

    private static async Task<ExchangeHost> StartAsync(string dir, int maxResponseBytes, params ProviderSpec[] providers)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, Jurisdiction = "DE", MaxResponseBytes = maxResponseBytes, DefaultSort = "price" },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [Key] }],
            Providers = providers.ToList(),
        };
        var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        return host;
    }

    private static ProviderSpec Seller(RogueSeller s, decimal price = 1m) => new()
    {
        Id = s.Id, Kind = "exporter", BaseUrl = s.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = price, Output = price },
        ReceiptPublicKey = s.PublicKey, StreamIdleSeconds = 1, TotalTimeoutSeconds = 4,
    };

    private static HttpClient Client(ExchangeHost host) => host.Client(Key, TimeSpan.FromSeconds(30));

    private static StringContent Body(bool stream) => new(
        $$"""{"model":"m","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Tell me everything."}]}""", Encoding.UTF8, "application/json");

    private static long Ledger(ExchangeHost host, string requestId)
    {
        using var c = host.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM ledger WHERE receipt_id = $r";
        cmd.Parameters.AddWithValue("$r", requestId);
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task ASellerThatDropsTheConnectionMidStream_TheBuyerKeepsWhatArrived_BilledOnceAsInterrupted()
    {
        await using var seller = await RogueSeller.StartAsync("dropper");
        await using var host = await StartAsync(Directory.CreateTempSubdirectory("entrepot-limits-").FullName, 8 * 1024 * 1024, Seller(seller));
        using var http = Client(host);

        seller.Plan = _ => new SellerAnswer { Text = "one two three four five", DropAfterEvent = 1 };
        var r = await http.PostAsync("v1/chat/completions", Body(stream: true));
        var text = await r.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)r.StatusCode); // the buyer had its first byte: no failover now
        Assert.Contains("\"one\"", text, StringComparison.Ordinal);
        Assert.Contains("\" two\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("three", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        Assert.Contains("seller_stream_cut", text, StringComparison.Ordinal);
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var row = host.Trades.Recent(10).Single(u => u.RequestId == id);
        Assert.Equal("interrupted", row.Outcome);
        Assert.Equal(2, row.OutputTokens); // the two words delivered, by the exchange's own count
        Assert.Equal(1, Ledger(host, id));
        Assert.Equal(1, seller.Calls); // not sent again elsewhere: the buyer already had part of it
    }

    [Fact]
    public async Task AStreamingRequest_FailsOverBeforeTheFirstByte_TheBuyerSeesOneWholeStream()
    {
        await using var failing = await RogueSeller.StartAsync("failing");
        await using var good = await RogueSeller.StartAsync("good");
        await using var host = await StartAsync(Directory.CreateTempSubdirectory("entrepot-limits-").FullName, 8 * 1024 * 1024,
            Seller(failing, price: 0.5m), Seller(good, price: 2m));
        using var http = Client(host);

        failing.Plan = _ => new SellerAnswer { Status = 503 };
        good.Plan = _ => new SellerAnswer { Text = "alpha beta gamma" };
        var r = await http.PostAsync("v1/chat/completions", Body(stream: true));
        var text = await r.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("good", r.Headers.GetValues("Entrepot-Provider").Single());
        Assert.Contains("\"alpha\"", text, StringComparison.Ordinal);
        Assert.Contains("\" gamma\"", text, StringComparison.Ordinal);
        Assert.Contains("data: [DONE]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("503", text, StringComparison.Ordinal); // nothing of the failed attempt reached the buyer
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var row = host.Trades.Recent(10).Single(u => u.RequestId == id);
        Assert.Equal(("completed", 2, "good"), (row.Outcome, row.Attempts, row.ProviderId));
        Assert.Equal(1, Ledger(host, id));
    }

    [Fact]
    public async Task AStalledStream_AnEndlessEvent_AreCutOff_TheBuyerKeepsWhatArrived_BilledOnce()
    {
        await using var seller = await RogueSeller.StartAsync("staller");
        await using var host = await StartAsync(Directory.CreateTempSubdirectory("entrepot-limits-").FullName, 8 * 1024 * 1024, Seller(seller));
        using var http = Client(host);

        // Three words, then silence with the connection open: cut off after a second of it.
        seller.Plan = _ => new SellerAnswer { Text = "one two three four five", StallAfterEvent = 2 };
        var watch = Stopwatch.StartNew();
        var r = await http.PostAsync("v1/chat/completions", Body(stream: true));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains("\"one\"", text, StringComparison.Ordinal);
        Assert.Contains("\" three\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("four", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        Assert.Contains("seller_stream_cut", text, StringComparison.Ordinal);
        Assert.Contains("sent nothing for 1 s", text, StringComparison.Ordinal);
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var row = host.Trades.Recent(10).Single(u => u.RequestId == id);
        Assert.Equal("interrupted", row.Outcome);
        Assert.Equal(3, row.OutputTokens); // what was delivered, by the exchange's own count
        Assert.Equal(1, Ledger(host, id));

        // An event that never ends (2 MB without a blank line): cut off at the event limit (1 MB).
        seller.Plan = _ => new SellerAnswer { Text = "hello " + new string('x', 2 * 1024 * 1024) };
        r = await http.PostAsync("v1/chat/completions", Body(stream: true));
        text = await r.Content.ReadAsStringAsync();
        Assert.Contains("\"hello\"", text, StringComparison.Ordinal);
        Assert.Contains("seller_stream_cut", text, StringComparison.Ordinal);
        Assert.Contains("passed 1048576 bytes without ending", text, StringComparison.Ordinal);
        Assert.True(text.Length < 64 * 1024, $"{text.Length} bytes relayed");
        await host.FlushAsync();
        id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        Assert.Equal("interrupted", host.Trades.Recent(10).Single(u => u.RequestId == id).Outcome);
        Assert.Equal(1, Ledger(host, id));
    }

    [Fact]
    public async Task BeforeTheFirstByte_ALimitMovesTheRequestOn_AndTheDeadlineAnswers504()
    {
        await using var bloated = await RogueSeller.StartAsync("bloated");
        await using var honest = await RogueSeller.StartAsync("honest");
        await using var host = await StartAsync(Directory.CreateTempSubdirectory("entrepot-limits-").FullName, 64 * 1024, Seller(bloated, 1m), Seller(honest, 2m));
        using var http = Client(host);

        // An answer past the response cap (64 KB here): the cheaper seller is dropped, the next one answers.
        bloated.Plan = _ => new SellerAnswer { Text = new string('y', 100 * 1024) };
        var r = await http.PostAsync("v1/chat/completions", Body(stream: false));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("honest", r.Headers.GetValues("Entrepot-Provider").Single());

        // Streamed past the cap once the buyer has bytes: cut off there, billed once for what arrived.
        bloated.Plan = _ => new SellerAnswer { Text = string.Join(' ', Enumerable.Repeat("word", 2000)) };
        r = await http.PostAsync("v1/chat/completions", Body(stream: true));
        var text = await r.Content.ReadAsStringAsync();
        Assert.Equal("bloated", r.Headers.GetValues("Entrepot-Provider").Single());
        Assert.Contains("sent more than 65536 bytes", text, StringComparison.Ordinal);
        Assert.True(text.Length < 80 * 1024, $"{text.Length} bytes relayed");
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var row = host.Trades.Recent(10).Single(u => u.RequestId == id);
        Assert.Equal("interrupted", row.Outcome);
        Assert.Equal(64, row.OutputTokens); // hundreds of words arrived, but never more than the buyer's max_tokens
        Assert.Equal(1, Ledger(host, id));

        // A seller that takes past the request's total deadline (4 s): 504, never a hang.
        bloated.Plan = _ => new SellerAnswer { Delay = TimeSpan.FromSeconds(20) };
        honest.Plan = _ => new SellerAnswer { Delay = TimeSpan.FromSeconds(20) };
        var watch = Stopwatch.StartNew();
        r = await http.PostAsync("v1/chat/completions", Body(stream: false));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal(504, (int)r.StatusCode);
        Assert.Contains("deadline_exceeded", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
