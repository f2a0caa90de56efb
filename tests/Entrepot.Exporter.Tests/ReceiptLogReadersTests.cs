using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Tests;

/// <summary>
/// A node that serves two exchanges serves each only the receipts it issued for that exchange. The
/// other's receipts carry no quote the reader sealed: read, they were refused as invented and counted
/// against this seller by both exchanges.
/// </summary>
public sealed class ReceiptLogReadersTests
{
    private const string KeyA = "ent-node-exchange-a-key-0123456789";
    private const string KeyB = "ent-node-exchange-b-key-0123456789";

    [Fact]
    public async Task TwoExchanges_EachReadsOnlyTheReceiptsIssuedForIt()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-log-readers-").FullName;
        var modelPath = Path.Combine(dir, "random.gguf");
        RandomGguf.Write(modelPath);
        var config = new ExporterConfig
        {
            Node = new NodeSection { Id = "shared-node", Jurisdiction = "DE", Port = 0 },
            Engine = new EngineSection { Kind = "embedded" },
            Admission = new AdmissionSection { MaxConcurrency = 2, MaxQueue = 4 },
            ExchangeKeys = [KeyA, KeyB],
        };
        await using var node = ExporterHost.Create(config, new EmbeddedEngine(EmbeddedModel.Load(new ModelFile(modelPath, ModelOrigin.RandomWeights))),
            ownsEngine: true, dataDir: Path.Combine(dir, "node"));
        await node.StartAsync();
        using var http = new HttpClient { BaseAddress = node.BaseUrl };

        async Task Ask(string key, string requestId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"model":"random","max_tokens":4,"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add(ReceiptIssuer.RequestIdHeader, requestId);
            using var answer = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        async Task<List<string>> Read(string key, long since = 0)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts?since={since}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var answer = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var page = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            return page["data"]!.AsArray().Select(e => (string)e!["receipt"]!["receipt"]!["request_id"]!).ToList();
        }

        await Ask(KeyA, "req_a1");
        await Ask(KeyB, "req_b1");
        await Ask(KeyA, "req_a2");

        Assert.Equal(["req_a1", "req_a2"], await Read(KeyA));
        Assert.Equal(["req_b1"], await Read(KeyB));
        Assert.Equal(["req_a2"], await Read(KeyA, since: 1)); // the sequence numbers are the log's own: a1 is 1, b1 2
        Assert.Equal(3, node.ReceiptLog.Since(0, 10).Count);
    }
}
