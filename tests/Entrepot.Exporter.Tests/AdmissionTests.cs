using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Entrepot.Core.Trust;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Tests;

/// <summary>
/// Nobody but the node's exchanges can take its capacity: an unsigned upload is refused from its
/// headers, without its body being read; one that looks signed is read under a deadline without
/// holding a slot and refused when its signature fails. With dozens of such uploads trickling in,
/// a node of one slot still serves its exchange at once.
/// </summary>
public sealed class AdmissionTests
{
    private static async Task<(TcpClient Client, NetworkStream Stream)> OpenUpload(int port, string headers, int contentLength)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n{headers}\r\n"));
        await stream.WriteAsync("{"u8.ToArray()); // the body starts, and then only trickles
        await stream.FlushAsync();
        return (tcp, stream);
    }

    private static async Task<string> StatusLine(NetworkStream stream, TimeSpan within)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        return await reader.ReadLineAsync().WaitAsync(within) ?? "";
    }

    [Fact]
    public async Task SlowUnauthenticatedUploads_NeverHoldASlot_TheExchangesRequestIsServedAtOnce()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-admission-").FullName;
        var modelPath = Path.Combine(dir, "random.gguf");
        RandomGguf.Write(modelPath);
        using var exchange = SigningKey.LoadOrCreate(Path.Combine(dir, "exchange"));
        var config = new ExporterConfig
        {
            Node = new NodeSection { Id = "n1", Jurisdiction = "DE", Port = 0 },
            Engine = new EngineSection { Kind = "embedded" },
            Admission = new AdmissionSection { MaxConcurrency = 1, MaxQueue = 0, BodyTimeoutSeconds = 2 },
            TrustedExchanges = [new TrustedExchange { KeyId = exchange.KeyId, PublicKey = Receipts.Base64Url(exchange.PublicKey) }],
        };
        var model = EmbeddedModel.Load(new ModelFile(modelPath, ModelOrigin.RandomWeights));
        await using var node = ExporterHost.Create(config, new EmbeddedEngine(model), ownsEngine: true, dataDir: Path.Combine(dir, "node"));
        await node.StartAsync();
        var port = node.BaseUrl.Port;

        // Twenty uploads with no signature, twenty that look signed (a trusted key id, a fresh time, this
        // node) but are not: all send their headers and then a byte now and then.
        var uploads = new List<(TcpClient Client, NetworkStream Stream, bool Signed)>();
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (int i = 0; i < 20; i++)
        {
            var (c, s) = await OpenUpload(port, $"Entrepot-Request-Id: req_slow_{i}\r\n", 100_000);
            uploads.Add((c, s, false));
            var (c2, s2) = await OpenUpload(port, $"Entrepot-Request-Id: req_fake_{i}\r\nEntrepot-Seller: n1\r\n{RequestSignature.KeyHeader}: {exchange.KeyId}\r\n" +
                $"{RequestSignature.TimestampHeader}: {ts}\r\n{RequestSignature.SignatureHeader}: {new string('A', 86)}\r\n", 100_000);
            uploads.Add((c2, s2, true));
        }

        using var trickle = new CancellationTokenSource();
        var trickling = Task.Run(async () =>
        {
            while (!trickle.IsCancellationRequested)
            {
                foreach (var (_, s, _) in uploads)
                {
                    try
                    {
                        await s.WriteAsync(" "u8.ToArray());
                    }
                    catch (IOException)
                    {
                        // Closed by the node: as it should.
                    }
                }

                await Task.Delay(200);
            }
        });

        // The unsigned ones are refused from their headers alone.
        foreach (var (_, s, signed) in uploads.Where(u => !u.Signed))
        {
            Assert.StartsWith("HTTP/1.1 401", await StatusLine(s, TimeSpan.FromSeconds(10)));
        }

        // Meanwhile the exchange's own request is served at once: no slot was taken by any upload.
        var json = """{"model":"random","max_tokens":4,"messages":[{"role":"user","content":"hello"}]}""";
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Entrepot-Buyer-Jurisdiction", "DE");
        Entrepot.Tests.SignedRequest.Sign(request, exchange, "n1", Encoding.UTF8.GetBytes(json), "req_real");
        var served = Stopwatch.StartNew();
        var answer = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(served.Elapsed < TimeSpan.FromSeconds(5), $"served after {served.Elapsed}");
        Assert.Equal(0, node.Admission.Rejected);

        // The look-alikes never got further than their body's deadline: 408, and no slot ever held.
        foreach (var (_, s, _) in uploads.Where(u => u.Signed))
        {
            Assert.StartsWith("HTTP/1.1 408", await StatusLine(s, TimeSpan.FromSeconds(15)));
        }

        Assert.Equal(1, node.Received);
        await trickle.CancelAsync();
        await trickling;
        foreach (var (c, _, _) in uploads)
        {
            c.Dispose();
        }
    }
}
