using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using Entrepot.Core.Network;
using Entrepot.Exchange.Api;

namespace Entrepot.Cli.Commands;

/// <summary>
/// <c>entrepot network rtt --from LOCODE --to LOCODE [--cut CABLE]... [--json]</c> estimates a round
/// trip over the cable network (offline); <c>entrepot network cut|restore CABLE</c> changes the faults
/// of a running exchange through its admin API, which re-routes at once.
/// </summary>
internal static class NetworkCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "UN/LOCODE of one end, e.g. SGSIN.", Required = true };
        var to = new Option<string>("--to") { Description = "UN/LOCODE of the other end, e.g. DEFRA.", Required = true };
        var cut = new Option<string[]>("--cut") { Description = "A cable to treat as cut (repeatable), e.g. aae-1.", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print {\"rtt_ms\",\"path\",\"cables\"} as JSON." };
        var file = new Option<string?>("--network") { Description = "A network file instead of the one shipped (data/network.json's format)." };
        var rtt = new Command("rtt", "Estimate the round trip between two locations over the cable network.") { from, to, cut, json, file };
        rtt.SetAction(pr =>
        {
            CableNetwork network;
            try
            {
                network = pr.GetValue(file) is { } path ? LoadFile(path) : CableNetwork.Default;
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                return CommonOptions.Fail(e.Message);
            }

            foreach (var (name, code) in new[] { ("--from", pr.GetValue(from)!), ("--to", pr.GetValue(to)!) })
            {
                if (network.Location(code) is null)
                {
                    return CommonOptions.Fail($"{name}: '{code}' is not a location of the network; known: {string.Join(' ', network.Locations.Where(l => l.Inference).Select(l => l.Locode))} (and landing stations).");
                }
            }

            var cuts = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in pr.GetValue(cut) ?? [])
            {
                if (network.Cable(name) is not { } c)
                {
                    return CommonOptions.Fail($"--cut: '{name}' is not a cable of the network; known: {string.Join(' ', network.Cables.Select(x => x.Id))}.");
                }

                cuts.Add(c.Id);
            }

            var a = network.Location(pr.GetValue(from)!)!;
            var b = network.Location(pr.GetValue(to)!)!;
            var route = network.Route(a.Locode, b.Locode, cuts);
            if (pr.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(RttView.Of(a.Locode, b.Locode, route), CliJsonContext.Default.RttView));
                return route is null ? 1 : 0;
            }

            if (route is null)
            {
                Console.WriteLine($"{a.Locode} ({a.Name}) and {b.Locode} ({b.Name}) are unreachable from each other with {string.Join(", ", cuts)} cut.");
                return 1;
            }

            Console.WriteLine($"{a.Locode} ({a.Name}) -> {b.Locode} ({b.Name}): round trip {route.RoundTripMs:F1} ms over {route.Km:N0} km");
            for (var i = 0; i < route.Links.Count; i++)
            {
                var link = route.Links[i];
                Console.WriteLine($"  {route.Path[i]} -> {route.Path[i + 1]}  {link.Km,8:N0} km  {(link.Cable is { } c ? c.Name + " (" + c.Id + ")" : "land")}");
            }

            Console.WriteLine($"cables: {(route.Cables.Count == 0 ? "none" : string.Join(", ", route.Cables))}");
            return 0;
        });

        return new Command("network", "The submarine cable network: round-trip estimates and cable faults.")
        {
            rtt,
            Fault("cut", "Mark a cable cut on a running exchange: routes and estimates change at once."),
            Fault("restore", "Put a cut cable back in service on a running exchange."),
        };
    }

    private static CableNetwork LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return CableNetwork.Load(stream);
    }

    private static Command Fault(string verb, string description)
    {
        var cable = new Argument<string>("cable") { Description = "The cable's id, e.g. aae-1 (entrepot network rtt lists them on a wrong name)." };
        var url = new Option<string>("--url") { Description = "The exchange's base URL.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ENTREPOT_URL") ?? "http://127.0.0.1:8080" };
        var key = CommonOptions.SecretOption.Create("admin-key", "The exchange's admin key", "ENTREPOT_ADMIN_KEY");
        var command = new Command(verb, description) { cable, url, key.Value, key.File };
        command.SetAction(async (pr, ct) =>
        {
            var admin = key.Read(pr, out var secretError);
            if (secretError is not null)
            {
                return CommonOptions.Fail(secretError);
            }

            if (string.IsNullOrEmpty(admin))
            {
                return CommonOptions.Fail("the admin key is required: --admin-key-file FILE, or ENTREPOT_ADMIN_KEY.");
            }

            if (!Uri.TryCreate(pr.GetValue(url), UriKind.Absolute, out var baseUrl))
            {
                return CommonOptions.Fail($"--url: '{pr.GetValue(url)}' is not an absolute URL.");
            }

            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            var name = pr.GetValue(cable)!;
            HttpResponseMessage response;
            try
            {
                response = verb == "cut"
                    ? await http.PostAsync("/admin/network/cuts", new StringContent(JsonSerializer.Serialize(new CableCut(name), CliJsonContext.Default.CableCut),
                        System.Text.Encoding.UTF8, "application/json"), ct).ConfigureAwait(false)
                    : await http.DeleteAsync("/admin/network/cuts/" + Uri.EscapeDataString(name), ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                return CommonOptions.Fail($"cannot reach the exchange at {baseUrl}: {e.Message}");
            }

            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var message = text;
                try
                {
                    message = JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("message").GetString() ?? text;
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                }

                return CommonOptions.Fail($"{(int)response.StatusCode}: {message}");
            }

            var view = JsonSerializer.Deserialize(text, CliJsonContext.Default.NetworkView)!;
            Console.WriteLine($"{(verb == "cut" ? "cut" : "restored")} {name}; cables now cut: {(view.Cut.Count == 0 ? "none" : string.Join(", ", view.Cut))}");
            foreach (var s in view.Sellers)
            {
                Console.WriteLine($"  {s.Provider,-16} {s.Locode,-6} {(s.Reachable ? $"{s.EstimatedRttMs,7:F1} ms  {string.Join(" > ", s.Path ?? [])}" : "unreachable")}");
            }

            return 0;
        });
        return command;
    }
}
