// The bare relay the exchange is measured against: the same Kestrel and SocketsHttpHandler settings,
// a hashed key compared in constant time, the body read and its `model` found, the upstream's
// answer copied back chunk by chunk. No border, no routing, no trade record, no metrics. What the
// exchange costs above this is what its own work costs (docs/PERFORMANCE.md, "Calibration").
//   dotnet run -c Release --project bench/BareRelay -- http://127.0.0.1:18080/v1/ 18560 KEY
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

if (args.Length != 3 || !Uri.TryCreate(args[0], UriKind.Absolute, out var upstream) || !int.TryParse(args[1], out var port))
{
    Console.Error.WriteLine("usage: BareRelay UPSTREAM_BASE_URL PORT KEY");
    return 2;
}

var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + args[2]));
var target = new Uri(upstream, "chat/completions");
// As the exchange: no appsettings.json is read, so the content root is not watched for one (the
// watcher's thread took up to 9 µs a request when files under the working directory changed).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(IPAddress.Loopback, port);
    k.AddServerHeader = false;
});
builder.WebHost.UseSockets(o =>
{
    o.UnsafePreferInlineScheduling = true;
    o.WaitForDataBeforeAllocatingBuffer = false;
});
using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    UseCookies = false,
    AutomaticDecompression = DecompressionMethods.None,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    ActivityHeadersPropagator = null,
});
var app = builder.Build();
app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
{
    var given = SHA256.HashData(Encoding.UTF8.GetBytes(ctx.Request.Headers.Authorization.ToString()));
    if (!CryptographicOperations.FixedTimeEquals(given, keyHash))
    {
        ctx.Response.StatusCode = 401;
        return;
    }

    using var copy = new MemoryStream();
    await ctx.Request.Body.CopyToAsync(copy, ctx.RequestAborted);
    var body = copy.ToArray();
    if (!HasModel(body))
    {
        ctx.Response.StatusCode = 400;
        return;
    }

    using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
    request.Content.Headers.ContentType = new("application/json");
    using var response = await invoker.SendAsync(request, ctx.RequestAborted);
    ctx.Response.StatusCode = (int)response.StatusCode;
    ctx.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    await using var source = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
    var buffer = new byte[8192];
    int n;
    while ((n = await source.ReadAsync(buffer, ctx.RequestAborted)) > 0)
    {
        await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }
});
app.Run();
return 0;

// What any relay must read before it can route: the model, and whether the answer streams.
static bool HasModel(byte[] body)
{
    var reader = new Utf8JsonReader(body);
    string? model = null;
    while (reader.Read())
    {
        if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
        {
            continue;
        }

        if (reader.ValueTextEquals("model"u8))
        {
            reader.Read();
            model = reader.GetString();
        }
        else
        {
            reader.Skip();
        }
    }

    return !string.IsNullOrEmpty(model);
}
