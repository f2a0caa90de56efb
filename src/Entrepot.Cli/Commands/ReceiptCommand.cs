using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot receipt verify FILE</c>: checks a receipt from GET /v1/receipts/{id} offline:
/// the exchange's countersignature, the seller's signature (unless exchange-only), and optionally
/// that the keys are the ones published at /.well-known/entrepot/keys.</summary>
internal static class ReceiptCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The receipt JSON (- for stdin)." };
        var exchangeKey = new Option<string?>("--exchange-key") { Description = "The exchange's public key you trust (public_key from its /.well-known/entrepot/keys, base64url): compared whole." };
        var sellerKey = new Option<string?>("--seller-key") { Description = "The seller node's public key you trust (public_key from its /.well-known/entrepot/keys, base64url): compared whole." };
        var verify = new Command("verify", "Verify a receipt's signatures offline; exit 0 when valid, 1 when not.") { file, exchangeKey, sellerKey };
        verify.SetAction(async (pr, ct) =>
        {
            var f = pr.GetValue(file)!;
            foreach (var (pin, name) in new[] { (pr.GetValue(exchangeKey), "--exchange-key"), (pr.GetValue(sellerKey), "--seller-key") })
            {
                if (pin is not null && (KeyPin.IsKeyId(pin) || Receipts.FromBase64Url(pin) is not { Length: 32 }))
                {
                    return CommonOptions.Fail($"{name} takes the whole Ed25519 public key (base64url, 43 characters, from /.well-known/entrepot/keys), not a key id: a pin compares whole keys.");
                }
            }

            string text;
            if (f.Name == "-")
            {
                using var stdin = new StreamReader(Console.OpenStandardInput());
                text = await stdin.ReadToEndAsync(ct).ConfigureAwait(false);
            }
            else if (!f.Exists)
            {
                return CommonOptions.Fail($"{f.FullName} does not exist.");
            }
            else
            {
                text = await File.ReadAllTextAsync(f.FullName, ct).ConfigureAwait(false);
            }

            JsonObject? doc;
            try
            {
                doc = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException e)
            {
                Console.Error.WriteLine($"INVALID: not JSON ({e.Message})");
                return 1;
            }

            var problem = doc is null ? "not a JSON object" : Receipts.Verify(doc, pr.GetValue(exchangeKey), pr.GetValue(sellerKey));
            if (problem is not null)
            {
                Console.Error.WriteLine("INVALID: " + problem);
                return 1;
            }

            var r = doc!["receipt"]!;
            var flags = doc["check"]?["flags"] as JsonArray ?? [];
            Console.WriteLine($"VALID {r["kind"]} receipt {r["request_id"]}: {r["input_tokens"]} in / {r["output_tokens"]} out tokens of {r["model"]} " +
                $"from {r["seller"]} for {r["buyer"]}, cost {r["cost"]} {r["price"]?["currency"]}; exchange key {doc["exchange"]!["key_id"]}" +
                (doc["seller"] is JsonObject s ? $", seller key {s["key_id"]}" : "") +
                (flags.Count > 0 ? $"; flags: {string.Join(", ", flags.Select(x => (string?)x))}" : "; no flags"));
            return 0;
        });
        return new Command("receipt", "Work with signed receipts.") { verify };
    }
}
