using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// Two `entrepot exchange` processes as one cluster (the Redis and PostgreSQL of ENTREPOT_TEST_REDIS
// and ENTREPOT_TEST_POSTGRES), and a change made through one node timed until the other acts on it:
// a key issued, rate limits set, a key revoked, a seller added, a cable cut and restored. The clock
// starts when the admin call has answered (the change is committed) and stops at the first answer
// of the other node that shows it; the other node is asked every millisecond.
//   dotnet run -c Release --project bench/Propagation -- ENTREPOT_DLL [ROUNDS]
var dll = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("usage: Propagation ENTREPOT_DLL [ROUNDS]");
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var redis = Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS") ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set");
var postgres = Environment.GetEnvironmentVariable("ENTREPOT_TEST_POSTGRES") ?? throw new InvalidOperationException("ENTREPOT_TEST_POSTGRES is not set");
const string AdminKey = "ent-propagation-admin-key-000";
const string BuyerKey = "ent-propagation-buyer-key-000";

var work = Directory.CreateTempSubdirectory("entrepot-propagation-");
var database = "propagation_" + Guid.NewGuid().ToString("N")[..8];
await using (var conn = new Npgsql.NpgsqlConnection(postgres))
{
    await conn.OpenAsync();
    await using var create = new Npgsql.NpgsqlCommand($"create database {database}", conn);
    await create.ExecuteNonQueryAsync();
}

var ledger = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;

// The seller both nodes route to: answers every chat at once.
var seller = WebApplication.CreateSlimBuilder();
seller.WebHost.UseUrls("http://127.0.0.1:0");
seller.Logging.ClearProviders();
var sellerApp = seller.Build();
sellerApp.MapPost("/v1/chat/completions", () => Results.Text(
    """{"id":"c","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""",
    "application/json"));
await sellerApp.StartAsync();
var sellerUrl = sellerApp.Urls.First() + "/v1";

var nodes = new List<Process>();
try
{
    var a = await StartNode("a");
    var b = await StartNode("b");
    using var adminA = Client(a, AdminKey);
    using var adminB = Client(b, AdminKey);
    var timings = new Dictionary<string, List<double>>();
    void Record(string what, TimeSpan t) => (timings.TryGetValue(what, out var l) ? l : timings[what] = []).Add(t.TotalMilliseconds);

    // Both nodes serve before the clock starts.
    using (var buyerB = Client(b, BuyerKey))
    {
        await Until(async () => (await Chat(buyerB)).StatusCode == HttpStatusCode.OK, "node b never served the buyer");
    }

    for (var round = 0; round < rounds; round++)
    {
        var issued = JsonNode.Parse(await Ok(await adminA.PostAsync("admin/accounts/buyer/keys", null)))!;
        string key = (string)issued["key"]!, keyId = (string)issued["key_id"]!;
        using var onA = Client(a, key);
        using var onB = Client(b, key);
        Record("key issued on a, accepted by b", await Until(async () => (await onB.GetAsync("v1/models")).StatusCode == HttpStatusCode.OK, "b never accepted the key"));

        await Ok(await adminA.PutAsJsonAsync($"admin/keys/{keyId}/limits", new { requests_per_minute = 1 }));
        Record("rate limit set on a, enforced by b", await Until(async () => (await Chat(onB)).StatusCode == HttpStatusCode.TooManyRequests, "b never enforced the limit"));

        await Ok(await adminB.DeleteAsync($"admin/keys/{keyId}"));
        Record("key revoked on b, refused by a", await Until(async () => (await onA.GetAsync("v1/models")).StatusCode == HttpStatusCode.Unauthorized, "a still accepts the key"));

        var model = "m" + round.ToString(CultureInfo.InvariantCulture);
        await Ok(await adminA.PutAsJsonAsync($"admin/providers/p{round}", new { kind = "openai", base_url = sellerUrl, jurisdiction = "US", models = new[] { model }, price = new { input = 0.1, output = 0.1 } }));
        using var buyerB = Client(b, BuyerKey);
        Record("seller added on a, offered by b", await Until(async () => (await buyerB.GetAsync($"v1/models/{model}")).StatusCode == HttpStatusCode.OK, "b never offered the seller"));

        await Ok(await adminA.PostAsJsonAsync("admin/network/cuts", new { cable = "marea" }));
        Record("cable cut on a, routed around by b", await Until(async () => Cut(await adminB.GetStringAsync("admin/network")), "b never heard of the cut"));
        await Ok(await adminA.DeleteAsync("admin/network/cuts/marea"));
        Record("cable restored on a, used again by b", await Until(async () => !Cut(await adminB.GetStringAsync("admin/network")), "b never heard of the repair"));
    }

    Console.WriteLine($"{rounds} rounds; milliseconds from the admin call's answer on one node to the other node acting on it");
    Console.WriteLine($"{"change",-40} {"p50",8} {"p90",8} {"max",8}");
    foreach (var (what, list) in timings)
    {
        list.Sort();
        Console.WriteLine($"{what,-40} {Pct(list, 0.5),8:F1} {Pct(list, 0.9),8:F1} {list[^1],8:F1}");
    }
}
finally
{
    foreach (var p in nodes)
    {
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    await sellerApp.StopAsync();
    work.Delete(recursive: true);
}

static double Pct(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

// admin/network lists the cables cut.
static bool Cut(string network) => JsonNode.Parse(network)!["cut"]!.AsArray().Any(c => (string?)c == "marea");

static async Task<string> Ok(HttpResponseMessage response)
{
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
    }

    return body;
}

static async Task<TimeSpan> Until(Func<Task<bool>> holds, string never)
{
    var watch = Stopwatch.StartNew();
    while (!await holds())
    {
        if (watch.Elapsed > TimeSpan.FromSeconds(30))
        {
            throw new TimeoutException(never);
        }

        await Task.Delay(1);
    }

    return watch.Elapsed;
}

static Task<HttpResponseMessage> Chat(HttpClient http) => http.PostAsync("v1/chat/completions",
    new StringContent("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

static HttpClient Client(Uri node, string key)
{
    var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(30) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return http;
}

async Task<Uri> StartNode(string id)
{
    var port = FreePort();
    var config = new JsonObject
    {
        ["exchange"] = new JsonObject
        {
            ["jurisdiction"] = "DE", ["port"] = port, ["admin_key"] = AdminKey, ["default_sort"] = "price",
            ["signing_key_dir"] = Path.Combine(work.FullName, "key"),
            ["ledger"] = new JsonObject { ["store"] = "postgres", ["connection"] = ledger },
            ["cluster"] = new JsonObject { ["redis"] = redis, ["node_id"] = id, ["prefix"] = database + ":" },
        },
        ["accounts"] = new JsonArray(new JsonObject { ["id"] = "buyer", ["keys"] = new JsonArray(BuyerKey) }),
        ["providers"] = new JsonArray(new JsonObject
        {
            ["id"] = "s", ["kind"] = "openai", ["base_url"] = sellerUrl, ["jurisdiction"] = "US",
            ["models"] = new JsonArray("m"), ["price"] = new JsonObject { ["input"] = 0.1, ["output"] = 0.1 },
        }),
    };
    var file = Path.Combine(work.FullName, id + ".json");
    await File.WriteAllTextAsync(file, config.ToJsonString());
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in new[] { dll, "exchange", "--config", file, "--data-dir", Path.Combine(work.FullName, id) })
    {
        start.ArgumentList.Add(arg);
    }

    var process = Process.Start(start)!;
    nodes.Add(process);
    var output = new StringBuilder();
    var ready = new TaskCompletionSource();
    process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } if (e.Data?.StartsWith("ready", StringComparison.Ordinal) == true) { ready.TrySetResult(); } };
    process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != ready.Task)
    {
        throw new InvalidOperationException($"node {id} did not start:\n{output}");
    }

    return new Uri($"http://127.0.0.1:{port}/");
}

// Below Linux's ephemeral range (32768-60999), so no outgoing connection holds it meanwhile.
static int FreePort()
{
    for (var port = 21000 + Random.Shared.Next(0, 4000); ; port++)
    {
        try
        {
            var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return port;
        }
        catch (System.Net.Sockets.SocketException)
        {
        }
    }
}
