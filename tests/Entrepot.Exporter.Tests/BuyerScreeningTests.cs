using System.Net;
using System.Text;
using System.Text.Json;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Tests;

/// <summary>An exporter node that screens its buyers with the OFAC pack, serving real tokens from
/// the embedded engine to the buyers it may serve.</summary>
public class BuyerScreeningTests
{
    [Fact]
    public async Task EmbargoedBuyer_Gets451_OthersAreServed()
    {
        using var model = EmbeddedModel.Load(new ModelFile(SharedModel.Path, ModelOrigin.Configured));
        var config = new ExporterConfig
        {
            Node = new NodeSection { Id = "us-node", Jurisdiction = "US", Port = 0 },
            ScreenBuyers = ["ofac"],
        };
        await using var node = ExporterHost.Create(config, new EmbeddedEngine(model, ownsModel: false), ownsEngine: true);
        await node.StartAsync();
        using var http = new HttpClient { BaseAddress = node.BaseUrl };

        async Task<HttpResponseMessage> Ask(string? buyer)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"{{model.Name}}","max_tokens":4,"messages":[{"role":"user","content":"Once upon a time"}]}""", Encoding.UTF8, "application/json"),
            };
            if (buyer is not null)
            {
                req.Headers.Add("Entrepot-Buyer-Jurisdiction", buyer);
            }

            return await http.SendAsync(req);
        }

        foreach (var (buyer, rule) in new[] { ("IR", "ofac-iran-buyer"), ("KP", "ofac-north-korea-buyer"), ("UA-43", "ofac-crimea-buyer"), ("CU", "ofac-cuba-buyer") })
        {
            var r = await Ask(buyer);
            Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Contains(rule, doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, (await Ask(null)).StatusCode);
        Assert.Equal(0, node.Received);

        var ok = await Ask("DE");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var answer = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty(answer.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await Ask("UA-30")).StatusCode); // Kyiv
        // A buyer known only as Ukraine may be in Crimea or the DNR/LNR: the worst case decides.
        var unsure = await Ask("UA");
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, unsure.StatusCode);
        var why = await unsure.Content.ReadAsStringAsync();
        Assert.Contains("ofac-crimea-buyer", why, StringComparison.Ordinal);
        Assert.Contains("ofac-dnr-lnr-buyer", why, StringComparison.Ordinal);
        Assert.Equal(2, node.Received);
    }

    [Fact]
    public void UnknownPack_StopsTheNodeWithTheReason()
    {
        var config = new ExporterConfig { Node = new NodeSection { Id = "n", Jurisdiction = "US" }, ScreenBuyers = ["ofac", "nope"] };
        var e = Assert.Throws<InvalidDataException>(() => BuyerScreening.Create(config, TimeProvider.System));
        Assert.Contains("no pack nope", e.Message, StringComparison.Ordinal);
    }
}
